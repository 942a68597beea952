"""Tables of the second factors: TOTP secrets, recovery codes, passkeys, ceremonies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db


def _user_fk() -> ForeignKey:
    # Second factors and ceremonies go with the account.
    return ForeignKey("users.id", ondelete="CASCADE")


class TotpSecret(db.Model):
    """A user's TOTP secret (encrypted), pending until a first code confirms it."""

    __tablename__ = "mfa_totp"

    user_id: Mapped[int] = mapped_column("userId", Integer, _user_fk(), primary_key=True)
    secret: Mapped[str] = mapped_column(String(255), nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(
        "confirmedAt", UTCDateTime(), nullable=True)
    # The last time step a code was accepted for: only a later step is accepted again, so
    # a code (even one still inside the ±1 step window) works once.
    last_step: Mapped[int] = mapped_column(
        "lastStep", BigInteger, nullable=False, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", UTCDateTime(), default=utcnow, nullable=False)


class RecoveryCode(db.Model):
    """One single-use recovery code, kept only as its SHA-256."""

    __tablename__ = "mfa_recovery_codes"
    __table_args__ = (UniqueConstraint("userId", "codeHash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column("userId", Integer, _user_fk(), nullable=False)
    code_hash: Mapped[str] = mapped_column("codeHash", String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column("usedAt", UTCDateTime(), nullable=True)


class Passkey(db.Model):
    """A WebAuthn credential: its public key and the last sign counter it reported."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column("userId", Integer, _user_fk(), nullable=False,
                                         index=True)
    # Credential ids run to 1023 bytes: too long for a unique index on MariaDB, so the
    # lookup goes through their SHA-256.
    credential_id_hash: Mapped[str] = mapped_column(
        "credentialIdHash", String(64), nullable=False, unique=True)
    credential_id: Mapped[bytes] = mapped_column("credentialId", LargeBinary, nullable=False)
    public_key: Mapped[bytes] = mapped_column("publicKey", LargeBinary, nullable=False)
    sign_count: Mapped[int] = mapped_column(
        "signCount", BigInteger, nullable=False, default=0, server_default=text("0"))
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", UTCDateTime(), default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(
        "lastUsedAt", UTCDateTime(), nullable=True)


class WebAuthnCeremony(db.Model):
    """A challenge handed out for one registration or sign-in; consumed once."""

    __tablename__ = "webauthn_ceremonies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 of the ceremony handle the client sends back (the handle is a bearer secret).
    handle_hash: Mapped[str] = mapped_column("handleHash", String(64), nullable=False,
                                             unique=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    user_id: Mapped[int | None] = mapped_column("userId", Integer, _user_fk(), nullable=True)
    challenge: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(
        "expiresAt", UTCDateTime(), nullable=False, index=True)
    used_at: Mapped[datetime | None] = mapped_column("usedAt", UTCDateTime(), nullable=True)
