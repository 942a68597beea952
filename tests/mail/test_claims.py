"""Claims: a message is taken by one deliverer at a time, and a stale one records nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update

from app.db_types import utcnow
from app.extensions import db
from app.mail import deliver_due, delivery
from app.mail.delivery import DeliveryReport, claim_due
from app.mail.models import MailStatus, OutboxMessage
from tests.mail.helpers import queue, rows


def test_claimed_messages_are_not_claimed_again(app):
    queue(3)

    _token, first = claim_due(10)
    _other, second = claim_due(10)

    assert len(first) == 3
    assert second == []
    assert all(row.claimed_until > utcnow() for row in rows())


def test_a_batch_takes_at_most_its_size_oldest_first(app):
    queue(5)

    _token, batch = claim_due(2)

    assert [item.id for item in batch] == [row.id for row in rows()[:2]]


def test_an_expired_lease_is_claimed_again_and_the_stale_holder_records_nothing(
        app_config, mail_app, smtp_server):
    mail_app(**smtp_server.settings())
    queue(1)
    _stale_token, [stale] = claim_due(10)
    db.session.execute(update(OutboxMessage).values(claimed_until=utcnow() - timedelta(1)))
    db.session.commit()

    assert deliver_due().sent == 1  # the lease ran out: another deliverer takes it

    # The first holder finishing late cannot turn the row back.
    delivery._write(_stale_token, stale.id, status=MailStatus.PENDING, attempts=99)
    [row] = rows()
    assert row.status == MailStatus.SENT and row.attempts == 1
    assert len(smtp_server.wait_for(1, 5)) == 1


def test_concurrent_deliverers_send_each_message_exactly_once(app, mail_app, smtp_server):
    """Six threads, each with its own session and connection, drain one outbox."""
    application = mail_app(**smtp_server.settings(), MAIL_BATCH_SIZE=5)
    queue(60)
    start = threading.Barrier(6)
    errors = []

    def deliverer():
        try:
            with application.app_context():
                start.wait()
                deliver_due()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=deliverer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    received = smtp_server.wait_for(60, 10)
    ids = [m["Message-ID"] for m in received]
    assert len(ids) == 60 and len(set(ids)) == 60
    assert {row.status for row in rows()} == {MailStatus.SENT}


def test_a_long_error_is_cut_to_fit_last_error(app):
    queue(1)
    token, [item] = claim_due(10)

    delivery._record_failure(token, item, "unreachable: " + "x" * 2000, DeliveryReport())

    [row] = rows()
    assert len(row.last_error) == 500 and row.last_error.startswith("unreachable: x")
    assert row.attempts == 1 and row.claimed_by is None
