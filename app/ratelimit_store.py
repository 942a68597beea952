"""A rate-limit store that every worker of one instance shares: a SQLite file.

`limits` offers memory (one per process: with 4 workers every limit was 4x), Redis,
Memcached, MongoDB and etcd. Without Redis the default is this store
(`signet-sqlite:///path/to/file`): each count is one atomic UPSERT, so the configured
number holds across all the workers on one machine. Several instances still need
`redis://`. Only the fixed-window strategy (Flask-Limiter's default) is supported.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time

from limits.storage import Storage

SCHEME = "signet-sqlite"
BUSY_TIMEOUT_SECONDS = 5
PURGE_CHANCE = 0.01  # one write in a hundred also removes expired windows
SCHEMA = ("CREATE TABLE IF NOT EXISTS ratelimit "
          "(key TEXT PRIMARY KEY, count INTEGER NOT NULL, expiry REAL NOT NULL)")
INCREMENT = """
INSERT INTO ratelimit (key, count, expiry) VALUES (:key, :amount, :now + :expiry)
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN expiry <= :now THEN :amount ELSE count + :amount END,
  expiry = CASE WHEN expiry <= :now THEN :now + :expiry ELSE expiry END
RETURNING count
"""


class SQLiteFileStorage(Storage):
    """Fixed-window counters in a SQLite file shared by the processes that open it."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = (uri or "").removeprefix(f"{SCHEME}://")
        if not self.path:
            raise ValueError(f"{SCHEME}:// needs a file path, e.g. {SCHEME}:///var/lib/x.db")
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        """What the store's driver raises."""
        return sqlite3.Error

    def _db(self) -> sqlite3.Connection:
        # One connection per process: a connection must not cross a fork.
        if self._connection is None or self._pid != os.getpid():
            directory = os.path.dirname(self.path)
            if directory:
                os.makedirs(directory, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS,
                                         isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(SCHEMA)
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    def _run(self, sql: str, parameters: dict | tuple = ()) -> list:
        with self._lock:
            return self._db().execute(sql, parameters).fetchall()

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to the window of `key` (a new one if it expired); return the count."""
        now = time.time()
        if random.random() < PURGE_CHANCE:  # noqa: S311 - housekeeping, not security
            self._run("DELETE FROM ratelimit WHERE expiry <= ?", (now,))
        [(count,)] = self._run(INCREMENT, {"key": key, "amount": amount, "now": now,
                                           "expiry": expiry})
        return int(count)

    def get(self, key: str) -> int:
        """The count of the current window of `key` (0 when none)."""
        rows = self._run("SELECT count FROM ratelimit WHERE key = ? AND expiry > ?",
                         (key, time.time()))
        return int(rows[0][0]) if rows else 0

    def get_expiry(self, key: str) -> float:
        """When the current window of `key` ends (now when there is none)."""
        now = time.time()
        rows = self._run("SELECT expiry FROM ratelimit WHERE key = ? AND expiry > ?",
                         (key, now))
        return float(rows[0][0]) if rows else now

    def check(self) -> bool:
        """True when the file can be read."""
        try:
            self._run("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        """Remove every counter; return how many there were."""
        return len(self._run("DELETE FROM ratelimit RETURNING key"))

    def clear(self, key: str) -> None:
        """Remove the counter of `key`."""
        self._run("DELETE FROM ratelimit WHERE key = ?", (key,))
