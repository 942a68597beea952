"""A real gunicorn server for tests that need several workers (races, revocation)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
# Set by conftest before each test: whether it is marked `live` (or `cluster`).
MARKED_LIVE = True


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> list[int]:
    """Return `count` different free ports: held all at once while chosen, so none repeats."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class LiveServer:
    """gunicorn serving `app` (default `wsgi:app`) on a free port with the given environment."""

    def __init__(self, env: dict[str, str], workers: int = 4, app: str = "wsgi:app",
                 output: Path | None = None):
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "APP_ENV": "testing", "PORT": str(self.port),
                    "WEB_CONCURRENCY": str(workers), "GUNICORN_ACCESSLOG": "",
                    "BCRYPT_LOG_ROUNDS": "4", **env}
        self.process: subprocess.Popen | None = None
        # gunicorn's stdout and stderr (the app's log lines) go here when given.
        self.output = output

    def start(self, timeout: float = 60.0) -> LiveServer:
        """Start gunicorn and wait until /healthz answers."""
        if not MARKED_LIVE:
            raise RuntimeError("this test starts gunicorn: mark it (or its module) "
                               "@pytest.mark.live so that `make test-fast` leaves it out")
        sink = open(self.output, "ab") if self.output else None  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", self.app],
            cwd=ROOT, env=self.env, stdout=sink, stderr=sink,
        )
        if sink is not None:
            sink.close()  # the child holds its own descriptor
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):
                # Not listening yet, or no worker has finished booting on a busy machine.
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not become healthy in time")

    def stop(self) -> None:
        """Stop gunicorn and its workers."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
