"""The users' rows cached in Redis, so an authenticated request costs no SQL at all.

Used with the Redis revocation store (REVOCATION_STORE_URL=redis://...). Each user has
two keys:

- `user-gen:<id>`, the user's generation: a random value, replaced after every committed
  change of the row, or the marker `busy` while a change is being committed;
- `user:<shape>:<id>`, the cached columns (never the password hash) stamped with the
  generation they were read under. `<shape>` hashes the cached column names: a release
  that adds a column changes the key, so no worker ever reads an entry of another shape.

An entry counts only when its stamp equals the current generation, read in the same MGET
as the entry and the token's revocation keys (one round trip). A reader that finds no
usable entry reads the row from the database and stores it under the generation it saw
*before* that read: if the row changes meanwhile, the generation changes too and the entry
it stores is dead on arrival. Time never decides freshness.

Invalidation (Session events, see `invalidation_listeners`, so every ORM write path is
covered without each one remembering to call it): before the commit of a transaction that
changed a user, its generation becomes `busy` (expiring after BUSY_SECONDS); after the
commit, a new random generation. While `busy`, readers go to the database and store nothing. So:
- if Redis refuses the `busy` write, the commit does not happen: the change fails with 503;
- if Redis refuses the write after the commit, `busy` stays until it expires and readers
  keep reading the database; when it expires the generation is missing, which matches no
  stamp. Either way no stale entry is ever served. (A bounded TTL alone would have served
  stale authority for the TTL; 503 alone cannot undo a committed change.)
Entries and generations still expire after USER_CACHE_TTL, only to free memory.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime

import orjson
import redis
from sqlalchemy.orm import Session

from app.db_types import UTCDateTime
from app.exceptions import ServiceUnavailable
from app.extensions import db
from app.tokens.rows import READ_ATTRIBUTES, attach
from app.users.models import Role, User

BUSY = b"busy"
# Longer than any request can run (gunicorn's timeout is 30 s) so a change still being
# committed is never cached under a fresh generation; short enough that a failed
# post-commit write costs at most this long of database reads for one user.
BUSY_SECONDS = 120
# Part of every entry's key: entries written before a column was added are never read.
ENTRY_SHAPE = hashlib.sha256(",".join(READ_ATTRIBUTES).encode()).hexdigest()[:8]
DATETIME_COLUMNS = tuple(key for key in READ_ATTRIBUTES
                         if isinstance(User.__mapper__.column_attrs[key].columns[0].type,
                                       UTCDateTime))
CHANGED_USERS = "signet.changed_user_ids"
log = logging.getLogger(__name__)


class UserCache:
    """User rows in Redis, each valid only under its user's current generation."""

    def __init__(self, client: redis.Redis, *, key_prefix: str, ttl: int) -> None:
        self._redis = client
        self._prefix = key_prefix
        self._ttl = ttl

    def entry_key(self, user_id: int) -> str:
        """The key of the user's cached row."""
        return f"{self._prefix}user:{ENTRY_SHAPE}:{user_id}"

    def generation_key(self, user_id: int) -> str:
        """The key of the user's generation."""
        return f"{self._prefix}user-gen:{user_id}"

    def resolve(self, user_id: int, entry: bytes | None, generation: bytes | None) -> User | None:
        """The user from a valid entry, else from the database (then cached when allowed)."""
        if entry is not None and generation not in (None, BUSY):
            cached = orjson.loads(entry)
            if cached["g"] == generation.decode():
                return attach(from_json(cached["u"]))
        if generation is None:
            generation = self._start_generation(user_id)
        user = db.session.get(User, user_id)
        if user is not None and generation not in (None, BUSY):
            self._store(user, generation)
        return user

    def begin_change(self, user_ids: set[int]) -> None:
        """Before a commit: mark the users busy, or refuse the commit (503)."""
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for user_id in user_ids:
                    pipe.set(self.generation_key(user_id), BUSY, ex=BUSY_SECONDS)
                pipe.execute()
        except redis.RedisError as error:
            log.error("user cache unavailable, change refused: %s", error)
            raise ServiceUnavailable(
                "The user cache is temporarily unavailable; nothing was changed.") from error

    def end_change(self, user_ids: set[int]) -> None:
        """After a commit: give the users a new generation (their entries die with the old)."""
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for user_id in user_ids:
                    pipe.set(self.generation_key(user_id), secrets.token_hex(8), ex=self._ttl)
                    pipe.delete(self.entry_key(user_id))
                pipe.execute()
        except redis.RedisError as error:
            # The busy marker stays until it expires: readers use the database meanwhile.
            log.error("user cache generation not renewed for users %s: %s",
                      sorted(user_ids), error)

    def _start_generation(self, user_id: int) -> bytes | None:
        key = self.generation_key(user_id)
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(key, secrets.token_hex(8), ex=self._ttl, nx=True)
                pipe.get(key)
                return pipe.execute()[1]
        except redis.RedisError as error:
            log.warning("user cache: no generation for user %s: %s", user_id, error)
            return None

    def _store(self, user: User, generation: bytes) -> None:
        payload = orjson.dumps({"g": generation.decode(), "u": row_of(user)})
        try:
            self._redis.set(self.entry_key(user.id), payload, ex=self._ttl)
        except redis.RedisError as error:
            log.warning("user cache: entry for user %s not stored: %s", user.id, error)


def row_of(user: User) -> dict:
    """The cached columns of a user as JSON-ready values."""
    row = {name: getattr(user, name) for name in READ_ATTRIBUTES}
    row["role"] = user.role.value
    for name in DATETIME_COLUMNS:
        if row[name] is not None:
            row[name] = row[name].isoformat()
    return row


def from_json(row: dict) -> dict:
    """The Python values of a cached row (the inverse of `row_of`)."""
    row["role"] = Role(row["role"])
    for name in DATETIME_COLUMNS:
        if row[name] is not None:
            row[name] = datetime.fromisoformat(row[name])
    return row


def _changed_users(session: Session) -> set[int]:
    changed = session.info.setdefault(CHANGED_USERS, set())
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, User) and obj.id is not None and session.is_modified(obj):
            changed.add(obj.id)
    return changed


def _bulk_user_write(state) -> None:
    # A statement that changes users' rows without loading them (an UPDATE/DELETE on
    # users, or a DELETE whose ON DELETE SET NULL reaches users) names no ids we can see:
    # the writer passes them as execution_options(changed_user_ids=...).
    ids = state.execution_options.get("changed_user_ids")
    if ids is not None:
        state.session.info.setdefault(CHANGED_USERS, set()).update(ids)
    elif (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ is User:
        raise RuntimeError("A bulk write to users must name its changed_user_ids "
                           "so the user cache can be invalidated.")


def invalidation_listeners(cache_of) -> list[tuple[str, Callable]]:
    """The Session events, with their listeners, that invalidate users a commit changed.

    `cache_of()` returns the current app's UserCache, or None when there is none.
    Registered by app.session_events.
    """

    def note(session, _context, _instances) -> None:
        _changed_users(session)

    def before_commit(session) -> None:
        changed = _changed_users(session)
        cache = cache_of()
        if changed and cache is not None:
            session.info["signet.busy_user_ids"] = set(changed)
            cache.begin_change(changed)

    def after_commit(session) -> None:
        busy = session.info.pop("signet.busy_user_ids", None)
        session.info.pop(CHANGED_USERS, None)
        cache = cache_of()
        if busy and cache is not None:
            cache.end_change(busy)

    def forget(session) -> None:
        # A busy marker set for a commit that failed expires by itself: harmless.
        session.info.pop(CHANGED_USERS, None)
        session.info.pop("signet.busy_user_ids", None)

    return [("before_flush", note), ("do_orm_execute", _bulk_user_write),
            ("before_commit", before_commit), ("after_commit", after_commit),
            ("after_rollback", forget)]
