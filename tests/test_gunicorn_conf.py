"""gunicorn.conf.py reads its settings from the environment, and logs request ids."""

from __future__ import annotations

import runpy
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.live_server import ROOT, free_port

CONF = ROOT / "gunicorn.conf.py"
SECRET = "Zq8-reset-token-never-logged"


def load_conf(monkeypatch, **env) -> dict:
    """The settings gunicorn.conf.py computes under `env`."""
    for name in ("HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_ACCESSLOG",
                 "GUNICORN_GRACEFUL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_bind_workers_and_access_log_come_from_the_environment(monkeypatch):
    conf = load_conf(monkeypatch, HOST="127.0.0.2", PORT="9123", WEB_CONCURRENCY="3")
    assert conf["bind"] == "127.0.0.2:9123"
    assert conf["workers"] == 3
    assert conf["accesslog"] == "-"
    assert "{x-request-id}o" in conf["access_log_format"]


def test_defaults_and_an_empty_access_log(monkeypatch):
    conf = load_conf(monkeypatch, GUNICORN_ACCESSLOG="")
    assert conf["bind"] == "127.0.0.1:8000"
    assert conf["accesslog"] is None
    assert conf["graceful_timeout"] == 30


def test_graceful_timeout_comes_from_the_environment(monkeypatch):
    assert load_conf(monkeypatch, GUNICORN_GRACEFUL_TIMEOUT="75")["graceful_timeout"] == 75


@pytest.mark.live
def test_access_log_lines_carry_the_request_id(app_config, tmp_path):
    port = free_port()
    log = tmp_path / "access.log"
    env = {"APP_ENV": "testing", "PORT": str(port), "WEB_CONCURRENCY": "1",
           "GUNICORN_ACCESSLOG": str(log), "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
           "UPLOAD_FOLDER": app_config["UPLOAD_FOLDER"], "PATH": "/usr/bin:/bin"}
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c",
                               str(CONF), "wsgi:app"], cwd=ROOT, env=env,
                              stderr=subprocess.DEVNULL)
    response = None
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2,
                                        headers={"X-Request-ID": "access-log-probe"})
                break
            except requests.RequestException:
                time.sleep(0.1)
        assert response is not None, "gunicorn did not answer"
        assert response.headers["X-Request-ID"] == "access-log-probe"
        # Links in mail carry tokens in the query string: the access log must drop it.
        with_token = requests.get(f"http://127.0.0.1:{port}/healthz?token={SECRET}&x=1",
                                  timeout=5, headers={"X-Request-ID": "token-probe"})
        assert with_token.status_code == 200
    finally:
        server.terminate()
        # Up to gunicorn's graceful timeout: the worker finishes its delivery pass, and the
        # master (which imported the app to check the settings) tears down its modules.
        server.wait(timeout=30)
    text = log.read_text()
    assert 'GET /healthz HTTP/1.1" 200' in text
    assert "rid=access-log-probe" in text
    token_line = next(line for line in text.splitlines() if "rid=token-probe" in line)
    assert '"GET /healthz HTTP/1.1" 200' in token_line
    assert SECRET not in text
    assert "token=" not in text


class StartedServer:
    """What gunicorn hands `when_ready`: its settings and its error log."""

    def __init__(self, bind: str):
        self.cfg = type("Cfg", (), {"bind": [bind]})()
        self.lines: list[tuple[str, str]] = []
        self.log = self

    def info(self, message, *args):
        self.lines.append(("info", message % args))

    def warning(self, message, *args):
        self.lines.append(("warning", message % args))


@pytest.mark.parametrize(("env", "bind", "warned"), [
    ({}, "127.0.0.1:8000", False),
    ({"PORT": "9410"}, "127.0.0.1:9410", False),
    ({"PUBLIC_BASE_URL": "http://127.0.0.1:8000"}, "127.0.0.1:9410", True),
    ({"PUBLIC_BASE_URL": "http://localhost:8000"}, "0.0.0.0:9410", True),
    ({"PUBLIC_BASE_URL": "https://signet.example.com"}, "127.0.0.1:9410", False),
    ({"PUBLIC_BASE_URL": "http://localhost:8000", "APP_ENV": "production",
      "SECRET_KEY": "s" * 48, "JWT_SECRET_KEY": "j" * 48, "MAIL_BACKEND": "file",
      "SIGNING_KEY_ENCRYPTION_KEY": "x7Tz2wV0dJ7cQFhJmQm3b5l8Qx5aYkqkS0fJbX1yXqU=",
      "WEB_CONCURRENCY": "1"}, "127.0.0.1:9410", False),
])
def test_start_up_names_the_address_and_warns_when_links_miss_it(monkeypatch, env, bind,
                                                                warned):
    for name in ("PUBLIC_BASE_URL", "APP_ENV"):
        monkeypatch.delenv(name, raising=False)
    conf = load_conf(monkeypatch, **env)
    server = StartedServer(bind)

    conf["when_ready"](server)

    levels = [level for level, _ in server.lines]
    assert ("warning" in levels) is warned
    assert server.lines[0][1].startswith("Signet is at http")
    if warned:
        assert "listens at http://localhost:9410" in server.lines[-1][1]


# A worker leaving through sys.exit(code), as gunicorn's spawn_worker does, with the hook
# in the `finally` gunicorn runs it from. The exit handler stands for the mail thread's.
LEAVING_WORKER = """
import atexit, os, runpy, sys, threading, time
conf = runpy.run_path(sys.argv[1])
class Worker:
    pid = os.getpid()
    wsgi = None
atexit.register(lambda: print("exit handlers ran", flush=True))
threading.Thread(target=lambda: (time.sleep(0.2), print("thread finished", flush=True))).start()
print("still buffered", end="")
try:
    sys.exit(int(sys.argv[2]))
finally:
    conf["worker_exit"](None, Worker())
    print("not reached")
"""


@pytest.mark.parametrize("code", [0, 3])
def test_a_leaving_worker_keeps_its_exit_status_threads_exit_handlers_and_output(code):
    result = subprocess.run([sys.executable, "-c", LEAVING_WORKER, str(CONF), str(code)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == code
    assert result.stdout == "still buffered" "thread finished\n" "exit handlers ran\n"
