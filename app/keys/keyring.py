"""Each worker's copy of the keys, and which of them signs now.

A worker reads the signing_keys table at most every SIGNING_KEY_REFRESH_SECONDS (one
small query on a connection of its own), so instances sharing a database agree on the
current key without a restart: a rotated key is published long before it signs
(SIGNING_KEY_PUBLISH_SECONDS), and the choice is made against the clock on every call, so
it changes on time whenever the copy was read. Between reads a call costs a few attribute
lookups; private keys are decrypted once per worker.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import or_, select

from app.extensions import db
from app.keys import crypto, settings
from app.keys.models import SigningKey

EXTENSION_KEY = "signet.keyring"
# A kid this worker does not know (a key another instance made a moment ago, or a forged
# token's) re-reads the table at most this often: garbage cannot turn into a query storm.
UNKNOWN_KID_RELOAD_SECONDS = 1.0


@dataclass(frozen=True)
class ActiveKey:
    """The key to sign with now."""

    kid: str
    alg: str  # "ES256" | "EdDSA" | "RS256"
    private_jwk: dict  # JWK with private parts (kid, alg, use included), for joserfc/Authlib


@dataclass(frozen=True)
class KeyRecord:
    """One row of signing_keys as a worker keeps it (times as POSIX seconds)."""

    sequence: int
    kid: str
    alg: str
    public_jwk: dict
    sealed: str | None
    signs_from: float
    retired_at: float | None
    published_until: float | None

    def is_published(self, now: float) -> bool:
        """Listed in the JWKS: from creation until every token it signed has expired."""
        return self.published_until is None or now < self.published_until

    def may_sign(self) -> bool:
        """Not retired, and its private half still held."""
        return self.retired_at is None and self.sealed is not None


def choose(records: tuple[KeyRecord, ...], now: float) -> KeyRecord | None:
    """The key that signs at `now`: the newest whose publication delay has passed.

    When none has (only possible if the signing key was retired by hand), the published
    key nearest to signing; None when no key may sign at all.
    """
    ready = [r for r in records if r.may_sign() and r.signs_from <= now]
    if ready:
        return max(ready, key=lambda r: (r.signs_from, r.sequence))
    waiting = [r for r in records if r.may_sign()]
    return min(waiting, key=lambda r: (r.signs_from, r.sequence)) if waiting else None


class Keyring:
    """The keys as this worker last read them, and what it derived from them."""

    def __init__(self) -> None:
        self.records: tuple[KeyRecord, ...] = ()
        self.loaded_at = -math.inf  # time.monotonic() of the last read
        # Derived once per key and worker: decrypted private keys, library key objects.
        self.active: dict[str, ActiveKey] = {}
        self.objects: dict[tuple[str, bool], object] = {}  # (kid, private) -> key object

    def current(self) -> tuple[KeyRecord, ...]:
        """The records, read again when older than SIGNING_KEY_REFRESH_SECONDS."""
        if time.monotonic() - self.loaded_at >= settings.refresh_seconds():
            self.reload()
        return self.records

    def reload(self) -> None:
        """Read the published keys from the database now."""
        self.records = read_records(datetime.now(UTC))
        self.loaded_at = time.monotonic()
        # A retired key's private half is gone from the table: let it go from memory too.
        signers = {record.kid for record in self.records if record.may_sign()}
        for kid in [kid for kid in self.active if kid not in signers]:
            self.active.pop(kid, None)
            self.objects.pop((kid, True), None)

    def find(self, kid: str) -> KeyRecord | None:
        """The published record named `kid`, re-reading (rate-limited) when unknown."""
        now = time.time()
        for record in self.current():
            if record.kid == kid:
                return record if record.is_published(now) else None
        if time.monotonic() - self.loaded_at >= UNKNOWN_KID_RELOAD_SECONDS:
            self.reload()
            return next((r for r in self.records if r.kid == kid and r.is_published(now)),
                        None)
        return None

    def unsealed(self, record: KeyRecord) -> ActiveKey:
        """The ActiveKey of a record, decrypting its private half once per worker."""
        active = self.active.get(record.kid)
        if active is None:
            active = ActiveKey(kid=record.kid, alg=record.alg,
                               private_jwk=crypto.unseal(record.sealed))
            self.active[record.kid] = active
        return active


def keyring() -> Keyring:
    """This app's keyring (one per app and worker process)."""
    ring = current_app.extensions.get(EXTENSION_KEY)
    if ring is None:
        ring = current_app.extensions[EXTENSION_KEY] = Keyring()
    return ring


def read_records(now: datetime) -> tuple[KeyRecord, ...]:
    """The published keys, on a connection of its own.

    Never through the request's session: its transaction may predate a key another
    worker has just committed (MariaDB's repeatable read would hide it), and the read
    must neither commit nor roll back the request's own work.
    """
    table = SigningKey.__table__
    query = select(table).where(or_(table.c.publishedUntil.is_(None),
                                    table.c.publishedUntil > now.replace(microsecond=0)))
    with db.engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return tuple(KeyRecord(
        sequence=row["sequence"], kid=row["kid"], alg=row["alg"],
        public_jwk=json.loads(row["publicJwk"]), sealed=row["sealedPrivateJwk"],
        signs_from=row["signsFrom"].timestamp(),
        retired_at=_timestamp(row["retiredAt"]),
        published_until=_timestamp(row["publishedUntil"])) for row in rows)


def _timestamp(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()
