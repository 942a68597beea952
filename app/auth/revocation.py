"""Revoked token ids, kept in the database so every worker and instance sees them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import RevokedToken
from app.db_types import utcnow
from app.extensions import db


def is_revoked(jti: str) -> bool:
    """True when the token id was revoked."""
    return db.session.scalar(select(RevokedToken.id).where(RevokedToken.jti == jti)) is not None


def revoke(jti: str, expires_at: datetime) -> None:
    """Refuse `jti` until `expires_at`; revoking twice is harmless. Caller commits."""
    try:
        with db.session.begin_nested():
            db.session.add(RevokedToken(jti=jti, expires_at=expires_at))
    except IntegrityError:
        pass  # already revoked


def purge_expired() -> int:
    """Delete entries whose tokens have expired anyway; return how many. Caller commits."""
    result = db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    return result.rowcount
