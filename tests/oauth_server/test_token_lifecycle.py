"""Applications' tokens: rotation with reuse detection, and what ends them."""

from __future__ import annotations

import io

import pytest

from tests.oauth_server.helpers import PASSWORD, full_flow, make_client


def refresh(client, app_json, refresh_token):
    return client.post("/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": app_json["clientId"], "client_secret": app_json["clientSecret"]})


def userinfo(client, access_token):
    return client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {access_token}"})


@pytest.fixture
def app_json(client, admin, auth_headers):
    return make_client(client, auth_headers(admin))


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_family(client, app_json,
                                                                         user):
    first = full_flow(client, app_json, user.email)
    second = refresh(client, app_json, first["refresh_token"])
    assert second.status_code == 200, second.get_json()
    second = second.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert userinfo(client, second["access_token"]).status_code == 200

    replay = refresh(client, app_json, first["refresh_token"])
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    # The thief's replay ends the chain for everyone holding it.
    assert userinfo(client, second["access_token"]).status_code == 401
    assert refresh(client, app_json, second["refresh_token"]).status_code == 400


def test_no_refresh_token_without_offline_access(client, app_json, user):
    tokens = full_flow(client, app_json, user.email, scope="openid email")
    assert "refresh_token" not in tokens and "id_token" in tokens


def test_ending_the_signet_session_ends_the_applications_tokens(client, app_json, user,
                                                                auth_headers):
    tokens = full_flow(client, app_json, user.email)
    sessions = client.get("/api/v1/auth/sessions", headers=auth_headers(user)).get_json()
    browser = min(item["id"] for item in sessions["items"])
    ended = client.delete(f"/api/v1/auth/sessions/{browser}", headers=auth_headers(user))
    assert ended.status_code == 204
    assert userinfo(client, tokens["access_token"]).status_code == 401
    assert refresh(client, app_json, tokens["refresh_token"]).get_json()["error"] == (
        "invalid_grant")


def test_password_change_and_deactivation_end_the_tokens(client, app_json, user, admin,
                                                         auth_headers):
    tokens = full_flow(client, app_json, user.email)
    changed = client.post("/api/v1/auth/password", headers=auth_headers(user), json={
        "current_password": PASSWORD, "new_password": "a brand new passphrase 2026"})
    assert changed.status_code == 204
    assert userinfo(client, tokens["access_token"]).status_code == 401
    assert refresh(client, app_json, tokens["refresh_token"]).status_code == 400


def test_deactivation_ends_the_tokens(client, app_json, users, admin, auth_headers):
    person = users.create(email="bob@example.com")
    tokens = full_flow(client, app_json, person.email)
    gone = client.delete(f"/api/v1/users/{person.id}", headers=auth_headers(admin))
    assert gone.status_code in (200, 204), gone.get_json()
    assert refresh(client, app_json, tokens["refresh_token"]).status_code == 400


def test_revoking_the_grant_ends_every_token_of_that_application(client, app_json, user,
                                                                 auth_headers):
    tokens = full_flow(client, app_json, user.email)
    grants = client.get("/api/v1/auth/grants", headers=auth_headers(user)).get_json()["items"]
    assert [g["application"]["name"] for g in grants] == ["Example App"]
    assert grants[0]["scopes"] == ["openid", "profile", "email", "offline_access"]
    assert client.delete(f"/api/v1/auth/grants/{grants[0]['id']}",
                         headers=auth_headers(user)).status_code == 204
    assert userinfo(client, tokens["access_token"]).status_code == 401
    assert refresh(client, app_json, tokens["refresh_token"]).status_code == 400
    assert client.get("/api/v1/auth/grants", headers=auth_headers(user)).get_json() == {
        "items": []}


def test_revocation_and_introspection(client, app_json, user):
    tokens = full_flow(client, app_json, user.email)
    auth = {"client_id": app_json["clientId"], "client_secret": app_json["clientSecret"]}
    active = client.post("/oauth/introspect", data={"token": tokens["access_token"], **auth})
    body = active.get_json()
    assert body["active"] is True and body["sub"] == str(user.id)
    assert body["client_id"] == app_json["clientId"]
    revoked = client.post("/oauth/revoke", data={"token": tokens["refresh_token"], **auth})
    assert revoked.status_code == 200
    after = client.post("/oauth/introspect", data={"token": tokens["access_token"], **auth})
    assert after.get_json() == {"active": False}
    assert userinfo(client, tokens["access_token"]).status_code == 401


def test_an_application_calls_the_api_under_its_granted_scopes(client, app_json, user,
                                                               auth_headers):
    upload = client.post("/api/v1/files", headers=auth_headers(user),
                         content_type="multipart/form-data",
                         data={"file": (io.BytesIO(b"hello"), "notes.txt")})
    assert upload.status_code == 201
    narrow = full_flow(client, app_json, user.email, scope="openid")
    bearer = {"Authorization": f"Bearer {narrow['access_token']}"}
    refused = client.get("/api/v1/files", headers=bearer)
    assert refused.status_code == 403
    assert 'scope="files:read"' in refused.headers["WWW-Authenticate"]

    wide = full_flow(client, app_json, user.email, scope="openid files:read", nonce="n2")
    bearer = {"Authorization": f"Bearer {wide['access_token']}"}
    listed = client.get("/api/v1/files", headers=bearer)
    assert listed.status_code == 200, listed.get_json()
    assert [item["originalName"] for item in listed.get_json()["items"]] == ["notes.txt"]
    # Account security is never for an application's token.
    assert client.get("/api/v1/auth/sessions", headers=bearer).status_code == 403
    assert client.get("/api/v1/auth/grants", headers=bearer).status_code == 403
