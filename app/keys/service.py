"""Key operations: the first key, rotation, retirement, re-encryption, the listing."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.db_types import utcnow
from app.exceptions import Conflict, NotFound
from app.extensions import db
from app.keys import crypto, settings
from app.keys.models import SigningKey
from app.transactions import ROLLED_BACK, error_code, retried, transaction


@dataclass(frozen=True)
class KeyStatus:
    """One key as `flask keys list` shows it."""

    kid: str
    alg: str
    state: str  # waiting | signing | verifying | retired | unpublished
    created_at: datetime
    signs_from: datetime
    published_until: datetime | None


def make_first_key() -> None:
    """Make a key that signs at once, unless another worker made one meanwhile.

    Runs on a connection of its own, committed at once: the key must not wait for (or be
    rolled back with) the request that needed it. The unique `sequence` settles a race:
    of two workers inserting the same next number, one insert fails and that worker
    uses the winner's key. On SQLite call it before the request's first write: the
    database has one write lock, and the request would hold it (refused at once, not a
    deadlock until the busy timeout).
    """
    _refuse_waiting_for_own_lock()
    new = crypto.generate(settings.new_key_algorithm())
    now = utcnow()
    table = SigningKey.__table__
    try:
        with db.engine.begin() as connection:
            last = _last_sequence_unless_one_signs(connection)
            if last is None:
                return
            connection.execute(insert(table).values(
                sequence=last + 1, kid=new.kid, alg=new.alg,
                publicJwk=json.dumps(new.public_jwk), createdAt=now, signsFrom=now,
                sealedPrivateJwk=crypto.seal(new.private_jwk)))
    except IntegrityError:
        pass  # another worker's key won: the caller reads it
    except DBAPIError as error:
        # Galera reports the same lost race as a certification failure (deadlock).
        if error_code(error) not in ROLLED_BACK:
            raise


def _refuse_waiting_for_own_lock() -> None:
    """Raise when the request's own SQLite transaction holds the lock the insert needs."""
    session = db.session()
    if session.get_transaction() is None:
        return
    driver = session.connection().connection.dbapi_connection
    if isinstance(driver, sqlite3.Connection) and driver.in_transaction:
        raise RuntimeError("The first signing key is needed after this request wrote: on "
                           "SQLite ask for signing_key() before the first write.")


def _last_sequence_unless_one_signs(connection) -> int | None:
    """The highest key number, or None when a key may sign already.

    One statement, so one snapshot of the latest commit (app/db_driver.py): a key another
    worker committed before it is seen and used; one committed after it took the number
    this worker is about to insert, and the insert fails on the unique sequence.
    """
    table = SigningKey.__table__
    signable = select(table.c.id).where(table.c.retiredAt.is_(None),
                                        table.c.sealedPrivateJwk.is_not(None)).exists()
    last, exists = connection.execute(select(func.max(table.c.sequence), signable)).one()
    return None if exists else (last or 0)


@retried
def rotate_key(*, alg: str | None = None, sign_now: bool = False) -> SigningKey:
    """Add a key, published at once, signing after SIGNING_KEY_PUBLISH_SECONDS. Commits.

    `sign_now` skips the delay (after a leak): verifiers holding an older copy of the
    JWKS refuse its tokens until they fetch it again.
    """
    new = crypto.generate(alg or settings.new_key_algorithm())
    now = utcnow()
    delay = 0 if sign_now else settings.publish_seconds()
    with transaction():
        last = db.session.scalar(select(func.max(SigningKey.sequence)))
        key = SigningKey(sequence=(last or 0) + 1, kid=new.kid, alg=new.alg,
                         public_jwk=json.dumps(new.public_jwk),
                         sealed_private_jwk=crypto.seal(new.private_jwk), created_at=now,
                         signs_from=now + timedelta(seconds=delay))
        db.session.add(key)
    return key


@retried
def retire_key(kid: str, *, compromised: bool = False) -> SigningKey:
    """Stop a key signing and destroy its private half; it stays published until every
    token it signed has expired (`compromised`: unpublished at once). Commits.

    Refused for the key that signs now while no other key may sign yet: tokens would
    have to be signed by a key no verifier has had time to fetch.
    """
    now = utcnow()
    with transaction():
        keys = db.session.scalars(select(SigningKey).with_for_update()
                                  .execution_options(populate_existing=True)).all()
        key = next((k for k in keys if k.kid == kid), None)
        if key is None:
            raise NotFound(f"No signing key has the kid {kid!r}.")
        if key.retired_at is not None and not compromised:
            raise Conflict(f"The key {kid} is retired already.")
        others = [k for k in keys if k is not key and k.retired_at is None
                  and k.sealed_private_jwk is not None]
        if key.retired_at is None and _signs_now(key, keys, now) and not any(
                k.signs_from <= now for k in others):
            raise Conflict(f"The key {kid} signs now and no other key may sign yet: run "
                           "`flask keys rotate` and retire it once the new key signs "
                           "(or `flask keys rotate --now` after a leak).")
        key.retired_at = key.retired_at or now
        key.sealed_private_jwk = None
        key.published_until = now if compromised else (
            key.retired_at + timedelta(seconds=settings.retired_key_seconds()))
    return key


def _signs_now(key: SigningKey, keys: list[SigningKey], now: datetime) -> bool:
    ready = [k for k in keys if k.retired_at is None and k.sealed_private_jwk is not None
             and k.signs_from <= now]
    return bool(ready) and max(ready, key=lambda k: (k.signs_from, k.sequence)) is key


@retried
def reseal_keys() -> int:
    """Encrypt every held private key again with the newest encryption key. Commits."""
    with transaction():
        keys = db.session.scalars(select(SigningKey).where(
            SigningKey.sealed_private_jwk.is_not(None))).all()
        for key in keys:
            key.sealed_private_jwk = crypto.reseal(key.sealed_private_jwk)
    return len(keys)


def list_keys() -> list[KeyStatus]:
    """Every key, oldest first, with what it does now."""
    now = utcnow()
    keys = db.session.scalars(select(SigningKey).order_by(SigningKey.sequence)).all()
    db.session.rollback()  # a read: end the transaction it opened
    return [KeyStatus(kid=k.kid, alg=k.alg, state=_state(k, keys, now),
                      created_at=k.created_at, signs_from=k.signs_from,
                      published_until=k.published_until) for k in keys]


def _state(key: SigningKey, keys: list[SigningKey], now: datetime) -> str:
    if key.published_until is not None and key.published_until <= now:
        return "unpublished"
    if key.retired_at is not None:
        return "retired"
    if key.signs_from > now:
        return "waiting"
    return "signing" if _signs_now(key, keys, now) else "verifying"
