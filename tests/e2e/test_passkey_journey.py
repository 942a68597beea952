"""Passkeys in real Chromium with its virtual authenticator (CDP WebAuthn domain).

Register a passkey on the profile page, sign out, sign in with it and no password.
WebAuthn needs a secure context and a domain as relying party id: http://localhost is
both, so the server's PUBLIC_BASE_URL is http://localhost:<port> here.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import DEFAULT_PASSWORD
from tests.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.live]

# The suite's rules send every name but 127.0.0.1 nowhere; localhost must reach us too.
ARGS = [arg + ", EXCLUDE localhost" if arg.startswith("--host-resolver-rules") else arg
        for arg in CHROMIUM_ARGS]


@pytest.fixture
def localhost_server(app_config):
    """gunicorn (2 workers) whose public address is http://localhost:<port>."""
    server = LiveServer({"DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
                         "UPLOAD_FOLDER": app_config["UPLOAD_FOLDER"],
                         "RATELIMIT_ENABLED": "false"}, workers=2)
    server.url = f"http://localhost:{server.port}"
    server.env["PUBLIC_BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()


@pytest.fixture
def browser(chromium):
    """A Chromium of this test's own (its resolver rules differ from the session one),
    launched by the session's Playwright: a second Playwright in one process fails."""
    instance = chromium.browser_type.launch(executable_path=str(CHROMIUM), headless=True,
                                            args=ARGS)
    yield instance
    instance.close()


def test_register_a_passkey_sign_out_and_sign_in_with_it(app, user, localhost_server,
                                                         browser, artifacts_dir):
    context = browser.new_context(base_url=localhost_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})["authenticatorId"]

    page.goto("/login")
    page.fill("#email", user.email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("form[action='/api/v1/auth/login'] button[type=submit]")
    page.wait_for_url(re.compile(r"/profile$"))
    page.fill("#passkey-name", "Chromium")
    # Without the current password the ceremony does not start (a sensitive change).
    page.click("#passkey-register")
    page.locator("#passkey-status", has_text="current password").wait_for()
    page.fill("#passkey-password", DEFAULT_PASSWORD)
    page.click("#passkey-register")
    # (The page's CSP forbids eval, so waits use selectors, not wait_for_function.)
    page.locator("#passkey-list li", has_text="Chromium").wait_for()
    assert page.inner_text("#passkey-status") == ""
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1 and stored["credentials"][0]["isResidentCredential"]

    page.click("#sign-out")
    page.wait_for_url(re.compile(r"/login\?notice=signed_out$"))
    page.click("#passkey-sign-in")
    page.wait_for_url(re.compile(r"/profile$"))

    assert page.inner_text("#profile-name") == user.name
    page.screenshot(path=str(artifacts_dir / "e2e-passkey-profile.png"), full_page=True)
    after = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert after["credentials"][0]["signCount"] >= 1
    context.close()
