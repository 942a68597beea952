"""Driving the OpenID Provider with Flask's test client: a browser and a relying party."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from app.keys.service import rotate_key
from tests.keys.helpers import move, now
from tests.keys.helpers import rows as key_rows

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PASSWORD = "correct horse battery"
REDIRECT = "http://127.0.0.1:9999/callback"


def make_client(client, admin_headers, **overrides) -> dict:
    """Register an application through the admin API; its JSON (with clientSecret)."""
    body = {"name": "Example App", "redirectUris": [REDIRECT], "type": "confidential",
            "scopes": ["openid", "profile", "email", "offline_access", "files:read"],
            "postLogoutRedirectUris": ["http://127.0.0.1:9999/bye"], **overrides}
    response = client.post("/api/v1/oauth/clients", json=body, headers=admin_headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def browser_sign_in(client, email: str) -> str:
    """Sign in through the HTML form (cookies); the session's CSRF token."""
    response = client.post("/api/v1/auth/login", headers=BROWSER, data={
        "email": email, "password": PASSWORD, "next": "/profile"})
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get_cookie("csrf_access_token").value


def authorize_query(app_json: dict, *, scope="openid profile email offline_access",
                    verifier: str | None = None, **extra) -> tuple[str, str]:
    """An authorization request's query string, and its PKCE verifier."""
    verifier = verifier or secrets.token_urlsafe(48)
    params = {"response_type": "code", "client_id": app_json["clientId"],
              "redirect_uri": REDIRECT, "scope": scope, "state": "st4te", "nonce": "n0nce",
              "code_challenge": create_s256_code_challenge(verifier),
              "code_challenge_method": "S256", **extra}
    return urlencode(params), verifier


def consent(client, query: str, csrf: str, decision: str = "allow"):
    """Post the consent form as the page would."""
    data = {k: v[0] for k, v in parse_qs(query).items()}
    return client.post("/oauth/authorize", headers=BROWSER,
                       data={**data, "csrf_token": csrf, "decision": decision})


def code_from(response) -> str:
    """The code in a redirect to the application (state checked)."""
    assert response.status_code == 302, response.get_data(as_text=True)
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    params = parse_qs(location.query)
    assert params["state"] == ["st4te"], params
    return params["code"][0]


def exchange(client, app_json: dict, code: str, verifier: str):
    """The token request of a confidential client (client_secret_post)."""
    return client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier, "client_id": app_json["clientId"],
        "client_secret": app_json["clientSecret"]})


def full_flow(client, app_json: dict, email: str, **extra) -> dict:
    """Sign in, consent, exchange: the token response JSON."""
    csrf = browser_sign_in(client, email)
    query, verifier = authorize_query(app_json, **extra)
    page = client.get(f"/oauth/authorize?{query}", headers=BROWSER)
    response = consent(client, query, csrf) if page.status_code == 200 else page
    tokens = exchange(client, app_json, code_from(response), verifier)
    assert tokens.status_code == 200, tokens.get_json()
    return tokens.get_json()


def publish_next_key() -> str:
    """Rotate as `flask keys rotate` does: a new key published now, signing later; its kid.

    The rotation publishes a key SIGNING_KEY_PUBLISH_SECONDS before it signs, so relying
    parties that cache the JWKS (openid-client re-reads it at most once a minute) already
    hold it when it starts signing (sign_with).
    """
    return rotate_key().kid


def sign_with(kid: str) -> None:
    """Let the publication delay of the published key `kid` pass: it signs from now on."""
    rows = key_rows()
    [row] = [row for row in rows if row.kid == kid]
    # The newest key whose delay has passed signs (a tie goes to the later key): not
    # before the key that signs now, which may have been made within this very second.
    since = max([now(), *(other.signs_from for other in rows
                          if other.kid != kid and other.signs_from <= datetime.now(UTC))])
    move(kid, signs_from=since - row.signs_from)
