"""Delivery of due outbox messages: claim, send, record; safe with many workers.

Claiming. A pass takes up to MAIL_BATCH_SIZE due rows (unsent, `nextAttemptAt` reached, no
live lease) and stamps them with a lease (`claimedUntil`, MAIL_CLAIM_SECONDS ahead) and a
random `claimedBy` in one committed transaction; the rows it may send are those that carry
its own `claimedBy` afterwards.
- MariaDB: `SELECT ... FOR UPDATE SKIP LOCKED` picks rows no other worker is claiming
  right now, then the `UPDATE` sets the lease in the same transaction.
- SQLite: a conditional `UPDATE ... WHERE id IN (...) AND (claimedUntil IS NULL OR
  claimedUntil < now)`; SQLite runs one writer at a time, so of two workers that picked
  the same candidates the second finds the lease set and claims nothing.
Every later write (sent, failed, released) is conditional on `claimedBy` too, so a worker
whose lease ran out can never record over the one that took the row next.

Sending. One backend connection per pass; each message is marked sent (bodies cleared) and
committed as soon as the backend accepted it. Delivery is exactly once unless the process
dies between the server's acceptance and that commit: then the row is sent again once its
lease expires (at-least-once, with the same Message-ID, which lets receivers drop it).

Retrying. A failure reschedules the row after MAIL_RETRY_BASE_SECONDS doubling per attempt,
capped at MAIL_RETRY_MAX_SECONDS, forever: an outage of any length ends with the backlog
delivered. A row undelivered after MAIL_FAILING_AFTER_SECONDS turns `failing` (kept, still
retried, reported by `flask mail status`). When a connection succeeds again after an outage,
rows that waited only because the server was unreachable are made due at once. The one
exception to "forever": a message the server refuses for good (5xx) once it has waited
MAIL_REJECTED_AFTER_SECONDS turns `rejected`, loses its body and is never sent again, so
undeliverable addresses cost no mail traffic without end.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.db_types import utcnow
from app.extensions import db
from app.mail.backends import ConnectionLost, MailBackend, describe, is_permanent
from app.mail.compose import mail_from
from app.mail.models import MailStatus, OutboxMessage
from app.settings import settings
from app.transactions import transaction

log = logging.getLogger(__name__)
EXTENSION_KEY = "signet.mail.backend"
# lastError of a row that failed only because the backend was unreachable.
UNREACHABLE_PREFIX = "unreachable: "
SENT_WRITE_ATTEMPTS = 3
ERROR_MAX = 500  # the width of `lastError`; MariaDB refuses a longer value outright


@dataclass
class DeliveryReport:
    """What a delivery run did."""

    sent: int = 0
    failed: int = 0  # to be retried
    rejected: int = 0  # refused for good: never sent again
    message_ids: list[str] = field(default_factory=list)


@dataclass
class Claimed:
    """A claimed row, detached from the session: what sending it needs."""

    id: int
    message_id: str
    attempts: int
    created_at: datetime
    status: str
    email: EmailMessage


def current_backend() -> MailBackend:
    """The mail backend of the current app."""
    return current_app.extensions[EXTENSION_KEY]


def deliver_due(*, stop: threading.Event | None = None) -> DeliveryReport:
    """Deliver every message due now, batch after batch, until none is left or `stop`."""
    report = DeliveryReport()
    while stop is None or not stop.is_set():
        token, batch = claim_due(settings().mail.batch_size)
        if not batch:
            break
        _deliver_batch(token, batch, report, stop)
    return report


def claim_due(limit: int) -> tuple[str, list[Claimed]]:
    """Lease up to `limit` due messages to a new claim token; return it and the rows."""
    now = utcnow()
    token = uuid.uuid4().hex
    lease = now + timedelta(seconds=settings().mail.claim_seconds)
    due = and_(
        OutboxMessage.status.in_(MailStatus.UNSENT),
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )
    candidates = (select(OutboxMessage.id).where(due)
                  .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    if db.engine.dialect.name in ("mysql", "mariadb"):
        candidates = candidates.with_for_update(skip_locked=True)
        # READ COMMITTED: lock the rows claimed, not the gaps next to them, so requests
        # queueing new mail never wait for a claim. (Settable only as a transaction starts.)
        if not db.session().in_transaction():
            db.session.connection(execution_options={"isolation_level": "READ COMMITTED"})
    with transaction():
        ids = db.session.scalars(candidates).all()
        if ids:
            db.session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(ids), due)
                .values(claimed_until=lease, claimed_by=token)
                .execution_options(synchronize_session=False))
    if not ids:
        return token, []
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.claimed_by == token)
        .order_by(OutboxMessage.id)).all()
    claimed = [Claimed(row.id, row.message_id, row.attempts, row.created_at, row.status,
                       build_email(row)) for row in rows]
    db.session.rollback()  # end the read transaction; nothing is held while sending
    return token, claimed


def build_email(row: OutboxMessage) -> EmailMessage:
    """The multipart/alternative (text, HTML) message for an outbox row."""
    email = EmailMessage()
    email["Subject"] = row.subject
    email["From"] = mail_from()
    email["To"] = row.recipient
    email["Date"] = format_datetime(row.created_at)
    email["Message-ID"] = row.message_id
    email.set_content(row.text_body or "", cte=_transfer_encoding(row.text_body or ""))
    email.add_alternative(row.html_body or "", subtype="html",
                          cte=_transfer_encoding(row.html_body or ""))
    return email


def _transfer_encoding(body: str) -> str | None:
    """7bit when the body allows it, so a long link stays whole and readable in an .eml.

    The library's own choice (None) would quote-print any line over 78 characters,
    breaking links across lines; 7bit only needs ASCII and lines of at most 998 octets.
    """
    if body.isascii() and all(len(line) <= 998 for line in body.splitlines()):
        return "7bit"
    return None


def _deliver_batch(token: str, batch: list[Claimed], report: DeliveryReport,
                   stop: threading.Event | None) -> None:
    mail = settings().mail
    # Stop sending while the lease still covers one more message at its slowest.
    deadline = time.monotonic() + mail.claim_seconds - mail.smtp_timeout - 5
    try:
        connection = current_backend().connect()
    except ConnectionLost as error:
        for item in batch:
            _record_failure(token, item, UNREACHABLE_PREFIX + str(error), report)
        return
    _resume_after_outage()
    try:
        for index, item in enumerate(batch):
            if time.monotonic() > deadline or (stop is not None and stop.is_set()):
                _release(token)
                return
            try:
                connection.send(item.email)
            except ConnectionLost as error:
                for rest in batch[index:]:
                    _record_failure(token, rest, UNREACHABLE_PREFIX + str(error), report)
                return
            # Any other error concerns this message only (a refused recipient, a bad
            # header): record it and go on, so one poisoned message never blocks the rest.
            except Exception as error:  # noqa: BLE001
                _record_failure(token, item, describe(error), report,
                                permanent=is_permanent(error))
                continue
            _record_sent(token, item, report)
    finally:
        connection.close()


def _record_sent(token: str, item: Claimed, report: DeliveryReport) -> None:
    # The server has the message: failing to record that would send it again once the
    # lease runs out, so a database hiccup here is worth a few retries.
    for attempt in range(SENT_WRITE_ATTEMPTS):
        try:
            _write(token, item.id, status=MailStatus.SENT, sent_at=utcnow(), text_body=None,
                   html_body=None, attempts=item.attempts + 1, last_error=None)
            break
        except SQLAlchemyError:  # _write's transaction has rolled back
            if attempt == SENT_WRITE_ATTEMPTS - 1:
                raise
            time.sleep(1 + attempt)
    report.sent += 1
    report.message_ids.append(item.message_id)
    log.info("mail %s delivered by process %d", item.message_id, os.getpid())


def _record_failure(token: str, item: Claimed, error: str, report: DeliveryReport, *,
                    permanent: bool = False) -> None:
    mail = settings().mail
    attempts = item.attempts + 1
    now = utcnow()
    waited = (now - item.created_at).total_seconds()
    if permanent and waited >= mail.rejected_after_seconds:
        _write(token, item.id, status=MailStatus.REJECTED, attempts=attempts,
               last_error=error[:ERROR_MAX], text_body=None, html_body=None)
        report.rejected += 1
        log.warning("mail %s rejected for good after %d attempts: %s",
                    item.message_id, attempts, error)
        return
    delay = min(mail.retry_max_seconds, mail.retry_base_seconds * 2 ** min(attempts - 1, 30))
    status = item.status
    if waited >= mail.failing_after_seconds:
        if status != MailStatus.FAILING:
            log.warning("mail %s is failing: undelivered since %s", item.message_id,
                        item.created_at.isoformat())
        status = MailStatus.FAILING
    _write(token, item.id, status=status, attempts=attempts, last_error=error[:ERROR_MAX],
           next_attempt_at=now + timedelta(seconds=delay))
    report.failed += 1
    log.warning("mail %s not delivered (attempt %d), retry in %ds: %s",
                item.message_id, attempts, delay, error)


def _write(token: str, row_id: int, **values) -> None:
    """Update a row this claim still holds, drop the lease, and commit at once."""
    with transaction():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.claimed_by == token)
            .values(claimed_until=None, claimed_by=None, **values)
            .execution_options(synchronize_session=False))


def _release(token: str) -> None:
    """Give back the rows of this claim that were not sent (a stop, a lease running out)."""
    with transaction():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.claimed_by == token,
                   OutboxMessage.status.in_(MailStatus.UNSENT))
            .values(claimed_until=None, claimed_by=None)
            .execution_options(synchronize_session=False))


def _resume_after_outage() -> None:
    """The backend answers again: make due at once what waited only for it."""
    now = utcnow()
    waiting = and_(
        OutboxMessage.status.in_(MailStatus.UNSENT),
        OutboxMessage.next_attempt_at > now,
        OutboxMessage.claimed_by.is_(None),
        OutboxMessage.last_error.startswith(UNREACHABLE_PREFIX, autoescape=True))
    # Read first: the usual answer is "none", and SQLite would lock for a no-op write.
    if db.session.scalar(select(OutboxMessage.id).where(waiting).limit(1)) is None:
        db.session.rollback()
        return
    with transaction():
        result = db.session.execute(
            update(OutboxMessage).where(waiting).values(next_attempt_at=now)
            .execution_options(synchronize_session=False))
    if result.rowcount:
        log.info("mail backend reachable again: %d waiting messages made due",
                 result.rowcount)
