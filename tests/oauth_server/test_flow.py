"""The provider through Flask's test client: authorize, consent, token, userinfo, refresh."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet

from app import keys
from app.settings import settings_of
from tests.oauth_server.helpers import (
    BROWSER,
    REDIRECT,
    authorize_query,
    browser_sign_in,
    code_from,
    consent,
    exchange,
    full_flow,
    make_client,
)


def test_discovery_names_the_endpoints_and_the_issuer(client, app):
    meta = client.get("/.well-known/openid-configuration").get_json()
    base = settings_of(app).web.public_base_url.rstrip("/")
    assert meta["issuer"] == base
    assert meta["authorization_endpoint"] == f"{base}/oauth/authorize"
    assert meta["jwks_uri"] == f"{base}/.well-known/jwks.json"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["end_session_endpoint"] == f"{base}/oauth/logout"


def test_code_flow_with_consent_gives_a_verified_id_token(client, app, admin, user,
                                                          auth_headers):
    app_json = make_client(client, auth_headers(admin))
    csrf = browser_sign_in(client, user.email)
    query, verifier = authorize_query(app_json)
    page = client.get(f"/oauth/authorize?{query}", headers=BROWSER)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Example App" in html and "See your email address" in html
    assert "Stay connected while you are away" in html
    tokens = exchange(client, app_json, code_from(consent(client, query, csrf)), verifier)
    assert tokens.status_code == 200, tokens.get_json()
    assert tokens.headers["Cache-Control"] == "no-store"
    body = tokens.get_json()
    assert body["access_token"].startswith("sgn_oat_")
    assert body["refresh_token"].startswith("sgn_ort_")
    claims = jwt.decode(body["id_token"], KeySet.import_key_set(keys.published_jwks())).claims
    assert claims["sub"] == str(user.id) and claims["aud"] == [app_json["clientId"]]
    assert claims["email"] == user.email and claims["name"] == user.name
    assert claims["nonce"] == "n0nce" and claims["amr"] == ["pwd"]
    assert claims["iss"] == settings_of(app).web.public_base_url.rstrip("/")
    assert claims["sid"].isdigit() and isinstance(claims["auth_time"], int)

    info = client.get("/oauth/userinfo",
                      headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200
    assert info.get_json() == {"sub": str(user.id), "name": user.name, "email": user.email,
                               "email_verified": False}


def test_consent_is_remembered_and_first_party_skips_it(client, admin, user, auth_headers):
    app_json = make_client(client, auth_headers(admin))
    full_flow(client, app_json, user.email)
    query, _ = authorize_query(app_json)
    again = client.get(f"/oauth/authorize?{query}", headers=BROWSER)
    assert again.status_code == 302 and "code=" in again.headers["Location"]
    wider, _ = authorize_query(app_json, scope="openid files:read", nonce="other")
    assert client.get(f"/oauth/authorize?{wider}", headers=BROWSER).status_code == 200

    first = make_client(client, auth_headers(admin), name="Our Own", firstParty=True)
    query, _ = authorize_query(first, nonce="third")
    assert client.get(f"/oauth/authorize?{query}", headers=BROWSER).status_code == 302


def test_denying_consent_sends_access_denied_to_the_application(client, admin, user,
                                                                auth_headers):
    app_json = make_client(client, auth_headers(admin))
    csrf = browser_sign_in(client, user.email)
    query, _ = authorize_query(app_json)
    response = consent(client, query, csrf, decision="deny")
    assert response.status_code == 302
    params = parse_qs(urlsplit(response.headers["Location"]).query)
    assert params["error"] == ["access_denied"] and params["state"] == ["st4te"]


def test_signed_out_browser_goes_to_sign_in_and_prompt_none_gets_login_required(
        client, admin, auth_headers):
    app_json = make_client(client, auth_headers(admin))
    query, _ = authorize_query(app_json, login_hint="ada@example.com")
    response = client.get(f"/oauth/authorize?{query}", headers=BROWSER)
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    params = parse_qs(location.query)
    assert params["next"][0].startswith("/oauth/authorize?")
    assert params["login_hint"] == ["ada@example.com"]
    page = client.get(response.headers["Location"], headers=BROWSER).get_data(as_text=True)
    assert 'value="ada@example.com"' in page and "/oauth/authorize?" in page

    silent, _ = authorize_query(app_json, prompt="none")
    response = client.get(f"/oauth/authorize?{silent}", headers=BROWSER)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["error"] == [
        "login_required"]


def test_unknown_client_or_redirect_uri_is_an_error_page_never_a_redirect(
        client, admin, user, auth_headers):
    app_json = make_client(client, auth_headers(admin))
    browser_sign_in(client, user.email)
    query, _ = authorize_query(app_json, redirect_uri="https://evil.example/callback")
    response = client.get(f"/oauth/authorize?{query}", headers=BROWSER)
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.mimetype == "text/html"
    query, _ = authorize_query(app_json, client_id="nobody")
    response = client.get(f"/oauth/authorize?{query}", headers=BROWSER)
    assert response.status_code == 400 and "Location" not in response.headers
    # A prefix of a registered URI is no match either.
    query, _ = authorize_query(app_json, redirect_uri=REDIRECT + "/more")
    assert client.get(f"/oauth/authorize?{query}", headers=BROWSER).status_code == 400


def test_public_client_must_use_pkce_and_has_no_secret(client, admin, user, auth_headers):
    app_json = make_client(client, auth_headers(admin), type="public")
    assert app_json["clientSecret"] is None
    browser_sign_in(client, user.email)
    query, _ = authorize_query(app_json, code_challenge="", code_challenge_method="")
    response = client.get(f"/oauth/authorize?{query}", headers=BROWSER)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["error"] == [
        "invalid_request"]
    rotate = client.post(f"/api/v1/oauth/clients/{app_json['clientId']}/secret",
                         headers=auth_headers(admin))
    assert rotate.status_code == 409


def test_token_errors_follow_rfc_6749(client, admin, user, auth_headers):
    app_json = make_client(client, auth_headers(admin))
    csrf = browser_sign_in(client, user.email)
    query, verifier = authorize_query(app_json)
    code = code_from(consent(client, query, csrf))
    wrong = exchange(client, app_json, code, "x" * 50)
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"
    bad_secret = client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier, "client_id": app_json["clientId"],
        "client_secret": "nope"})
    assert bad_secret.status_code == 401 and bad_secret.get_json()["error"] == "invalid_client"
    assert exchange(client, app_json, code, verifier).status_code == 200
    replay = exchange(client, app_json, code, verifier)
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    unsupported = client.post("/oauth/token", data={"grant_type": "password"})
    assert unsupported.get_json()["error"] == "unsupported_grant_type"


def test_after_signets_own_sign_in_form_the_way_back_is_a_page_not_a_redirect(
        client, admin, user, auth_headers):
    # Browsers check a form's redirects against its page's form-action 'self': the last
    # hop to another site after the sign-in form is a page that moves on by itself.
    first = make_client(client, auth_headers(admin), firstParty=True)
    browser_sign_in(client, user.email)
    query, _ = authorize_query(first)
    response = client.get(f"/oauth/authorize?{query}", headers={
        **BROWSER, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "code=" in page and REDIRECT in page


def test_an_overlong_request_is_refused_before_any_work(client):
    response = client.get("/oauth/authorize?state=" + "x" * 9000, headers=BROWSER)
    assert response.status_code == 400 and "longer than 8192 bytes" in response.get_data(
        as_text=True)


def test_consent_without_the_pages_csrf_token_is_refused(client, admin, user, auth_headers):
    app_json = make_client(client, auth_headers(admin))
    browser_sign_in(client, user.email)
    query, _ = authorize_query(app_json)
    response = consent(client, query, csrf="forged")
    assert response.status_code == 400 and "Location" not in response.headers
    assert "Your Signet session ended" in response.get_data(as_text=True)
    assert client.get("/api/v1/auth/grants", headers=auth_headers(user)).get_json() == {
        "items": []}


def test_prompt_login_and_an_old_sign_in_with_max_age_go_through_sign_in_again(
        client, db, admin, user, auth_headers):
    from datetime import timedelta

    from app.sessions.models import UserSession

    app_json = make_client(client, auth_headers(admin))
    full_flow(client, app_json, user.email)
    query, _ = authorize_query(app_json, prompt="login", nonce="again")
    response = client.get(f"/oauth/authorize?{query}", headers=BROWSER)
    assert response.status_code == 303 and response.headers["Location"].startswith("/login?")
    back = parse_qs(urlsplit(response.headers["Location"]).query)["next"][0]
    assert "prompt" not in back and "max_age=0" in back

    for session in db.session.scalars(db.select(UserSession)):
        session.created_at -= timedelta(hours=1)
    db.session.commit()
    query, _ = authorize_query(app_json, max_age="600", nonce="older")
    assert client.get(f"/oauth/authorize?{query}", headers=BROWSER).status_code == 303
    query, _ = authorize_query(app_json, max_age="7200", nonce="recent-enough")
    assert client.get(f"/oauth/authorize?{query}", headers=BROWSER).status_code == 302
