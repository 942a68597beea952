"""The nginx site: the committed production file matches its template, and nginx retries
an idempotent request on another instance but never a POST it has already sent."""

from __future__ import annotations

import re
import subprocess
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from config import load_config
from deploy.nginx import (
    ACCEL_PREFIX,
    DEPLOY_DIR,
    PRODUCTION_SITE,
    Site,
    nginx_command,
    production_site,
    render_site,
    write_config,
)
from tests.live_server import free_port

# Read by gunicorn.conf.py, or by config.py under another name (SQLALCHEMY_DATABASE_URI).
READ_ELSEWHERE = {"HOST", "PORT", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS",
                  "GUNICORN_GRACEFUL_TIMEOUT", "DATABASE_URL"}


def test_the_committed_production_site_is_the_rendered_template():
    assert PRODUCTION_SITE.read_text() == production_site(), (
        "deploy/nginx/signet.conf is stale: run `python -m deploy.nginx`")


def test_the_site_matches_the_apps_limits_and_proxy_settings():
    text = render_site(Site(upstreams=("10.0.0.1:8000",), max_body_bytes=12345))
    site = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert "client_max_body_size 12345;" in site
    assert "server 10.0.0.1:8000 max_fails=2 fail_timeout=10s;" in site
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert "proxy_next_upstream error timeout http_502 http_503;" in site
    assert "non_idempotent" not in site
    assert not re.search(r"@[A-Z_]+@", site)


def test_nginx_accepts_the_production_site(nginx, tmp_path):
    main = write_config(tmp_path, Site(upstreams=("127.0.0.1:8001", "127.0.0.1:8002")))
    (tmp_path / "signet.conf").write_text(PRODUCTION_SITE.read_text())
    check = subprocess.run([*nginx_command(nginx, tmp_path, main)[:-2], "-t"],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr


class Upstream(ThreadingHTTPServer):
    """A stand-in instance answering every request with one status, counting hits."""

    def __init__(self, status: int):
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


@pytest.fixture
def nginx_in_front(nginx, tmp_path):
    """nginx on the site template in front of an instance answering 503 and a healthy one."""
    failing, healthy = Upstream(503), Upstream(200)
    port = free_port()
    # max_fails=0: the failing instance stays in the rotation, so every request below
    # meets it in turn (round robin) instead of it being set aside after two failures.
    site = Site(upstreams=tuple(f"127.0.0.1:{u.server_address[1]}" for u in (failing, healthy)),
                listen=f"127.0.0.1:{port}", upload_folder=str(tmp_path), max_fails=0)
    main = write_config(tmp_path, site)
    process = subprocess.Popen(nginx_command(nginx, tmp_path, main))
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(url, timeout=1)
                break
            except requests.ConnectionError:
                threading.Event().wait(0.05)
        failing.hits.clear()
        healthy.hits.clear()
        yield url, failing, healthy
    finally:
        process.terminate()
        process.wait(timeout=10)
        for upstream in (failing, healthy):
            upstream.shutdown()
            upstream.server_close()


def test_a_post_is_sent_once_and_a_get_is_retried_elsewhere(nginx_in_front):
    url, failing, healthy = nginx_in_front

    posts = [requests.post(f"{url}/x", data=b"once", timeout=5).status_code for _ in range(4)]

    # Round robin sends a POST to the failing instance: its 503 reaches the client as is.
    assert 503 in posts
    assert failing.hits["POST"] + healthy.hits["POST"] == len(posts)
    assert failing.hits["POST"] == posts.count(503)

    gets = [requests.get(f"{url}/x", timeout=5).status_code for _ in range(4)]

    assert gets == [200] * 4
    assert failing.hits["GET"] >= 1  # it was tried, failed, and the GET went on
    assert healthy.hits["GET"] == 4



def settings_of(path) -> dict[str, str]:
    """The KEY=value lines of an env file (comments skipped)."""
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_env_template_agrees_with_the_nginx_site():
    settings = settings_of(DEPLOY_DIR / "signet.env.example")
    site = PRODUCTION_SITE.read_text()
    assert settings["TRUSTED_PROXY_COUNT"] == "1"  # nginx appends exactly one hop
    assert f"client_max_body_size {settings['MAX_CONTENT_LENGTH']};" in site
    assert settings["ACCEL_REDIRECT_PREFIX"] == ACCEL_PREFIX
    assert f"location {ACCEL_PREFIX} {{" in site
    assert f"alias {settings['UPLOAD_FOLDER']}/;" in site
    unknown = set(settings) - set(load_config("testing")) - READ_ELSEWHERE
    assert not unknown, f"settings nothing reads: {unknown}"


def test_systemd_waits_longer_than_the_graceful_timeout():
    unit = (DEPLOY_DIR / "systemd" / "signet@.service").read_text()
    stop = int(re.search(r"^TimeoutStopSec=(\d+)$", unit, re.M).group(1))
    graceful = int(settings_of(DEPLOY_DIR / "signet.env.example")["GUNICORN_GRACEFUL_TIMEOUT"])
    assert stop > graceful
    assert "Environment=PORT=%i" in unit
