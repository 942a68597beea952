"""`flask mail send-pending` delivers what is due once; `flask mail status` reports."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app.db_types import utcnow
from app.extensions import db
from app.mail.models import MailStatus, OutboxMessage
from tests.mail.helpers import queue, rows


def test_send_pending_delivers_what_is_due_and_exits(mail_app, smtp_server):
    application = mail_app(**smtp_server.settings())
    queue(3)

    result = application.test_cli_runner().invoke(args=["mail", "send-pending"])

    assert result.exit_code == 0, result.output
    assert "Delivered 3 message(s); 0 failed" in result.output
    assert len(smtp_server.wait_for(3, 5)) == 3
    assert {row.status for row in rows()} == {MailStatus.SENT}


def test_send_pending_leaves_messages_not_yet_due(mail_app, smtp_server):
    application = mail_app(**smtp_server.settings())
    queue(2)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == rows()[0].id)
                       .values(next_attempt_at=utcnow() + timedelta(minutes=5)))
    db.session.commit()

    result = application.test_cli_runner().invoke(args=["mail", "send-pending"])

    assert "Delivered 1 message(s)" in result.output
    assert [row.status for row in rows()] == [MailStatus.PENDING, MailStatus.SENT]


def test_send_pending_exits_non_zero_when_delivery_fails(mail_app, smtp_server):
    application = mail_app(**smtp_server.settings())
    smtp_server.stop()
    queue(1)

    result = application.test_cli_runner().invoke(args=["mail", "send-pending"])

    assert result.exit_code == 1
    assert "Delivered 0 message(s); 1 failed and will be retried." in result.output


def test_status_counts_pending_failing_and_sent(mail_app, smtp_server):
    application = mail_app(**smtp_server.settings())
    runner = application.test_cli_runner()
    assert runner.invoke(args=["mail", "status"]).output.splitlines() == [
        "pending: 0", "failing: 0", "sent: 0", "rejected: 0", "oldest unsent: none"]
    queue(4)
    runner.invoke(args=["mail", "send-pending"])
    queue(2)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == rows()[-1].id)
                       .values(status=MailStatus.FAILING))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.status != MailStatus.SENT)
                       .values(created_at=utcnow() - timedelta(seconds=90)))
    db.session.commit()

    lines = runner.invoke(args=["mail", "status"]).output.splitlines()

    assert lines[:4] == ["pending: 1", "failing: 1", "sent: 4", "rejected: 0"]
    assert lines[4] in ("oldest unsent: 90s ago", "oldest unsent: 91s ago")


def test_purge_deletes_only_messages_delivered_long_ago(mail_app, smtp_server):
    application = mail_app(**smtp_server.settings())
    runner = application.test_cli_runner()
    queue(3)
    runner.invoke(args=["mail", "send-pending"])
    queue(1)  # still pending, and old: never purged
    old, recent = rows()[0].id, rows()[1].id
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == old)
                       .values(sent_at=utcnow() - timedelta(days=31)))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.status == MailStatus.PENDING)
                       .values(created_at=utcnow() - timedelta(days=90)))
    db.session.commit()

    result = runner.invoke(args=["mail", "purge", "--days", "30"])

    assert result.output == "Purged 1 delivered or rejected message(s).\n"
    remaining = rows()
    assert old not in [row.id for row in remaining]
    assert recent in [row.id for row in remaining]
    assert [row.status for row in remaining].count(MailStatus.PENDING) == 1
