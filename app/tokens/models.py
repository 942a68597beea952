"""Token tables: revoked token ids and personal access tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db


class RevokedToken(db.Model):
    """A token id refused until its own expiry, after which the row can be purged."""

    __tablename__ = "revoked_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    expires_at: Mapped[datetime] = mapped_column(
        "expiresAt", UTCDateTime(), nullable=False, index=True
    )


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




