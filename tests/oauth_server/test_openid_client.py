"""openid-client (npm, a certified relying party library) against the running provider."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from app import keys
from tests.oauth_server.browser import Browser
from tests.oauth_server.helpers import REDIRECT, make_client, publish_next_key, sign_with

pytestmark = pytest.mark.live
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("rp") / "openid_client_rp.mjs"
BYE = "http://127.0.0.1:9999/bye"
DEADLINE_SECONDS = 120


def test_openid_client_signs_in_refreshes_survives_rotation_and_logs_out(
        provider, client, admin, user, auth_headers):
    node = shutil.which("node")
    assert node, "node is needed for the openid-client relying party"
    assert (ROOT / "node_modules" / "openid-client").is_dir(), "run npm ci first"
    app_json = make_client(client, auth_headers(admin))
    browser = Browser(provider)
    browser.sign_in(user.email)
    process = subprocess.Popen(
        [node, str(SCRIPT), provider, app_json["clientId"], app_json["clientSecret"],
         REDIRECT, BYE], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    # A hung relying party must fail the test, not the suite.
    timer = threading.Timer(DEADLINE_SECONDS, process.kill)
    timer.start()
    old_kid = keys.signing_key().kid
    next_kid = publish_next_key()  # published before the relying party first reads the JWKS
    try:
        result = _converse(process, browser, next_kid)
    finally:
        timer.cancel()
        process.kill()
        process.wait()

    assert result["sub"] == str(user.id) and result["secondSub"] == str(user.id)
    assert result["amr"] == ["pwd"] and result["sid"].isdigit()
    assert result["userinfo"]["email"] == user.email
    assert result["refreshRotated"] is True
    assert result["replay"] == "invalid_grant"
    assert result["idTokenKid"] == old_kid and result["secondKid"] == next_kid
    assert result["introspection"]["active"] is True
    assert result["logoutRedirect"] == f"{BYE}?state=bye"
    assert result["afterLogout"] == "invalid_grant"


def _converse(process: subprocess.Popen, browser: Browser, next_kid: str) -> dict:
    for line in process.stdout:
        message = json.loads(line)
        if message["step"] == "authorize":
            _answer(process, browser.authorize(message["url"]))
        elif message["step"] == "rotate":
            sign_with(next_kid)
            _answer(process, "ok")
        elif message["step"] == "logout":
            response = browser.http.get(message["url"], allow_redirects=False)
            _answer(process, response.headers.get("Location", f"status {response.status_code}"))
        elif message["step"] == "done":
            return message["result"]
        else:
            raise AssertionError(f"{message} {process.stderr.read()}")
    raise AssertionError(f"the relying party stopped: {process.stderr.read()}")


def _answer(process: subprocess.Popen, text: str) -> None:
    process.stdin.write(text + "\n")
    process.stdin.flush()
