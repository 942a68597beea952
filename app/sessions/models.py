"""The `sessions` table: one row per sign-in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db

# Longer user agents are cut: the value is a hint for a person, not an identifier.
USER_AGENT_MAX_LENGTH = 255


class UserSession(db.Model):
    """One sign-in: the refresh token it started and every token rotated from it.

    `refresh_jti` is the one refresh token of the session that may still be exchanged;
    `previous_refresh_jti` and `rotated_at` let a request that lost a race with the
    rotation be told apart from a replay of a stolen, already rotated token.
    """

    __tablename__ = "sessions"
    # A user's sessions, newest first.
    # AUTOINCREMENT on SQLite: a revoked session's `sid:<id>` outlives its row, so an id
    # must never be handed out again (migration 0014).
    __table_args__ = (Index("ix_sessions_userId_id", "userId", "id"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        "userId", ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", UTCDateTime(), default=utcnow, nullable=False)
    last_used_at: Mapped[datetime] = mapped_column(
        "lastUsedAt", UTCDateTime(), default=utcnow, nullable=False)
    # An IPv6 address in its longest text form is 45 characters.
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(
        "userAgent", String(USER_AGENT_MAX_LENGTH), nullable=True)
    # The user's token version at sign-in: a password change or deactivation since then
    # refuses the session's tokens, and the session is no longer listed.
    token_version: Mapped[int] = mapped_column("tokenVersion", Integer, nullable=False)
    refresh_jti: Mapped[str] = mapped_column("refreshJti", String(64), nullable=False)
    previous_refresh_jti: Mapped[str | None] = mapped_column(
        "previousRefreshJti", String(64), nullable=True)
    rotated_at: Mapped[datetime | None] = mapped_column(
        "rotatedAt", UTCDateTime(), nullable=True)
    # When the current refresh token expires: the session's tokens are dead after it.
    expires_at: Mapped[datetime] = mapped_column("expiresAt", UTCDateTime(), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column("endedAt", UTCDateTime(), nullable=True)
    # How the sign-in proved who it was, as OpenID `amr` values separated by spaces
    # (pwd, otp, hwk, fed): ID tokens issued under the session repeat them.
    auth_methods: Mapped[str] = mapped_column(
        "authMethods", String(32), nullable=False, default="pwd", server_default="pwd")
