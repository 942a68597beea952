"""The one way a service ends its unit of work: commit, or roll back and undo the rest.

On Galera a transaction can fail although nothing in it was wrong: another node certified a
conflicting write first (error 1213 at COMMIT, or at any statement when the node aborts a
local transaction for a replicated one), or the node behind HAProxy died (2006/2013). Such a
failure is retried by `retried`, which re-runs the whole use case, never a half: it retries
only while no commit of the use case has succeeded, and never after the connection was lost
while a COMMIT was on its way (the write may have been applied: unknown, so a 503).
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.settings import settings

log = logging.getLogger(__name__)

# The server rolled the transaction back: running it again is safe.
ROLLED_BACK = frozenset({
    1213,  # deadlock, or Galera certification failure / brute-force abort
    1205,  # lock wait timeout: the statement failed, and `retried` rolls back the rest
    1047,  # WSREP has not yet prepared node for application use (node not synced)
})
# The connection went away: safe to retry unless a COMMIT was in flight.
CONNECTION_LOST = frozenset({2003, 2006, 2013, 2055})
P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class _Unit:
    commits_sent: int = 0
    commits_done: int = 0


_unit: ContextVar[_Unit | None] = ContextVar("signet_unit_of_work", default=None)


@contextmanager
def transaction(*, on_failure: Callable[[], None] | None = None) -> Iterator[None]:
    """Commit the session when the block ends; on any error roll back, then `on_failure`.

    `on_failure` undoes what the database cannot roll back (bytes already written to
    storage); it must not raise. The original exception always propagates.
    """
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if on_failure is not None:
            on_failure()
        raise


def error_code(error: BaseException) -> int | None:
    """The MySQL error number behind a SQLAlchemy/PyMySQL error, if there is one."""
    orig = getattr(error, "orig", error)
    args = getattr(orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def is_transient(error: BaseException) -> bool:
    """True for failures a later attempt may not meet: conflicts, lost connections."""
    if not isinstance(error, DBAPIError):
        return False
    return error.connection_invalidated or error_code(error) in ROLLED_BACK | CONNECTION_LOST


def _may_retry(error: BaseException, unit: _Unit) -> bool:
    if not is_transient(error) or unit.commits_done:
        return False  # a commit of this use case stands: re-running it would do it twice
    # Lost while a COMMIT was in flight: it may have been applied, so only the client knows.
    return not unit.commits_sent or error_code(error) in ROLLED_BACK


def retried(function: Callable[P, R]) -> Callable[P, R]:
    """Run a use case; on a transient database failure, roll back and run it again whole.

    At most DB_RETRY_ATTEMPTS runs, with a short random pause between them; then the error
    propagates (app/errors.py answers 503 with Retry-After). Inside another retried use case
    it runs once: the outer one owns the retry.
    """
    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if _unit.get() is not None:
            return function(*args, **kwargs)
        attempts = settings().db.retry_attempts
        for attempt in range(1, attempts + 1):
            unit = _Unit()
            token = _unit.set(unit)
            try:
                return function(*args, **kwargs)
            except DBAPIError as error:
                if attempt == attempts or not _may_retry(error, unit):
                    _rollback_quietly()  # the session stays usable for the error answer
                    raise
                log.warning("retrying %s (attempt %d of %d) after: %s",
                            function.__qualname__, attempt + 1, attempts, error.orig)
                _rollback_quietly()
                _rewind_uploads(args, kwargs)
                time.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311 (jitter)
            finally:
                _unit.reset(token)
        raise AssertionError("unreachable")  # pragma: no cover
    return wrapper


def _rewind_uploads(args: tuple, kwargs: dict) -> None:
    # An upload the failed run read must be read again from its first byte.
    for value in (*args, *kwargs.values()):
        if isinstance(value, FileStorage):
            value.stream.seek(0)


def _rollback_quietly() -> None:
    # The connection may be gone: the session must still be reusable for the next attempt.
    try:
        db.session.rollback()
    except Exception:
        log.debug("rollback before a retry failed", exc_info=True)


@event.listens_for(Engine, "commit")
def _commit_sent(_connection) -> None:
    if (unit := _unit.get()) is not None:
        unit.commits_sent += 1


def count_commit_done(_session: Session) -> None:
    """after_commit (registered by app.session_events): a commit of the use case succeeded."""
    if (unit := _unit.get()) is not None:
        unit.commits_done += 1


def take_sqlite_write_lock() -> None:
    """On SQLite, take the database's one write lock now, before the transaction reads.

    SQLite ignores FOR UPDATE and reads without locks: a check ("fewer than N rows?")
    and the write it allows could interleave with another request's. BEGIN IMMEDIATE
    makes every other writer wait for this transaction's commit. Other databases: nothing.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")
