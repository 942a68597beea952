"""The keys interface other packages use: the key that signs now, and the published ones."""

from __future__ import annotations

import time

from app.keys.keyring import ActiveKey, keyring
from app.keys.keyring import choose as choose_record
from app.keys.service import make_first_key


def signing_key() -> ActiveKey:
    """The key to sign with now; makes the first key when none may sign (race-safe)."""
    ring = keyring()
    record = choose_record(ring.current(), time.time())
    if record is None:  # perhaps another worker made one since this worker last read
        ring.reload()
        record = choose_record(ring.records, time.time())
    if record is None:
        make_first_key()
        ring.reload()
        record = choose_record(ring.records, time.time())
    if record is None:  # pragma: no cover - the insert above committed or lost to another
        raise RuntimeError("no signing key could be made")
    return ring.unsealed(record)


def published_jwks() -> dict:
    """The JWK Set of every published public key: {"keys": [...]} (kid, alg, use="sig")."""
    ring = keyring()
    now = time.time()
    if choose_record(ring.current(), now) is None:
        signing_key()  # a first key is made when none may sign
    records = sorted(ring.records, key=lambda r: r.sequence, reverse=True)
    return {"keys": [dict(r.public_jwk) for r in records if r.is_published(now)]}


def public_key_for(kid: str) -> dict | None:
    """The published public JWK named `kid`, or None."""
    record = keyring().find(kid) if isinstance(kid, str) else None
    return None if record is None else dict(record.public_jwk)
