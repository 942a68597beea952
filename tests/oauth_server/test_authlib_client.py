"""Authlib's OAuth 2 client (requests) as a relying party against the running provider."""

from __future__ import annotations

import secrets

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from app.keys.service import rotate_key
from tests.oauth_server.browser import Browser
from tests.oauth_server.helpers import REDIRECT, make_client

pytestmark = pytest.mark.live
SCOPE = "openid profile email offline_access"


def verified_claims(meta: dict, id_token: str, client_id: str, nonce: str) -> dict:
    """The ID token's claims, its signature checked against the published JWKS."""
    key_set = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=30).json())
    token = jwt.decode(id_token, key_set, algorithms=meta[
        "id_token_signing_alg_values_supported"])
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": meta["issuer"]},
                          aud={"essential": True, "value": client_id},
                          nonce={"essential": True, "value": nonce}).validate(token.claims)
    return {**token.claims, "kid": token.header["kid"]}


def sign_in_with(meta, session: OAuth2Session, browser: Browser) -> tuple[dict, str]:
    """The code flow with PKCE: authorization URL, browser, token; (token, nonce)."""
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, _state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    callback = browser.authorize(url)
    token = session.fetch_token(meta["token_endpoint"], authorization_response=callback,
                                code_verifier=verifier)
    return token, nonce


@pytest.fixture
def relying_party(provider, client, admin, user, auth_headers):
    app_json = make_client(client, auth_headers(admin))
    meta = requests.get(f"{provider}/.well-known/openid-configuration", timeout=30).json()
    session = OAuth2Session(app_json["clientId"], app_json["clientSecret"], scope=SCOPE,
                            redirect_uri=REDIRECT, code_challenge_method="S256",
                            token_endpoint_auth_method="client_secret_basic")
    browser = Browser(provider)
    browser.sign_in(user.email)
    return meta, session, browser, app_json


def test_code_flow_refresh_userinfo_rotation_and_logout(relying_party, user):
    meta, session, browser, app_json = relying_party
    token, nonce = sign_in_with(meta, session, browser)
    claims = verified_claims(meta, token["id_token"], app_json["clientId"], nonce)
    assert claims["sub"] == str(user.id) and claims["email"] == user.email
    assert claims["amr"] == ["pwd"] and claims["sid"].isdigit()
    assert session.get(meta["userinfo_endpoint"]).json()["email"] == user.email

    refreshed = session.refresh_token(meta["token_endpoint"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert session.get(meta["userinfo_endpoint"]).status_code == 200

    # Rotation while tokens live: the new key signs, the old one stays published.
    old_kid = claims["kid"]
    new_kid = rotate_key(sign_now=True).kid  # `flask keys rotate --now`
    assert session.get(meta["userinfo_endpoint"]).status_code == 200
    assert verified_claims(meta, token["id_token"], app_json["clientId"], nonce)["kid"] == (
        old_kid)
    second, nonce2 = sign_in_with(meta, session, browser)
    assert verified_claims(meta, second["id_token"], app_json["clientId"],
                           nonce2)["kid"] == new_kid

    logout = browser.http.get(meta["end_session_endpoint"], allow_redirects=False, params={
        "id_token_hint": second["id_token"], "state": "s1",
        "post_logout_redirect_uri": "http://127.0.0.1:9999/bye"})
    assert logout.status_code == 302
    assert logout.headers["Location"] == "http://127.0.0.1:9999/bye?state=s1"
    assert session.get(meta["userinfo_endpoint"]).status_code == 401
    with pytest.raises(OAuthError, match="invalid_grant"):
        session.refresh_token(meta["token_endpoint"])


def test_revoked_grant_and_ended_session_end_the_refresh_token(relying_party, user,
                                                                provider):
    meta, session, browser, _app_json = relying_party
    sign_in_with(meta, session, browser)
    headers = browser.user_headers(user.email)
    [grant] = requests.get(f"{provider}/api/v1/auth/grants", headers=headers,
                           timeout=30).json()["items"]
    assert requests.delete(f"{provider}/api/v1/auth/grants/{grant['id']}", headers=headers,
                           timeout=30).status_code == 204
    with pytest.raises(OAuthError, match="invalid_grant"):
        session.refresh_token(meta["token_endpoint"])

    sign_in_with(meta, session, browser)  # consent again, then end the browser's session
    sessions = requests.get(f"{provider}/api/v1/auth/sessions", headers=headers,
                            timeout=30).json()["items"]
    browser_session = min(item["id"] for item in sessions)
    assert requests.delete(f"{provider}/api/v1/auth/sessions/{browser_session}",
                           headers=headers, timeout=30).status_code == 204
    with pytest.raises(OAuthError, match="invalid_grant"):
        session.refresh_token(meta["token_endpoint"])


def test_an_unknown_redirect_uri_is_never_redirected_to(relying_party):
    meta, _session, browser, app_json = relying_party
    evil = OAuth2Session(app_json["clientId"], scope="openid",
                         redirect_uri="https://evil.example/callback",
                         code_challenge_method="S256")
    url, _ = evil.create_authorization_url(meta["authorization_endpoint"],
                                           code_verifier=secrets.token_urlsafe(48))
    response = browser.http.get(url, allow_redirects=False)
    assert response.status_code == 400 and "Location" not in response.headers
    assert "evil.example" not in response.text.split("<main>")[0]
