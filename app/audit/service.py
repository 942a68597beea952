"""Recording security events, listing them, and purging the old ones.

An event is a row added to the caller's transaction: it is committed with the change it
records, and a change that is rolled back leaves no event. The matching `app.audit` log
line is written when that transaction commits, so the log and the table always agree.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import has_request_context, request
from sqlalchemy import and_, delete, or_, select, union
from sqlalchemy.orm import Session, SessionTransaction

from app.audit.models import MAX_IP_LENGTH, AuditEvent
from app.extensions import db
from app.pagination import keyset_page
from app.request_id import current_request_id
from app.settings import settings
from app.transactions import transaction

# A child of the "app" logger, which app.request_id gives a handler and the request id.
log = logging.getLogger("app.audit")
ACTION_PATTERN = re.compile(r"^[a-z]+(?:_[a-z]+)*(?:\.[a-z]+(?:_[a-z]+)*)+$")
PENDING_LINES = "signet.audit.pending"


def record_event(action: str, *, actor_id: int | None, subject_id: int | None = None,
                 details: dict | None = None) -> None:
    """Add an audit event to the current transaction; its log line follows the commit.

    `details` must hold nothing secret (no password, token or code): it is stored and
    logged as given.
    """
    if not ACTION_PATTERN.match(action):
        raise ValueError(f"audit actions are dotted lower-case names, got {action!r}")
    in_request = has_request_context()
    entry = AuditEvent(
        action=action, actor_id=actor_id, subject_id=subject_id,
        ip=_client_ip() if in_request else None,
        request_id=current_request_id() if in_request else None,
        details=details or {},
    )
    db.session.add(entry)
    db.session.info.setdefault(PENDING_LINES, []).append(_log_line(entry))


def _client_ip() -> str | None:
    # remote_addr is the client as ProxyFix saw it (TRUSTED_PROXY_COUNT); a forwarded
    # value is client text, so it is bounded here and escaped in the log line.
    return (request.remote_addr or "")[:MAX_IP_LENGTH] or None


def _log_line(entry: AuditEvent) -> str:
    # JSON with ensure_ascii escapes control characters (newlines, ESC, bidi overrides):
    # names and emails inside details cannot forge or colour log lines.
    details = json.dumps(entry.details, ensure_ascii=True, sort_keys=True, default=str)
    return (f"{entry.action} actor={entry.actor_id} subject={entry.subject_id} "
            f"ip={json.dumps(entry.ip)} details={details}")


def write_committed_lines(session: Session) -> None:
    """after_commit: log the lines of the events this commit wrote."""
    for line in session.info.pop(PENDING_LINES, ()):
        log.info("%s", line)


def forget_rolled_back_lines(session: Session, ended: SessionTransaction) -> None:
    """after_transaction_end: drop the lines of events a rollback took back."""
    # After a commit the list is already empty; after a rollback its events never happened.
    if ended.parent is None:
        session.info.pop(PENDING_LINES, None)


def list_events(*, limit: int, cursor: int | None = None, action: str | None = None,
                actor_id: int | None = None, subject_id: int | None = None) -> dict:
    """Return one page of events, newest first, filtered by action, actor and subject."""
    query = select(AuditEvent)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if subject_id is not None:
        query = query.where(AuditEvent.subject_id == subject_id)
    return keyset_page(query, AuditEvent.id, limit=limit, after=cursor)


def events_about(user_id: int):
    """The query of every event where `user_id` is the actor or the subject."""
    return select(AuditEvent).where(
        or_(AuditEvent.actor_id == user_id, AuditEvent.subject_id == user_id))


def list_own_events(*, user_id: int, limit: int, cursor: int | None = None) -> dict:
    """Return one page of the events a user took part in, newest first."""
    # Not events_about's `actorId = ? OR subjectId = ?`: MariaDB merged both indexes and
    # sorted every event of the user (0.7 s for an admin's 143,000). Each column alone is a
    # (column, id) index range read newest first, a page at most; their union is the page.
    branches = []
    for column in (AuditEvent.actor_id, AuditEvent.subject_id):
        branch = select(AuditEvent.id).where(column == user_id)
        if cursor is not None:
            branch = branch.where(AuditEvent.id < cursor)
        newest = branch.order_by(AuditEvent.id.desc()).limit(limit + 1).subquery()
        branches.append(select(newest.c.id))
    ids = union(*branches).subquery("own")
    return keyset_page(select(AuditEvent).join(ids, AuditEvent.id == ids.c.id),
                       AuditEvent.id, limit=limit, after=cursor)


def recorded_since(*, action: str, subject_id: int, since: datetime) -> bool:
    """True when an event `action` about `subject_id` was committed at `since` or later."""
    query = select(AuditEvent.id).where(
        AuditEvent.subject_id == subject_id, AuditEvent.action == action,
        AuditEvent.created_at >= since).limit(1)
    return db.session.scalar(query) is not None


def purge_expired_events(*, now: datetime | None = None,
                         on_batch: Callable[[int, float], None] | None = None) -> int:
    """Delete events older than AUDIT_RETENTION_DAYS in batches; return how many.

    Each batch of AUDIT_PURGE_BATCH_SIZE events is its own short transaction, so a purge of
    millions never holds locks (nor an undo log) for long; `on_batch(count, seconds)` is
    told about each one.
    """
    audit = settings().audit
    cutoff = (now or datetime.now(UTC)) - timedelta(days=audit.retention_days)
    purged = 0
    while True:
        started = time.perf_counter()
        with transaction():
            count = _purge_batch(cutoff, audit.purge_batch_size)
        if on_batch is not None:
            on_batch(count, time.perf_counter() - started)
        purged += count
        if count < audit.purge_batch_size:
            return purged


def _purge_batch(cutoff: datetime, size: int) -> int:
    """Delete the `size` oldest events created before `cutoff` (fewer at the end)."""
    expired = AuditEvent.created_at < cutoff
    # The last of the batch in (createdAt, id) order, read from the createdAt index (which
    # holds the id too): the DELETE is then one range of that index, no list of ids.
    last = db.session.execute(
        select(AuditEvent.created_at, AuditEvent.id).where(expired)
        .order_by(AuditEvent.created_at, AuditEvent.id).limit(1).offset(size - 1)).first()
    if last is not None:
        expired = and_(expired, or_(
            AuditEvent.created_at < last.created_at,
            and_(AuditEvent.created_at == last.created_at, AuditEvent.id <= last.id)))
    return db.session.execute(delete(AuditEvent).where(expired)).rowcount
