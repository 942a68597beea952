"""The outbox: one row per message, written in the transaction of the change behind it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db


class MailStatus:
    """Values of `mail_outbox.status`."""

    PENDING = "pending"  # queued, or retried after a failure
    FAILING = "failing"  # undelivered for longer than MAIL_FAILING_AFTER_SECONDS; retried
    SENT = "sent"  # accepted by the backend; bodies cleared
    # Refused by the server for good (5xx) past MAIL_REJECTED_AFTER_SECONDS; bodies
    # cleared; never sent again.
    REJECTED = "rejected"

    UNSENT = (PENDING, FAILING)


class OutboxMessage(db.Model):
    """A message waiting for delivery, or the trace of one delivered (without its body)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        # The delivery poll: unsent rows whose next attempt is due, oldest first.
        Index("ix_mail_outbox_status_nextAttemptAt", "status", "nextAttemptAt"),
        # MAIL_PER_ADDRESS_PER_HOUR: a recipient's messages of the last hour, counted on
        # every enqueue.
        Index("ix_mail_outbox_recipient_createdAt", "recipient", "createdAt"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The RFC 5322 Message-ID, chosen at enqueue time: a retry resends the same id, so a
    # receiving server (or a test) can see a duplicate for what it is.
    message_id: Mapped[str] = mapped_column("messageId", String(255), nullable=False,
                                            unique=True)
    recipient: Mapped[str] = mapped_column(String(255), nullable=False)
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    # The bodies hold links with tokens: cleared as soon as the message is delivered.
    text_body: Mapped[str | None] = mapped_column("textBody", Text)
    html_body: Mapped[str | None] = mapped_column("htmlBody", Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False,
                                        default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column("nextAttemptAt", UTCDateTime(),
                                                      nullable=False, default=utcnow)
    # A delivery lease: while it lies in the future no other worker takes the row.
    claimed_until: Mapped[datetime | None] = mapped_column("claimedUntil", UTCDateTime())
    # Who holds the lease (random per claim): a late worker cannot record over another.
    claimed_by: Mapped[str | None] = mapped_column("claimedBy", String(32))
    # The class and server answer of the last failure; never a body or a credential.
    last_error: Mapped[str | None] = mapped_column("lastError", String(500))
    created_at: Mapped[datetime] = mapped_column("createdAt", UTCDateTime(), nullable=False,
                                                 default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column("sentAt", UTCDateTime())
