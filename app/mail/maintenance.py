"""Outbox housekeeping: what `flask mail status` reports and what `flask mail purge` drops."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, or_, select

from app.db_types import utcnow
from app.extensions import db
from app.mail.models import MailStatus, OutboxMessage
from app.transactions import transaction


def purge_finished(*, older_than: timedelta) -> int:
    """Delete the traces of messages delivered, or rejected, longer ago than `older_than`.

    Return how many rows went. Unsent messages are never purged, however old.
    """
    # The last hour's rows count toward MAIL_PER_ADDRESS_PER_HOUR: never purged earlier.
    cutoff = utcnow() - max(older_than, timedelta(hours=1))
    with transaction():
        result = db.session.execute(delete(OutboxMessage).where(or_(
            (OutboxMessage.status == MailStatus.SENT) & (OutboxMessage.sent_at < cutoff),
            # A rejected row was last tried when its nextAttemptAt came (rejection leaves it).
            (OutboxMessage.status == MailStatus.REJECTED)
            & (OutboxMessage.next_attempt_at < cutoff),
        )))
    return result.rowcount


def outbox_status() -> dict:
    """Counts per status and the age in seconds of the oldest unsent message."""
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    oldest = db.session.scalar(select(func.min(OutboxMessage.created_at))
                               .where(OutboxMessage.status.in_(MailStatus.UNSENT)))
    age = None if oldest is None else int((utcnow() - oldest).total_seconds())
    return {"pending": counts.get(MailStatus.PENDING, 0),
            "failing": counts.get(MailStatus.FAILING, 0),
            "sent": counts.get(MailStatus.SENT, 0),
            "rejected": counts.get(MailStatus.REJECTED, 0),
            "oldest_unsent_seconds": age}
