"""Helpers for the signing-key tests: read rows fresh, move a key's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.keys.models import SigningKey

JWKS = "/.well-known/jwks.json"


def rows() -> list[SigningKey]:
    """Every signing_keys row, oldest first, read fresh."""
    db.session.expire_all()
    found = db.session.scalars(select(SigningKey).order_by(SigningKey.sequence)).all()
    db.session.rollback()
    return found


def move(kid: str, **columns: timedelta) -> None:
    """Shift a key's timestamps (`signs_from=-timedelta(hours=1)`: it signs since an hour)."""
    names = {"signs_from": "signsFrom", "published_until": "publishedUntil",
             "retired_at": "retiredAt"}
    row = next(r for r in rows() if r.kid == kid)
    values = {names[name]: getattr(row, name) + delta for name, delta in columns.items()}
    table = SigningKey.__table__
    with db.engine.begin() as connection:
        connection.execute(update(table).where(table.c.kid == kid).values(**values))
    db.session.rollback()  # nothing loaded before the change is used after it


def published_kids(client) -> list[str]:
    """The kids the JWKS endpoint lists now."""
    response = client.get(JWKS)
    assert response.status_code == 200
    return [key["kid"] for key in response.get_json()["keys"]]


def now() -> datetime:
    """Now, timezone-aware, to the second."""
    return datetime.now(UTC).replace(microsecond=0)
