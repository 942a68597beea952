"""A message the server refuses for good is retried for a while, then dropped."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.db_types import utcnow
from app.extensions import db
from app.mail import deliver_due
from app.mail.backends import ConnectionLost, is_permanent
from app.mail.models import MailStatus, OutboxMessage
from tests.mail.helpers import queue, rows
from tests.mail.smtp_server import GREYLISTED, REFUSED

HOUR = 3600


def age_and_make_due(*, hours: float) -> None:
    """Make every row queued `hours` ago and due now."""
    db.session.execute(update(OutboxMessage).values(
        created_at=utcnow() - timedelta(hours=hours),
        next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_a_refused_message_is_retried_then_rejected_and_never_sent_again(
        mail_app, smtp_server, caplog):
    mail_app(**smtp_server.settings(), MAIL_REJECTED_AFTER_SECONDS=HOUR)
    queue(1, to=REFUSED, marker="reject-secret")

    first = deliver_due()  # young: a server-side setting may be at fault, so retried

    assert (first.failed, first.rejected) == (1, 0)
    [row] = rows()
    assert row.status == MailStatus.PENDING and row.text_body is not None

    age_and_make_due(hours=2)
    caplog.set_level(logging.WARNING, logger="app.mail.delivery")
    second = deliver_due()

    assert (second.sent, second.failed, second.rejected) == (0, 0, 1)
    [row] = rows()
    assert row.status == MailStatus.REJECTED and row.attempts == 2
    assert "550" in row.last_error
    assert row.text_body is None and row.html_body is None  # the link is gone
    assert "rejected for good" in caplog.text and "reject-secret" not in caplog.text

    age_and_make_due(hours=3)
    third = deliver_due()

    assert (third.sent, third.failed, third.rejected) == (0, 0, 0)
    assert rows()[0].attempts == 2
    assert smtp_server.messages == []


def test_a_temporary_refusal_is_retried_however_long_it_lasts(mail_app, smtp_server):
    mail_app(**smtp_server.settings(), MAIL_REJECTED_AFTER_SECONDS=HOUR)
    queue(1, to=GREYLISTED)
    age_and_make_due(hours=24 * 30)

    report = deliver_due()

    assert (report.failed, report.rejected) == (1, 0)
    [row] = rows()
    assert row.status == MailStatus.FAILING and "451" in row.last_error
    assert row.text_body is not None and row.next_attempt_at > utcnow()


def test_an_unreachable_server_never_rejects_anything(mail_app, smtp_server):
    mail_app(**smtp_server.settings(), MAIL_REJECTED_AFTER_SECONDS=HOUR)
    smtp_server.stop()
    queue(1)
    age_and_make_due(hours=24 * 30)

    assert deliver_due().rejected == 0
    assert rows()[0].status == MailStatus.FAILING


def test_send_pending_reports_rejections_and_purge_drops_them(mail_app, smtp_server):
    application = mail_app(**smtp_server.settings(), MAIL_REJECTED_AFTER_SECONDS=HOUR)
    runner = application.test_cli_runner()
    queue(1, to=REFUSED)
    age_and_make_due(hours=2)

    sent = runner.invoke(args=["mail", "send-pending"])

    assert sent.exit_code == 1
    assert sent.output.splitlines()[-1] == (  # after the warning it logged
        "Delivered 0 message(s); 0 failed and will be retried. "
        "1 refused for good by the server and dropped.")
    assert "rejected: 1" in runner.invoke(args=["mail", "status"]).output.splitlines()
    kept = runner.invoke(args=["mail", "purge", "--days", "1"])
    assert kept.output == "Purged 0 delivered or rejected message(s).\n"
    db.session.execute(update(OutboxMessage).values(
        next_attempt_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    assert runner.invoke(args=["mail", "purge", "--days", "1"]).output == \
        "Purged 1 delivered or rejected message(s).\n"
    assert rows() == []


@pytest.mark.parametrize(("error", "permanent"), [
    (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such user")}), True),
    (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no"),
                                    "b@example.com": (452, b"full")}), False),
    (smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"busy")}), False),
    (smtplib.SMTPDataError(554, b"rejected as spam"), True),
    (smtplib.SMTPDataError(452, b"out of storage"), False),
    (smtplib.SMTPSenderRefused(553, b"sender not allowed", "no-reply@example.com"), True),
    (ConnectionLost("the server went away"), False),
    (OSError("disk full"), False),
])
def test_only_a_5xx_answer_is_permanent(error, permanent):
    assert is_permanent(error) is permanent
