"""The admin client API, `flask oauth create-client`, the profile section and logout."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from app.hashing import token_hash
from app.oauth_server.models import OAuthClient
from tests.oauth_server.helpers import BROWSER, REDIRECT, browser_sign_in, full_flow, make_client


def test_admin_registers_lists_changes_and_deletes_an_application(client, db, admin,
                                                                  auth_headers):
    headers = auth_headers(admin)
    created = make_client(client, headers)
    secret = created["clientSecret"]
    assert secret.startswith("sgn_ocs_")
    row = db.session.scalar(select(OAuthClient))
    assert row.secret_hash == token_hash(secret) and secret not in row.secret_hash
    path = f"/api/v1/oauth/clients/{created['clientId']}"
    shown = client.get(path, headers=headers).get_json()
    assert "clientSecret" not in shown and shown["redirectUris"] == [REDIRECT]
    assert [item["clientId"] for item in client.get(
        "/api/v1/oauth/clients", headers=headers).get_json()["items"]] == [created["clientId"]]
    changed = client.patch(path, headers=headers, json={"name": "Renamed", "firstParty": True})
    assert changed.status_code == 200 and changed.get_json()["name"] == "Renamed"
    rotated = client.post(f"{path}/secret", headers=headers).get_json()["clientSecret"]
    assert rotated != secret
    assert client.delete(path, headers=headers).status_code == 204
    assert client.get(path, headers=headers).status_code == 404


def test_client_fields_are_checked_and_only_admins_register(client, admin, user,
                                                            auth_headers):
    bad = client.post("/api/v1/oauth/clients", headers=auth_headers(admin), json={
        "name": "X", "redirectUris": ["https://app.example/cb#frag"], "type": "public",
        "scopes": ["openid"]})
    assert bad.status_code == 422 and "redirectUris" in bad.get_json()["errors"]
    plain = client.post("/api/v1/oauth/clients", headers=auth_headers(admin), json={
        "name": "X", "redirectUris": ["http://app.example/cb"], "type": "public",
        "scopes": ["openid"]})
    assert plain.status_code == 422
    unknown = client.post("/api/v1/oauth/clients", headers=auth_headers(admin), json={
        "name": "X", "redirectUris": ["https://app.example/cb"], "type": "public",
        "scopes": ["openid", "everything"]})
    assert unknown.status_code == 422 and "scopes" in unknown.get_json()["errors"]
    refused = client.post("/api/v1/oauth/clients", headers=auth_headers(user), json={
        "name": "X", "redirectUris": ["https://app.example/cb"], "type": "public",
        "scopes": ["openid"]})
    assert refused.status_code == 403


def test_cli_creates_a_client_and_prints_the_secret_once(app, db, admin):
    result = app.test_cli_runner().invoke(args=[
        "oauth", "create-client", "--name", "CLI App", "--redirect-uri", REDIRECT,
        "--scope", "openid", "--scope", "email"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output.strip().splitlines()[-1])
    row = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id ==
                                                      printed["clientId"]))
    assert row.name == "CLI App" and row.scopes == "openid email"
    assert row.secret_hash == token_hash(printed["clientSecret"])


def test_profile_lists_granted_applications_and_revokes_one(client, admin, user,
                                                             auth_headers):
    app_json = make_client(client, auth_headers(admin))
    full_flow(client, app_json, user.email)
    page = client.get("/profile", headers=BROWSER).get_data(as_text=True)
    assert "Applications you let in" in page and "Example App" in page
    assert "See your email address" in page
    grant_id = re.search(r'id="grant-(\d+)"', page).group(1)
    csrf = client.get_cookie("csrf_access_token").value
    revoked = client.post(f"/profile/applications/{grant_id}/revoke", headers=BROWSER,
                          data={"csrf_token": csrf})
    assert revoked.status_code == 303
    page = client.get("/profile", headers=BROWSER).get_data(as_text=True)
    assert "No application has access to your account." in page


def test_rp_initiated_logout_ends_the_session_and_returns_to_the_application(
        client, admin, user, auth_headers):
    app_json = make_client(client, auth_headers(admin))
    tokens = full_flow(client, app_json, user.email)
    response = client.get("/oauth/logout", query_string={
        "id_token_hint": tokens["id_token"], "state": "bye1",
        "post_logout_redirect_uri": "http://127.0.0.1:9999/bye"}, headers=BROWSER)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/bye" and parse_qs(location.query)["state"] == ["bye1"]
    info = client.get("/oauth/userinfo",
                      headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401
    assert client.get("/profile", headers=BROWSER).status_code == 303  # signed out


def test_logout_without_an_id_token_asks_first_and_never_redirects_elsewhere(
        client, admin, user, auth_headers):
    make_client(client, auth_headers(admin))
    browser_sign_in(client, user.email)
    page = client.get("/oauth/logout", query_string={
        "post_logout_redirect_uri": "https://evil.example/"}, headers=BROWSER)
    assert page.status_code == 200 and "Sign out of Signet?" in page.get_data(as_text=True)
    assert client.get("/profile", headers=BROWSER).status_code == 200  # still signed in


def test_logout_confirmed_on_the_page_signs_out(client, admin, user, auth_headers):
    csrf = browser_sign_in(client, user.email)
    unconfirmed = client.post("/oauth/logout", headers=BROWSER, data={"csrf_token": csrf})
    assert unconfirmed.status_code == 200
    assert "Sign out of Signet?" in unconfirmed.get_data(as_text=True)
    assert client.get("/profile", headers=BROWSER).status_code == 200  # nothing ended yet
    done = client.post("/oauth/logout", headers=BROWSER,
                       data={"csrf_token": csrf, "confirm": "yes"})
    assert done.status_code == 303 and done.headers["Location"] == "/login?notice=signed_out"
    assert client.get("/profile", headers=BROWSER).status_code == 303
    sessions = client.get("/api/v1/auth/sessions", headers=auth_headers(user)).get_json()
    assert len(sessions["items"]) == 1  # only the one auth_headers just started
