"""Sign-in sessions: started by a login, rotated by refresh, listed and ended by people.

A session is one row of `sessions`. Every token of a sign-in carries its id (`sid`).
Ending a session marks the row ended and revokes the key `sid:<id>` in the revocation
store until the session's refresh token would have expired, so every worker and instance
refuses its access and refresh tokens from the next request on.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import has_request_context, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.audit import record_event
from app.db_types import utcnow
from app.exceptions import NotFound, Unauthorized
from app.extensions import db
from app.sessions.models import USER_AGENT_MAX_LENGTH, UserSession
from app.settings import settings
from app.tokens import revocation
from app.transactions import transaction
from app.users.models import User

log = logging.getLogger(__name__)
# The contract's list has no pages: the newest this many live sessions are shown.
SESSIONS_LISTED = 100
# lastUsedAt is a hint for people ("used 3 minutes ago"): written at most once a minute.
TOUCH_INTERVAL_SECONDS = 60
# The per-worker memory of recent touches is dropped whole when it grows past this.
TOUCH_MEMO_SIZE = 10_000
# JWT expiries are whole seconds taken a moment after ours: revoke a little longer.
EXPIRY_MARGIN = timedelta(seconds=2)
_touched: dict[int, float] = {}


def start_session(user: User, *, auth_methods: tuple[str, ...] = ("pwd",)) -> UserSession:
    """Add a session row for a new sign-in of `user` from this request. Caller commits.

    `auth_methods` are the OpenID `amr` values of the sign-in (pwd, otp, hwk, fed).
    """
    ip, agent = _client()
    session = UserSession(user_id=user.id, ip=ip, user_agent=agent,
                          auth_methods=" ".join(auth_methods),
                          token_version=user.token_version, refresh_jti=new_refresh_jti(),
                          expires_at=refresh_expiry())
    db.session.add(session)
    db.session.flush()
    _touched[session.id] = time.monotonic()
    return session


def new_refresh_jti() -> str:
    """A fresh refresh token id."""
    return str(uuid.uuid4())


def refresh_expiry() -> datetime:
    """When a refresh token issued now expires (a little later, never earlier)."""
    lifetime = timedelta(seconds=settings().tokens.refresh_expires)
    return utcnow() + lifetime + EXPIRY_MARGIN


def rotate(*, user_id: int, session_id: int, presented_jti: str) -> str:
    """Make a new refresh token id the session's current one and return it. Commits.

    One compare-and-set UPDATE decides: of two requests exchanging the same token, exactly
    one matches the current id. A token that is not the current one is either the loser
    of such a race (the previous token, rotated less than REFRESH_REUSE_GRACE_SECONDS ago:
    a plain 401, the winner's session lives on) or a replay of a rotated token, which ends
    the whole session (reuse detection, RFC 9700 section 4.14.2).
    """
    now, new_jti = utcnow(), new_refresh_jti()
    with transaction():
        result = db.session.execute(
            update(UserSession)
            .where(UserSession.id == session_id, UserSession.user_id == user_id,
                   UserSession.refresh_jti == presented_jti, UserSession.ended_at.is_(None))
            .values(refresh_jti=new_jti, previous_refresh_jti=presented_jti, rotated_at=now,
                    last_used_at=now, expires_at=refresh_expiry())
            .execution_options(synchronize_session=False))
    if result.rowcount == 1:
        return new_jti
    session = db.session.get(UserSession, session_id, populate_existing=True)
    if session is None or session.user_id != user_id or session.ended_at is not None:
        raise Unauthorized("This session has ended; sign in again.")
    grace = timedelta(seconds=settings().tokens.refresh_reuse_grace_seconds)
    if (session.previous_refresh_jti == presented_jti and session.rotated_at is not None
            and now - session.rotated_at < grace):
        raise Unauthorized("This refresh token has already been used.")
    with transaction():  # the session ends for good, though this request fails
        _end([session], now)
        record_event("auth.refresh_reuse", actor_id=user_id, subject_id=user_id,
                     details={"session": session_id})
    raise Unauthorized("This refresh token was already used, so its session was ended; "
                       "sign in again.")


def list_sessions(*, user_id: int) -> list[UserSession]:
    """The user's live sessions, newest first (at most SESSIONS_LISTED)."""
    query = (_live(user_id).order_by(UserSession.id.desc()).limit(SESSIONS_LISTED))
    return list(db.session.scalars(query))


def end_session(*, user: User, session_id: int) -> None:
    """End one of the user's own sessions. Commits; NotFound for anyone else's."""
    session = db.session.scalar(_live(user.id).where(UserSession.id == session_id))
    if session is None:
        raise NotFound("No such session.")
    with transaction():
        _end([session], utcnow())
        record_event("session.revoked", actor_id=user.id, subject_id=user.id,
                     details={"session": session_id})


def end_other_sessions(*, user: User, current_session_id: int | None) -> None:
    """End every live session of the user but the current one. Commits."""
    query = _live(user.id)
    if current_session_id is not None:
        query = query.where(UserSession.id != current_session_id)
    with transaction():
        ended = _end(db.session.scalars(query), utcnow())
        record_event("session.revoked", actor_id=user.id, subject_id=user.id,
                     details={"sessions": ended})


def end_current_session(*, user_id: int, session_id: int) -> None:
    """Sign out: end the session the request's token belongs to. Commits."""
    with transaction():
        session = db.session.scalar(_live(user_id).where(UserSession.id == session_id))
        if session is not None:
            _end([session], utcnow())


def list_user_sessions(*, user_id: int) -> list[UserSession]:
    """An admin's view of a user's live sessions; NotFound for an unknown user."""
    _require_user(user_id)
    return list_sessions(user_id=user_id)


def end_user_sessions(*, admin: User, user_id: int) -> None:
    """An admin signs a user out everywhere. Commits; NotFound for an unknown user."""
    _require_user(user_id)
    with transaction():
        ended = _end(db.session.scalars(_live(user_id)), utcnow())
        record_event("admin.sessions_revoked", actor_id=admin.id, subject_id=user_id,
                     details={"sessions": ended})


def end_every_session(*, user_id: int) -> list[int]:
    """End every live session of the user; return their ids. Caller commits."""
    return _end(db.session.scalars(_live(user_id)), utcnow())


def started_at(session_id: int) -> datetime | None:
    """When the sign-in session `session_id` started; None if there is no such session."""
    return db.session.scalar(select(UserSession.created_at).where(UserSession.id == session_id))


def touch_session(session_id: int) -> None:
    """Stamp the session's lastUsedAt, at most once a minute: never a write per request.

    Each worker remembers when it last stamped a session and skips the database until a
    minute has passed; the UPDATE itself only matches a stale row, so several workers
    write the row at most once a minute together. It runs in its own short transaction
    (a read-only request has nothing to commit) and a failure only costs the stamp.
    """
    now = time.monotonic()
    if now - _touched.get(session_id, -math.inf) < TOUCH_INTERVAL_SECONDS:
        return
    if len(_touched) >= TOUCH_MEMO_SIZE:
        _touched.clear()
    _touched[session_id] = now
    stamp = utcnow()
    table = UserSession.__table__
    try:
        with db.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.id == session_id, table.c.endedAt.is_(None),
                       table.c.lastUsedAt < stamp - timedelta(seconds=TOUCH_INTERVAL_SECONDS))
                .values(lastUsedAt=stamp))
    except SQLAlchemyError as error:
        log.warning("could not stamp session %s as used: %s", session_id, error)


def _live(user_id: int):
    # Sessions of an older token version died with a password change or deactivation.
    return select(UserSession).join(User, User.id == UserSession.user_id).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None),
        UserSession.expires_at > utcnow(), UserSession.token_version == User.token_version)


def purge_expired_sessions() -> int:
    """Delete session rows whose refresh token has expired; return how many. Caller commits.

    Their revocation keys expire at the same moment, so nothing refers to them any more.
    """
    result = db.session.execute(delete(UserSession).where(UserSession.expires_at < utcnow()))
    return result.rowcount


def _end(sessions: Iterable[UserSession], now: datetime) -> list[int]:
    """Mark sessions ended and refuse their tokens everywhere; return their ids."""
    ended = []
    for session in list(sessions):  # read them all before the store writes
        session.ended_at = now
        revocation.revoke(revocation.session_key(session.id), session.expires_at)
        ended.append(session.id)
    return ended


def _require_user(user_id: int) -> None:
    if db.session.get(User, user_id) is None:
        raise NotFound("No such user.")


def _client() -> tuple[str | None, str | None]:
    """The client's address (after TRUSTED_PROXY_COUNT proxies) and its user agent."""
    if not has_request_context():
        return None, None
    agent = request.user_agent.string[:USER_AGENT_MAX_LENGTH] or None
    return request.remote_addr, agent


def purge_expired_revocations() -> int:
    """Drop revocation entries and sessions whose tokens have expired; return how many."""
    with transaction():
        return revocation.purge_expired() + purge_expired_sessions()
