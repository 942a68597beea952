"""Auth tables: revoked token ids, sign-in sessions, personal access tokens, mailed tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from app.users.models import EMAIL_TYPE

# Longer user agents are cut: the value is a hint for a person, not an identifier.
USER_AGENT_MAX_LENGTH = 255


class RevokedToken(db.Model):
    """A token id refused until its own expiry, after which the row can be purged."""

    __tablename__ = "revoked_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    expires_at: Mapped[datetime] = mapped_column(
        "expiresAt", UTCDateTime(), nullable=False, index=True
    )


class UserSession(db.Model):
    """One sign-in: the refresh token it started and every token rotated from it.

    `refresh_jti` is the one refresh token of the session that may still be exchanged;
    `previous_refresh_jti` and `rotated_at` let a request that lost a race with the
    rotation be told apart from a replay of a stolen, already rotated token.
    """

    __tablename__ = "sessions"
    # A user's sessions, newest first.
    __table_args__ = (Index("ix_sessions_userId_id", "userId", "id"),)

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


class PersonalAccessToken(db.Model):
    """A scoped, expiring token for scripts; only the SHA-256 of the secret is stored."""

    __tablename__ = "personal_access_tokens"
    __table_args__ = (Index("ix_personal_access_tokens_userId_id", "userId", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        "userId", ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column("tokenHash", String(64), nullable=False,
                                            unique=True)
    # Space-separated, as OAuth writes scopes.
    scopes: Mapped[str] = mapped_column(String(255), nullable=False)
    # The owner's token version at creation: a password change refuses the token.
    token_version: Mapped[int] = mapped_column("tokenVersion", Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column("expiresAt", UTCDateTime(), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(
        "lastUsedAt", UTCDateTime(), nullable=True)

    @property
    def scope_list(self) -> list[str]:
        """The scopes as a list, in the order they were granted."""
        return self.scopes.split()


class TokenPurpose(enum.StrEnum):
    """What a mailed token may be used for; a token of one purpose never does another."""

    VERIFY_EMAIL = "verify_email"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose name, not a secret
    EMAIL_CHANGE = "email_change"
    INVITATION = "invitation"


class EmailToken(db.Model):
    """A token sent by mail: only its SHA-256 hash is stored, and it is used at most once.

    `email` is the address the link was sent to (for a change of email: the new address);
    `tokenVersion` is the user's token version when it was issued. A token whose user has
    changed password or address since is dead, so no separate clean-up has to run.
    """

    __tablename__ = "email_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column("tokenHash", String(64), nullable=False,
                                            unique=True)
    purpose: Mapped[TokenPurpose] = mapped_column(
        Enum(TokenPurpose, name="email_token_purpose",
             values_callable=lambda purposes: [p.value for p in purposes]),
        nullable=False,
    )
    user_id: Mapped[int] = mapped_column(
        "userId", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    email: Mapped[str] = mapped_column(EMAIL_TYPE, nullable=False)
    token_version: Mapped[int] = mapped_column("tokenVersion", Integer, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(
        "expiresAt", UTCDateTime(), nullable=False, index=True
    )
    used_at: Mapped[datetime | None] = mapped_column("usedAt", UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", UTCDateTime(), default=utcnow, nullable=False
    )

    user = relationship("User", lazy="joined")
