"""Tokens sent by mail: issued as ≥128 random bits, stored as a SHA-256 hash, used once.

A token is live while it is unused, unexpired, of the purpose asked for, and its user is
still as it was when the link was mailed: the same token version (a password change or
reset bumps it, so every outstanding link dies with the old password) and, except for a
change of email, the same address (a link sent to an address the account has left is
dead). Consumption is one conditional UPDATE: of two requests racing with one token, the
database lets exactly one set `usedAt`, and the other sees no row to change.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select, update

from app.account.models import EmailToken, TokenPurpose
from app.db_types import utcnow
from app.exceptions import InvalidEmailToken
from app.extensions import db
from app.hashing import token_hash
from app.settings import settings
from app.users.models import User

TOKEN_BYTES = 32  # 256 random bits, 43 URL-safe characters
MAX_TOKEN_LENGTH = 128  # anything longer is not one of ours: refused before any hashing
# The AccountSettings field holding each purpose's lifetime in seconds.
LIFETIME_SETTINGS = {
    TokenPurpose.VERIFY_EMAIL: "email_token_expires",
    TokenPurpose.EMAIL_CHANGE: "email_token_expires",
    TokenPurpose.PASSWORD_RESET: "password_reset_expires",
    TokenPurpose.INVITATION: "invitation_expires",
}


def issue_token(*, user: User, purpose: TokenPurpose, email: str | None = None) -> str:
    """Add a token row for `user` to the session and return the token itself.

    `email` is where the link goes (default: the user's address). The caller commits, in
    the same transaction as the message that carries the token.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    lifetime = getattr(settings().accounts, LIFETIME_SETTINGS[purpose])
    db.session.add(EmailToken(
        token_hash=token_hash(token), purpose=purpose, user_id=user.id,
        email=email or user.email, token_version=user.token_version,
        expires_at=utcnow() + timedelta(seconds=lifetime),
    ))
    return token


def live_token(*, token: str, purposes: Iterable[TokenPurpose]) -> EmailToken:
    """Return the live token row for `token` (not consumed yet), or raise InvalidEmailToken."""
    row = db.session.scalar(select(EmailToken).where(EmailToken.token_hash == token_hash(token)))
    if row is None or row.purpose not in set(purposes) or not _is_live(row):
        raise InvalidEmailToken()
    return row


def consume_token(row: EmailToken) -> None:
    """Mark the token used in the caller's transaction; raise if another request did first.

    The row is locked by the UPDATE until the caller commits or rolls back, so a second
    request waits and then finds `usedAt` set (rowcount 0; MySQL's driver reports matched
    rows, not changed ones, so 1 means this request won).
    """
    result = db.session.execute(
        update(EmailToken)
        .where(EmailToken.id == row.id, EmailToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise InvalidEmailToken()


def _is_live(row: EmailToken) -> bool:
    user = row.user
    if row.used_at is not None or row.expires_at <= utcnow():
        return False
    if user.token_version != row.token_version or not user.is_active:
        return False
    return row.purpose == TokenPurpose.EMAIL_CHANGE or row.email == user.email
