"""A stand-in instance behind a real nginx: what the site does without Signet itself."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from deploy.nginx import Site, nginx_command, write_config


class Upstream(ThreadingHTTPServer):
    """A stand-in instance answering every request with one status, counting hits."""

    daemon_threads = True

    def __init__(self, status: int = 200):
        self.status = status
        self.hits: Counter = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                server.hits[self.command] += 1
                self.send_response(server.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


@contextlib.contextmanager
def running_nginx(nginx: str, prefix: Path, site: Site, probe: str,
                  verify: str | bool = True) -> Iterator[None]:
    """nginx on `site` (files under `prefix`) until the block ends; `probe` answers first."""
    main = write_config(prefix, site)
    process = subprocess.Popen(nginx_command(nginx, prefix, main))
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(probe, timeout=1, verify=verify, allow_redirects=False)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def self_signed(folder: Path) -> tuple[str, str]:
    """A throw-away certificate for localhost and 127.0.0.1 and its key; their paths."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "cert.pem")], check=True, capture_output=True)
    return str(folder / "cert.pem"), str(folder / "key.pem")
