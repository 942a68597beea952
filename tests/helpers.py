"""Assertions and probes shared by the tests: problem bodies, rows, files on disk."""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from pathlib import Path

import jwt as pyjwt
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.extensions import db
from tests.live_server import free_port

PROBLEM_JSON = "application/problem+json"
# Credentials moto accepts; the region every test bucket lives in.
S3_SETTINGS = {
    "S3_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def assert_problem(response, status: int) -> dict:
    """Assert an RFC 9457 problem answer with `status`; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"] and body["detail"]
    return body


def row_count(table: str) -> int:
    """Count the rows of `table` through a fresh connection (no session caching)."""
    with db.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def sleep_past_expiry(token: str) -> None:
    """Sleep until the JWT's whole-second `exp` has passed, and not longer."""
    expires = pyjwt.decode(token, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, expires - time.time()) + 0.05)


def stored_blobs(root: Path) -> list[Path]:
    """Every regular file below the upload folder (stored blobs and leftovers alike)."""
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


class TcpProxy:
    """A TCP forwarder to the database: stopping it is a real outage, starting it a recovery.

    Stopping closes the listening socket and every forwarded connection, so the app sees
    exactly what it would see when the database server goes away.
    """

    def __init__(self, target: tuple[str, int], port: int = 0):
        self.target = target
        self.port = port
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> TcpProxy:
        """Listen (on the same port as before, when restarted) and forward."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Refuse new connections and cut the open ones."""
        if self._listener is not None:
            self._close(self._listener)
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            self._close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # listener closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                self._close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            self._close(source)
            self._close(sink)

    @staticmethod
    def _close(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


class DatabaseOutage:
    """A URL to the test database whose server can really go away and come back.

    MariaDB is reached through a TcpProxy: stopping it refuses connections and cuts the
    pooled ones. A SQLite database is a file in a folder that does not exist until
    `restore()` copies the migrated test database there.
    """

    def __init__(self, database_url: str, workdir: Path):
        url = make_url(database_url)
        self.is_sqlite = url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self._source = Path(url.database)
            self._target = Path(workdir) / "outage" / "signet.db"
            self.url = f"sqlite:///{self._target}"
            self._proxy = None
        else:
            self._proxy = TcpProxy((url.host or "127.0.0.1", url.port or 3306), free_port())
            self.url = url.set(host="127.0.0.1", port=self._proxy.port).render_as_string(
                hide_password=False)

    @property
    def can_fail_again(self) -> bool:
        """True when an outage can also hit a database that was answering (MariaDB)."""
        return not self.is_sqlite

    def restore(self) -> None:
        """Bring the database (back) within reach."""
        if self._proxy is not None:
            self._proxy.start()
        else:
            self._target.parent.mkdir(exist_ok=True)
            shutil.copyfile(self._source, self._target)

    def fail(self) -> None:
        """Take the database away (MariaDB only: cut connections, refuse new ones)."""
        assert self._proxy is not None, "a SQLite file cannot vanish from an open connection"
        self._proxy.stop()

    def close(self) -> None:
        """Release the proxy, if any."""
        if self._proxy is not None:
            self._proxy.stop()
