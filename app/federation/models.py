"""Tables of provider sign-in: linked identities and the single-use state of a flow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db


class Identity(db.Model):
    """A provider's account (`issuer`, `sub`) linked to one of ours; never keyed by email."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("issuer", "sub", name="uq_identities_issuer_sub"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The identity goes with the account (deletion), as passkeys do.
    user_id: Mapped[int] = mapped_column(
        "userId", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
        index=True)
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    # 191 characters: a unique index on (issuer, sub) in utf8mb4 stays within MariaDB's
    # 3072-byte key limit with room; issuers and subjects are far shorter in practice.
    issuer: Mapped[str] = mapped_column(String(191), nullable=False)
    sub: Mapped[str] = mapped_column(String(191), nullable=False)
    # The address the provider named at the last sign-in (shown to the owner only).
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", UTCDateTime(), default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(
        "lastUsedAt", UTCDateTime(), nullable=True)


class ProviderFlow(db.Model):
    """A started browser flow, kept only as the SHA-256 of its state: used once, then gone."""

    __tablename__ = "provider_flows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state_hash: Mapped[str] = mapped_column("stateHash", String(64), nullable=False,
                                            unique=True)
    expires_at: Mapped[datetime] = mapped_column("expiresAt", UTCDateTime(), nullable=False,
                                                 index=True)
