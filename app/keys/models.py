"""The signing_keys table: every key Signet signs with or has signed with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db


class SigningKey(db.Model):
    """An asymmetric key pair: the public JWK in clear, the private one sealed (Fernet)."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique, so that of two workers making the first key (number 1) at once, or two
    # rotations taking the same next number, exactly one insert wins.
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    # The RFC 7638 thumbprint of the public key.
    kid: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    alg: Mapped[str] = mapped_column(String(8), nullable=False)
    public_jwk: Mapped[str] = mapped_column("publicJwk", Text, nullable=False)
    # The private JWK, Fernet-encrypted with SIGNING_KEY_ENCRYPTION_KEY; cleared when the
    # key is retired (it never signs again).
    sealed_private_jwk: Mapped[str | None] = mapped_column("sealedPrivateJwk", Text,
                                                            nullable=True)
    created_at: Mapped[datetime] = mapped_column("createdAt", UTCDateTime(), default=utcnow,
                                                 nullable=False)
    # Published from createdAt; signs from signsFrom (publication delay) until retired.
    signs_from: Mapped[datetime] = mapped_column("signsFrom", UTCDateTime(), nullable=False)
    retired_at: Mapped[datetime | None] = mapped_column("retiredAt", UTCDateTime(),
                                                        nullable=True)
    # Unset while not retired; then when every token it signed has expired.
    published_until: Mapped[datetime | None] = mapped_column(
        "publishedUntil", UTCDateTime(), nullable=True, index=True)
