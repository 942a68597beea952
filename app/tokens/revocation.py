"""Revoked token ids, in a store every worker and instance shares.

Two backends behind one small interface, chosen by REVOCATION_STORE_URL: the database
(default; table `revoked_tokens`, expired rows purged) or Redis (`redis://...`; each key
expires by itself when the token would have).

Every authenticated request asks the store one question, `lookup`: the user the token
names together with "is any of the token's revocation keys revoked" (its `jti`, and
`sid:<id>`, the key that ending a sign-in session revokes: see `session_key`). One SQL
statement with the database store; one Redis round trip with the Redis store, whose user
rows are cached (app/tokens/user_cache.py).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import redis
from flask import Flask, current_app, has_app_context
from sqlalchemy import bindparam, delete, exists, select
from sqlalchemy.exc import IntegrityError

from app.db_types import utcnow
from app.exceptions import ServiceUnavailable
from app.extensions import db
from app.prepared import PreparedSelect
from app.redis_url import redis_client
from app.settings import settings_of
from app.tokens.models import RevokedToken
from app.tokens.rows import READ_COLUMNS, attach
from app.tokens.user_cache import UserCache
from app.users.models import User

EXTENSION_KEY = "signet.revocation"
DATABASE_STORE = "database"
# Purging on every revoke would make concurrent logouts contend on the same index range.
PURGE_INTERVAL_SECONDS = 300
log = logging.getLogger(__name__)
# The database store's one statement: the user's columns and whether the token's id or its
# session's key is revoked (the same key twice for a token with one).
LOOKUP = PreparedSelect(select(
    *READ_COLUMNS,
    exists().where(RevokedToken.jti.in_([bindparam("jti"), bindparam("other_key")]))
    .label("revoked"),
).where(User.id == bindparam("user_id")))


@dataclass(frozen=True, slots=True)
class TokenLookup:
    """The answer of one lookup for a token: its user (None if gone) and its revocation."""

    user: User | None
    revoked: bool


class RevocationStore(Protocol):
    """Where revoked token ids live until the tokens would have expired anyway."""

    def lookup(self, user_id: int, keys: Sequence[str]) -> TokenLookup:
        """The user and whether any of `keys` is revoked, in one round trip."""

    def is_revoked(self, jti: str) -> bool:
        """True when the token id was revoked."""

    def revoke(self, jti: str, expires_at: datetime) -> bool:
        """Refuse `jti` until `expires_at`; False when it was already revoked."""

    def purge_expired(self) -> int:
        """Drop entries whose tokens have expired; return how many were dropped."""


class DatabaseRevocationStore:
    """Rows in `revoked_tokens`; writes join the caller's transaction (caller commits)."""

    def __init__(self) -> None:
        self._next_purge = 0.0

    def lookup(self, user_id: int, keys: Sequence[str]) -> TokenLookup:
        """One statement: the user's row and an EXISTS over the revoked keys."""
        first, *others = keys
        if len(others) > 1:
            raise ValueError("a token has at most two revocation keys")
        parameters = {"user_id": user_id, "jti": first, "other_key": others[0] if others else first}
        # Not the ORM: one statement compiled once and run on the driver (app/prepared.py),
        # no ORM loading for the one row (app/tokens/rows.py builds the User).
        rows = LOOKUP.rows(parameters)
        if not rows:
            return TokenLookup(user=None, revoked=False)
        row = dict(zip(LOOKUP.names, rows[0], strict=True))
        return TokenLookup(user=attach(row), revoked=row["revoked"])

    def is_revoked(self, jti: str) -> bool:
        """True when a row names the token id."""
        query = select(RevokedToken.id).where(RevokedToken.jti == jti)
        return db.session.scalar(query) is not None

    def revoke(self, jti: str, expires_at: datetime) -> bool:
        """Insert a row; the unique jti decides races between two revocations."""
        self._purge_now_and_then()
        try:
            with db.session.begin_nested():
                db.session.add(RevokedToken(jti=jti, expires_at=expires_at))
        except IntegrityError:
            return False
        return True

    def purge_expired(self) -> int:
        """Delete rows whose tokens have expired. Caller commits."""
        result = db.session.execute(
            delete(RevokedToken).where(RevokedToken.expires_at < utcnow())
        )
        return result.rowcount

    def _purge_now_and_then(self) -> None:
        now = time.monotonic()
        if now >= self._next_purge:
            self._next_purge = now + PURGE_INTERVAL_SECONDS
            purged = self.purge_expired()
            if purged:
                log.info("purged %d expired revoked-token rows", purged)


class RedisRevocationStore:
    """One key per revoked token id, with a TTL equal to the token's remaining life."""

    def __init__(self, url: str, *, key_prefix: str, user_cache_ttl: int = 3600) -> None:
        self._redis = redis_client(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = f"{key_prefix}revoked:"
        self.users = UserCache(self._redis, key_prefix=key_prefix, ttl=user_cache_ttl)

    def lookup(self, user_id: int, keys: Sequence[str]) -> TokenLookup:
        """One MGET: the cached user row, its generation and the revocation keys."""
        try:
            entry, generation, *revoked = self._redis.mget(
                self.users.entry_key(user_id), self.users.generation_key(user_id),
                *(self._prefix + key for key in keys))
        except redis.RedisError as error:
            raise _store_down(error) from error
        if any(value is not None for value in revoked):
            return TokenLookup(user=None, revoked=True)
        return TokenLookup(user=self.users.resolve(user_id, entry, generation), revoked=False)

    def is_revoked(self, jti: str) -> bool:
        """True when the key exists (Redis drops it once the token has expired)."""
        try:
            return bool(self._redis.exists(self._prefix + jti))
        except redis.RedisError as error:
            raise _store_down(error) from error

    def revoke(self, jti: str, expires_at: datetime) -> bool:
        """SET NX with an expiry: atomic, so only one of two racing revocations wins."""
        ttl = max(1, math.ceil((expires_at - utcnow()).total_seconds()))
        try:
            return bool(self._redis.set(self._prefix + jti, b"1", ex=ttl, nx=True))
        except redis.RedisError as error:
            raise _store_down(error) from error

    def purge_expired(self) -> int:
        """Nothing to do: every key carries its own expiry."""
        return 0


def _store_down(error: Exception) -> ServiceUnavailable:
    log.error("revocation store unavailable: %s", error)
    return ServiceUnavailable("The token revocation store is temporarily unavailable.")


def build_store(url: str, *, key_prefix: str = "signet:",
                user_cache_ttl: int = 3600) -> RevocationStore:
    """Return the store REVOCATION_STORE_URL names ("database" or a redis:// URL).

    The settings checked the URL at start-up: anything but "database" is Redis's.
    """
    if url == DATABASE_STORE:
        return DatabaseRevocationStore()
    return RedisRevocationStore(url, key_prefix=key_prefix, user_cache_ttl=user_cache_ttl)


def init_revocation_store(app: Flask) -> None:
    """Build this app's revocation store from its configuration."""
    configured = settings_of(app).revocation
    app.extensions[EXTENSION_KEY] = build_store(
        configured.store_url, key_prefix=configured.key_prefix,
        user_cache_ttl=configured.user_cache_ttl,
    )


def current_user_cache() -> UserCache | None:
    """The current app's user cache, or None (no app, or a store without one)."""
    if not has_app_context():
        return None
    store = current_app.extensions.get(EXTENSION_KEY)
    return getattr(store, "users", None)



def current_store() -> RevocationStore:
    """The revocation store of the current app."""
    return current_app.extensions[EXTENSION_KEY]


def lookup(user_id: int, keys: Sequence[str]) -> TokenLookup:
    """The user and whether any of the token's revocation keys is revoked."""
    return current_store().lookup(user_id, keys)


def is_revoked(jti: str) -> bool:
    """True when the token id was revoked."""
    return current_store().is_revoked(jti)


def session_key(session_id: int) -> str:
    """The key that, once revoked, refuses every token of sign-in session `session_id`."""
    return f"sid:{session_id}"


def revoke(jti: str, expires_at: datetime) -> bool:
    """Refuse `jti` until `expires_at`; False when it was already revoked."""
    return current_store().revoke(jti, expires_at)


def purge_expired() -> int:
    """Drop expired entries from the store; return how many. Caller commits."""
    return current_store().purge_expired()
