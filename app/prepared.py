"""SELECTs built at import, compiled once per dialect, and run straight on the driver.

With the database store every authenticated request runs the token check's lookup, and
`GET /files` a page of files. Through the ORM session and `Connection.execute`, each also
paid for what the driver does not need: the session's transaction and connection, an
execution context, the compiled-cache lookup, a cursor result and its row objects.
`PreparedSelect` runs such a statement with SQLAlchemy's own compiled SQL and result
processors (so the values are exactly those `Connection.execute` gives:
tests/test_prepared.py compares them) straight on the driver: on the session's connection
when the session holds one (the statement must see the transaction's own writes), else on
a pooled connection of its own, as a plain read outside a transaction would run anyway
(app/db_driver.py). Measured with callgrind (instructions per request, database store):
GET /auth/me 3.00M -> 2.60M, GET /files 6.28M -> 5.85M.

What it leaves to SQLAlchemy, unchanged:
- errors: a statement the driver refuses is run again through `Connection.execute` on
  the session's connection, which reports it as it reports any (wrapped in
  sqlalchemy.exc, a lost connection invalidated); a pooled connection that failed is
  discarded first. A plain read changes nothing, so running it twice is harmless;
- observers: while anything listens to the engine's statement events, or its log is on
  (`echo`), statements go through `Connection.execute`, so a listener sees every one;
- statements it cannot run faithfully (expanding IN lists, values a bind processor would
  convert): refused when first compiled, so the mistake shows in the first test.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Engine, Select
from sqlalchemy.orm import Session
from sqlalchemy.pool import PoolProxiedConnection

from app.extensions import db

# The engine events that must see every statement (statement counters, query loggers).
OBSERVING_EVENTS = ("before_execute", "after_execute", "before_cursor_execute",
                    "after_cursor_execute")


@dataclass(frozen=True, slots=True)
class _Plan:
    """The statement as one dialect runs it."""

    sql: str
    positional: tuple[str, ...] | None  # parameter order for a positional driver (SQLite)
    defaults: Mapping[str, Any]  # values the statement carries itself (literals)
    processors: tuple[Callable[[Any], Any] | None, ...]  # per column, as SQLAlchemy applies


class PreparedSelect:
    """A SELECT run on the driver without SQLAlchemy's per-execution work."""

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        self.names = tuple(statement.selected_columns.keys())
        self._plans: dict[tuple[str, str, str], _Plan] = {}

    def rows(self, parameters: Mapping[str, Any]) -> list[tuple]:
        """All result rows, as tuples of Python values in `names` order."""
        engine = db.engine
        if _observed(engine):
            return self._through_sqlalchemy(parameters)
        dialect = engine.dialect
        plan = self._plan(dialect)
        values = {**plan.defaults, **parameters}
        bound = values if plan.positional is None else [values[name] for name in
                                                        plan.positional]
        session = db.session()
        if _holds_connection(session):
            fetched = _fetch(session.connection().connection, plan, bound, dialect)
        else:
            try:
                pooled = engine.raw_connection()
            except dialect.loaded_dbapi.Error:  # unwrapped here: SQLAlchemy's path reports it
                return self._through_sqlalchemy(parameters)
            try:
                fetched = _fetch(pooled, plan, bound, dialect)
                if fetched is None:  # it may be dead: the pool must not hand it out again
                    pooled.invalidate()
            finally:
                pooled.close()
        if fetched is None:  # the driver refused it: let SQLAlchemy run it and report why
            return self._through_sqlalchemy(parameters)
        processors = plan.processors
        return [tuple(value if process is None else process(value)
                      for process, value in zip(processors, row, strict=True))
                for row in fetched]

    def _through_sqlalchemy(self, parameters: Mapping[str, Any]) -> list[tuple]:
        result = db.session.connection().execute(self.statement, dict(parameters))
        return [tuple(row) for row in result]

    def _plan(self, dialect: Dialect) -> _Plan:
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._prepare(dialect)
        return plan

    def _prepare(self, dialect: Dialect) -> _Plan:
        compiled = self.statement.compile(dialect=dialect)
        for name, bind in compiled.binds.items():
            if bind.expanding or bind.type.dialect_impl(dialect).bind_processor(dialect):
                raise ValueError(f"PreparedSelect cannot bind {name!r} as SQLAlchemy would: "
                                 "use Connection.execute for this statement.")
        return _Plan(
            sql=compiled.string,
            positional=tuple(compiled.positiontup) if dialect.positional else None,
            defaults={name: bind.effective_value for name, bind in compiled.binds.items()
                      if not bind.required},
            processors=tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                             for column in self.statement.selected_columns),
        )


def _fetch(connection: PoolProxiedConnection, plan: _Plan, bound,
           dialect: Dialect) -> list | None:
    """The driver's rows, or None when it raised (the caller lets SQLAlchemy report it)."""
    cursor = connection.cursor()
    try:
        cursor.execute(plan.sql, bound)
        return cursor.fetchall()
    except dialect.loaded_dbapi.Error:
        return None
    finally:
        cursor.close()


def _observed(engine: Engine) -> bool:
    dispatch = engine.dispatch
    return (any(getattr(dispatch, name) for name in OBSERVING_EVENTS)
            or engine.logger.isEnabledFor(logging.INFO))


def _holds_connection(session: Session) -> bool:
    # An ORM session begins its transaction at the first add (the token check attaches its
    # user), but takes a connection only for its first statement; until then nothing it
    # did is in the database. Read from SQLAlchemy's state (no public accessor); should a
    # release rename it, every statement runs on the session's connection: slower, as right.
    transaction = session.get_transaction()
    return transaction is not None and getattr(transaction, "_connections", True) != {}
