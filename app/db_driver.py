"""Pooled MariaDB connections that cost no round trip a request does not need.

Without this, a read-only request on MariaDB paid four round trips for one SELECT: a ping
at checkout (`pool_pre_ping`), the SELECT, then two ROLLBACKs (the session's at teardown
and the pool's reset-on-return), because PyMySQL sends ROLLBACK whether or not a
transaction is open, and with autocommit off every SELECT opens one.

Here connections run with the server's autocommit on and open a transaction with BEGIN
just before the first statement that writes or locks (anything but a plain SELECT, SHOW
or SET) — the rule Python's sqlite3 driver already follows, so both databases now behave
alike. COMMIT and ROLLBACK are sent only while the server reports a transaction open
(its SERVER_STATUS_IN_TRANS flag, from the last reply): the pool still resets on return
(`pool_reset_on_return` stays "rollback"), but a connection that did no work in a
transaction has nothing to roll back and sends nothing. A request that wrote and failed
is rolled back exactly as before (tests/test_db_driver.py proves it on both databases).

Plain reads before a transaction's first write are each their own snapshot (as on
SQLite); code that needs a read to hold until the commit uses SELECT ... FOR UPDATE,
which opens the transaction first, as it always had to.

The ping at checkout is kept only for a connection idle longer than DB_PING_AFTER_IDLE
seconds (a server restart or an idle timeout is then caught before use); a connection in
steady use is trusted, and a dead one still raises a disconnect error, which makes
SQLAlchemy discard the pool.
"""

from __future__ import annotations

import re
import time

import pymysql
from pymysql.constants import SERVER_STATUS
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

# A statement that neither writes nor locks (SET only sets session variables such as the
# connection's character set) may run outside a transaction.
READ_VERB = re.compile(rb"\s*(SELECT|SHOW|SET)\b", re.IGNORECASE)
LOCKING_CLAUSE = re.compile(rb"\b(FOR\s+UPDATE|FOR\s+SHARE|LOCK\s+IN)\b", re.IGNORECASE)
CHECKED_IN_AT = "signet.checked_in_at"


def is_plain_read(sql: bytes) -> bool:
    """True for a SELECT, SHOW or SET that takes no row locks."""
    if READ_VERB.match(sql) is None:
        return False
    # Most reads name neither word: one C-speed scan instead of a regex over the whole
    # statement (the regex cost ~10 us on the token check's 700-byte lookup, per request).
    upper = sql.upper()
    return (b"FOR" not in upper and b"LOCK" not in upper) or LOCKING_CLAUSE.search(sql) is None


class LazyTransactionConnection(pymysql.connections.Connection):
    """A PyMySQL connection that begins a transaction at the first write or lock."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **{**kwargs, "autocommit": True})

    @property
    def in_transaction(self) -> bool:
        """True while the server reports an open transaction."""
        return bool(self.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS)

    def query(self, sql, unbuffered: bool = False):
        """Run a statement, opening a transaction first unless it is a plain read."""
        raw = sql.encode(self.encoding) if isinstance(sql, str) else sql
        if not self.in_transaction and not is_plain_read(raw):
            self.begin()
        return super().query(raw, unbuffered)

    def commit(self) -> None:
        """COMMIT, when a transaction is open."""
        if self.in_transaction:
            super().commit()

    def rollback(self) -> None:
        """ROLLBACK, when a transaction is open (else there is nothing to undo)."""
        if self.in_transaction:
            super().rollback()

    def autocommit(self, value) -> None:
        """Autocommit stays on: transactions are opened by `query` (see module doc)."""
        super().autocommit(True)


def install(engine: Engine, *, ping_after_idle: float) -> None:
    """Use LazyTransactionConnection for a PyMySQL engine and ping only idle connections."""
    if engine.dialect.driver != "pymysql":
        return

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect, _record, cargs, cparams):
        return LazyTransactionConnection(*cargs, **cparams)

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        if record is not None:
            record.info[CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get(CHECKED_IN_AT)
        if idle_since is None or time.monotonic() - idle_since < ping_after_idle:
            return
        try:
            dbapi_connection.ping(reconnect=False)
        except pymysql.err.Error as error:
            # The pool discards this connection and checks out a fresh one.
            raise DisconnectionError() from error
