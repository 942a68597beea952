"""The `audit_events` table: security events, kept after the people they name are gone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db

MAX_ACTION_LENGTH = 64
MAX_IP_LENGTH = 45  # the longest textual IPv6 address (IPv4-mapped)
MAX_REQUEST_ID_LENGTH = 128  # app.request_id accepts ids up to this long


class AuditEvent(db.Model):
    """One security event. `actorId`/`subjectId` are plain integers, not foreign keys,
    so an event keeps the numeric id of an account after that account is deleted."""

    __tablename__ = "audit_events"
    # Every listing is keyset-paginated by id, newest first, optionally filtered by one
    # column: an index on (filter, id) answers each page with a range scan. createdAt is
    # indexed for the retention purge.
    __table_args__ = (
        Index("ix_audit_events_action_id", "action", "id"),
        Index("ix_audit_events_actorId_id", "actorId", "id"),
        Index("ix_audit_events_subjectId_id", "subjectId", "id"),
        Index("ix_audit_events_createdAt", "createdAt"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(MAX_ACTION_LENGTH), nullable=False)
    actor_id: Mapped[int | None] = mapped_column("actorId", Integer, nullable=True)
    subject_id: Mapped[int | None] = mapped_column("subjectId", Integer, nullable=True)
    ip: Mapped[str | None] = mapped_column(String(MAX_IP_LENGTH), nullable=True)
    request_id: Mapped[str | None] = mapped_column(
        "requestId", String(MAX_REQUEST_ID_LENGTH), nullable=True)
    details: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", UTCDateTime(), default=utcnow, nullable=False)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action}>"
