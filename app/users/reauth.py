"""Sensitive changes need a recent sign-in (contract: "Limits that keep the service up").

Adding or removing a passkey, turning on TOTP, creating a personal token, linking an
identity and changing the email are what a thief holding a 15-minute access token (or a
stranger who registered someone else's address first) would do to stay in: each asks for
proof that the person at the keyboard can sign in now, not only that a token is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask, current_app
from flask_jwt_extended import get_jwt

from app.db_types import utcnow
from app.exceptions import InvalidField
from app.settings import settings
from app.users.models import User
from app.users.passwords import check_current_password

FIELD = "current_password"
SESSION_START_KEY = "signet.users.session_started_at"


def register_session_start(app: Flask, started_at: Callable[[int], datetime | None]) -> None:
    """Let the sessions domain say when a sign-in session started (None: no such session)."""
    # Sessions rank above users (and above tokens and mfa, which ask for a recent sign-in):
    # the lookup is handed down at start-up instead of imported.
    app.extensions[SESSION_START_KEY] = started_at


def has_password(user: User) -> bool:
    """True when the account signs in with a password.

    Accounts created by a provider sign-in have none (an empty hash) until a reset sets one.
    """
    loaded = user.__dict__.get("password_hash")
    if loaded is not None:  # this request loaded (or just set) the hash: it is the truth
        return bool(loaded)
    return bool(user.has_password)


def signed_in_recently() -> bool:
    """True when this request's session started within REAUTH_SECONDS (no password asked)."""
    return _session_started_recently()


def require_recent_sign_in(user: User, current_password: str | None) -> None:
    """Refuse a sensitive change unless this request proves a recent sign-in.

    With a password: `current_password` must be sent (422 naming it) and right (401).
    Without one: the request's session must have started within REAUTH_SECONDS.
    """
    if has_password(user):
        if not current_password:
            raise InvalidField(FIELD, "Required: this change needs your current password.")
        check_current_password(user, current_password)
        return
    if not _session_started_recently():
        raise InvalidField(FIELD, "Sign in again: this change needs a recent sign-in.",
                           status=401)


def _session_started_recently() -> bool:
    session_id = get_jwt().get("sid")
    started_at = current_app.extensions.get(SESSION_START_KEY)
    created_at = started_at(session_id) if session_id is not None and started_at else None
    if created_at is None:
        return False
    window = timedelta(seconds=settings().accounts.reauth_seconds)
    return utcnow() - created_at <= window
