"""Mailed tokens: email verification, password reset, change of email, invitations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from app.users.models import EMAIL_TYPE


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
