"""Servers for the provider tests: oidc-provider (Node), a fake GitHub, Signet in a thread."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from werkzeug.serving import make_server

from tests.live_server import free_port

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE.parent.parent / "node_modules"
NATIVE_REDIRECT = "http://127.0.0.1:9/native"  # never opened: the test reads the code off it
CLIENT_SECRET = "signet-client-secret-for-tests-0123456789"


def wait_until(check, *, timeout: float = 20.0, what: str = "condition"):
    """Poll `check()` until it returns something truthy, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


class OidcProvider:
    """`oidc-provider` on a free loopback port; restart() rotates its signing key."""

    def __init__(self, signet_url: str) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.signet_url = signet_url
        self.process: subprocess.Popen | None = None
        self.key_id = "key-1"

    def start(self, key_id: str | None = None) -> OidcProvider:
        """Start (or start again with another key) and wait for discovery to answer."""
        self.key_id = key_id or self.key_id
        clients = [
            {"client_id": "signet", "client_secret": CLIENT_SECRET,
             "redirect_uris": [f"{self.signet_url}/api/v1/auth/providers/local/callback"]},
            {"client_id": "native-app", "token_endpoint_auth_method": "none",
             "redirect_uris": [NATIVE_REDIRECT]},
        ]
        env = {**os.environ, "PORT": str(self.port), "KEY_ID": self.key_id,
               "CLIENTS": json.dumps(clients), "NODE_PATH": str(NODE_MODULES),
               "PEOPLE": json.dumps({"unverified": {"email_verified": False}})}
        self.process = subprocess.Popen(["node", str(HERE / "oidc_provider.mjs")], env=env,
                                        cwd=HERE.parent.parent, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_until(lambda: requests.get(f"{self.issuer}/.well-known/openid-configuration",
                                        timeout=2).ok, what="oidc-provider")
        return self

    def stop(self) -> None:
        """Stop the provider (mid-flow, in one test)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def running(self) -> bool:
        """True while the Node process lives."""
        return self.process is not None and self.process.poll() is None


def log_in_at_provider(session: requests.Session, page: requests.Response, login: str,
                       **kwargs) -> requests.Response:
    """Fill the provider's dev login form on `page` (redirects followed unless told)."""
    action = re.search(r'action="([^"]+)"', page.text).group(1)
    return session.post(urljoin(page.url, action),
                        data={"prompt": "login", "login": login, "password": "any"}, **kwargs)


def follow_until(session: requests.Session, url: str, prefix: str, **kwargs) -> str:
    """Follow redirects by hand from `url` until one points at `prefix`; return it."""
    for _ in range(10):
        response = session.get(url, allow_redirects=False, **kwargs)
        location = response.headers.get("Location")
        if location is None:
            return response  # a page (the provider's login form)
        url = urljoin(response.url, location)
        if url.startswith(prefix):
            return url
    raise AssertionError("too many redirects")


class SignetThread:
    """The app under test served over HTTP from a thread (same database as the test)."""

    def __init__(self, app, port: int) -> None:
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SignetThread:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


class FakeGitHub(BaseHTTPRequestHandler):
    """GitHub's OAuth pages and API as far as Signet uses them (github.com is not reachable
    from the tests): authorize approves at once, the API answers `user` and `emails`."""

    user = {"id": 4242, "login": "octo", "name": "Octo Cat"}
    emails = [{"email": "octo@example.test", "primary": True, "verified": True}]
    codes: dict[str, str] = {}

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def _json(self, body, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/login/oauth/authorize":
            assert query["code_challenge_method"] == "S256"
            self.codes["c0de"] = query["code_challenge"]
            self.send_response(302)
            self.send_header("Location", query["redirect_uri"] + "?" + urlencode(
                {"code": "c0de", "state": query["state"]}))
            self.end_headers()
        elif parts.path == "/api/user":
            self._json(self.user)
        elif parts.path == "/api/user/emails":
            self._json(self.emails)
        else:
            self._json({"message": "Not Found"}, 404)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self.path == "/login/oauth/access_token" and form.get("code") == "c0de" \
                and form.get("code_verifier"):
            self._json({"access_token": "gho_test", "token_type": "bearer"})
        else:
            self._json({"error": "bad_verification_code"})


def start_fake_github() -> tuple[ThreadingHTTPServer, str]:
    """The fake GitHub on a free port, serving from a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
