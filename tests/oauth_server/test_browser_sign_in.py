"""Chromium: an example application → Signet sign-in with TOTP → consent → back signed in."""

from __future__ import annotations

import secrets
import threading
from html import escape

import pytest
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask, request
from joserfc import jwt
from joserfc.jwk import KeySet
from PIL import Image, ImageStat
from werkzeug.serving import make_server

from app import keys
from tests.mfa.helpers import enable_totp
from tests.oauth_server.helpers import PASSWORD, make_client

pytestmark = [pytest.mark.live, pytest.mark.browser]


def relying_party(provider: str, app_json: dict) -> tuple[Flask, dict]:
    """A tiny application offering "Sign in with Signet" (Authlib's client, server side)."""
    rp = Flask("example_rp")
    seen: dict = {}

    def session(redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(app_json["clientId"], app_json["clientSecret"],
                             scope="openid profile email", redirect_uri=redirect_uri,
                             code_challenge_method="S256")

    @rp.get("/")
    def home():
        seen["verifier"] = secrets.token_urlsafe(48)
        url, seen["state"] = session(request.host_url + "callback").create_authorization_url(
            f"{provider}/oauth/authorize", code_verifier=seen["verifier"], nonce="n-browser")
        return (f'<!doctype html><title>Example App</title><h1>Example App</h1>'
                f'<a id="sign-in" href="{escape(url)}">Sign in with Signet</a>')

    @rp.get("/callback")
    def callback():
        oauth = session(request.host_url + "callback")
        token = oauth.fetch_token(f"{provider}/oauth/token", authorization_response=request.url,
                                  code_verifier=seen["verifier"], state=seen["state"])
        info = oauth.get(f"{provider}/oauth/userinfo").json()
        seen["token"] = token
        return (f'<!doctype html><title>Example App</title><h1>Example App</h1>'
                f'<p id="who">Signed in as {escape(info["name"])} '
                f'({escape(info["email"])})</p>')

    return rp, seen


def test_sign_in_with_signet_from_another_application(
        provider, client, admin, user, auth_headers, chromium, artifacts_dir):
    authenticator, _codes = enable_totp(client, auth_headers(user))
    rp_server = make_server("127.0.0.1", 0, Flask("placeholder"))
    rp_url = f"http://127.0.0.1:{rp_server.server_port}"
    app_json = make_client(client, auth_headers(admin), name="Example App",
                           redirectUris=[f"{rp_url}/callback"], scopes=["openid", "profile",
                                                                         "email"])
    rp_server.app, seen = relying_party(provider, app_json)
    thread = threading.Thread(target=rp_server.serve_forever, daemon=True)
    thread.start()
    context = chromium.new_context(viewport={"width": 1000, "height": 760})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(rp_url)
        page.click("#sign-in")
        page.wait_for_url(f"{provider}/login?**")
        assert page.input_value("#email") == ""
        page.fill("#email", user.email)
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#mfa-code-form")
        page.fill("#code", authenticator.code())
        page.click("#mfa-code-form button[type=submit]")
        page.wait_for_selector("#consent-form")
        assert page.inner_text("#consent-client") == "Example App"
        assert "See your email address" in page.inner_text("#consent-scopes")
        page.screenshot(path=str(artifacts_dir / "oidc-consent.png"))
        page.click("#consent-allow")
        page.wait_for_url(f"{rp_url}/callback?**")
        assert page.inner_text("#who") == f"Signed in as {user.name} ({user.email})"
        screenshot = artifacts_dir / "oidc-signed-in.png"
        page.screenshot(path=str(screenshot))
    finally:
        context.close()
        rp_server.shutdown()
        thread.join(timeout=10)

    claims = jwt.decode(seen["token"]["id_token"],
                        KeySet.import_key_set(keys.published_jwks())).claims
    assert claims["amr"] == ["pwd", "otp"] and claims["nonce"] == "n-browser"
    with Image.open(screenshot) as image:
        assert image.size == (1000, 760)
        # A rendered page, not a blank frame: the pixels are not all one colour.
        assert max(ImageStat.Stat(image.convert("L")).stddev) > 5
