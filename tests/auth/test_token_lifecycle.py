"""POST /auth/refresh, /auth/logout and /auth/password: the contract's codes and effects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_jwt_extended import decode_token
from sqlalchemy import select

from app.auth.tokens import issue_token_pair
from app.tokens.models import RevokedToken
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem

REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
PASSWORD = "/api/v1/auth/password"
ME = "/api/v1/auth/me"
LOGIN = "/api/v1/auth/login"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(client, email: str, password: str = DEFAULT_PASSWORD) -> dict:
    response = client.post(LOGIN, json={"email": email, "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def claims(token: str) -> dict:
    return decode_token(token)


def revoked_rows(db) -> list[tuple[str, datetime]]:
    db.session.rollback()  # read what is committed, not what this session cached
    return db.session.execute(select(RevokedToken.jti, RevokedToken.expires_at)).all()


# --- refresh -----------------------------------------------------------------------------

def test_refresh_returns_a_working_pair_and_rotates(client, user):
    tokens = login(client, user.email)

    response = client.post(REFRESH, headers=bearer(tokens["refresh_token"]))

    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert body["refresh_token"] != tokens["refresh_token"]
    assert client.get(ME, headers=bearer(body["access_token"])).get_json()["id"] == user.id
    # The refresh token just used is spent; the new one works once.
    assert_problem(client.post(REFRESH, headers=bearer(tokens["refresh_token"])), 401)
    assert client.post(REFRESH, headers=bearer(body["refresh_token"])).status_code == 200


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer not-a-jwt"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
], ids=["missing", "malformed", "wrong-scheme"])
def test_refresh_without_a_valid_token_is_401(client, headers):
    body = assert_problem(client.post(REFRESH, headers=headers), 401)
    assert "Bearer" in client.post(REFRESH, headers=headers).headers["WWW-Authenticate"]
    assert body["detail"]


def test_refresh_refuses_an_access_token_and_asks_for_a_refresh_token(client, user):
    tokens = login(client, user.email)
    body = assert_problem(client.post(REFRESH, headers=bearer(tokens["access_token"])), 401)
    assert "takes a refresh token, not an access token" in body["detail"]


def test_access_endpoints_refuse_a_refresh_token_and_ask_for_an_access_token(client, user):
    tokens = login(client, user.email)
    assert_problem(client.get(ME, headers=bearer(tokens["refresh_token"])), 401)
    body = assert_problem(client.post(LOGOUT, headers=bearer(tokens["refresh_token"])), 401)
    assert "takes an access token, not a refresh token" in body["detail"]


def test_refresh_of_a_deactivated_user_is_401(client, db, user):
    tokens = login(client, user.email)
    user.is_active = False
    db.session.commit()
    assert_problem(client.post(REFRESH, headers=bearer(tokens["refresh_token"])), 401)


def test_expired_refresh_token_is_401(app, client, user):
    # Flask-JWT-Extended's own key, set past what any setting allows (the settings refuse
    # a lifetime under a second): the refresh token is born expired.
    app.config["JWT_REFRESH_TOKEN_EXPIRES"] = timedelta(seconds=-1)
    tokens = issue_token_pair(user)
    body = assert_problem(client.post(REFRESH, headers=bearer(tokens["refresh_token"])), 401)
    assert "expired" in body["detail"]


# --- logout ------------------------------------------------------------------------------

def test_logout_ends_the_session_of_the_access_token(client, db, user):
    tokens = login(client, user.email)
    other_session = login(client, user.email)

    response = client.post(LOGOUT, headers=bearer(tokens["access_token"]))

    assert response.status_code == 204
    assert response.get_data() == b""
    # One entry refuses the whole session, until its refresh token would have expired.
    now = datetime.now(UTC)
    rows = revoked_rows(db)
    assert [jti for jti, _ in rows] == [f"sid:{claims(tokens['access_token'])['sid']}"]
    assert timedelta(days=29, hours=23) < rows[0][1] - now <= timedelta(days=30, seconds=3)
    body = assert_problem(client.get(ME, headers=bearer(tokens["access_token"])), 401)
    assert "revoked" in body["detail"]
    assert_problem(client.post(REFRESH, headers=bearer(tokens["refresh_token"])), 401)
    assert_problem(client.post(LOGOUT, headers=bearer(tokens["access_token"])), 401)
    # Only that session ends: another login of the same user still works.
    assert client.get(ME, headers=bearer(other_session["access_token"])).status_code == 200
    assert client.post(REFRESH, headers=bearer(other_session["refresh_token"])).status_code == 200


def test_logout_after_refresh_ends_the_refreshed_session(client, user):
    first = login(client, user.email)
    second = client.post(REFRESH, headers=bearer(first["refresh_token"])).get_json()

    assert client.post(LOGOUT, headers=bearer(second["access_token"])).status_code == 204

    assert_problem(client.post(REFRESH, headers=bearer(second["refresh_token"])), 401)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer garbage"}],
                         ids=["missing", "malformed"])
def test_logout_without_a_valid_token_is_401(client, headers):
    assert_problem(client.post(LOGOUT, headers=headers), 401)


# --- password ----------------------------------------------------------------------------

def test_password_change_refuses_every_earlier_token(client, db, user):
    first = login(client, user.email)
    second = login(client, user.email)
    before = user.updated_at

    response = client.post(PASSWORD, headers=bearer(first["access_token"]), json={
        "current_password": DEFAULT_PASSWORD, "new_password": "a brand new secret"})

    assert response.status_code == 204
    for token in (first["access_token"], second["access_token"]):
        assert_problem(client.get(ME, headers=bearer(token)), 401)
    for token in (first["refresh_token"], second["refresh_token"]):
        assert_problem(client.post(REFRESH, headers=bearer(token)), 401)
    assert_problem(client.post(LOGIN, json={"email": user.email,
                                            "password": DEFAULT_PASSWORD}), 401)
    fresh = login(client, user.email, "a brand new secret")
    me = client.get(ME, headers=bearer(fresh["access_token"])).get_json()
    assert me["updatedBy"] == user.id
    assert datetime.fromisoformat(me["updatedAt"]) >= before


def test_password_change_accepts_an_html_form(client, user):
    tokens = login(client, user.email)
    response = client.post(PASSWORD, headers=bearer(tokens["access_token"]), data={
        "current_password": DEFAULT_PASSWORD, "new_password": "form-posted secret"})
    assert response.status_code == 204
    login(client, user.email, "form-posted secret")


def test_wrong_current_password_is_401_and_changes_nothing(client, user):
    tokens = login(client, user.email)

    response = client.post(PASSWORD, headers=bearer(tokens["access_token"]), json={
        "current_password": "not my password", "new_password": "a brand new secret"})

    body = assert_problem(response, 401)
    assert "current password" in body["detail"]
    assert client.get(ME, headers=bearer(tokens["access_token"])).status_code == 200
    login(client, user.email)


@pytest.mark.parametrize(("payload", "field"), [
    ({"current_password": DEFAULT_PASSWORD, "new_password": "short"}, "new_password"),
    ({"current_password": DEFAULT_PASSWORD, "new_password": "x" * 129}, "new_password"),
    ({"current_password": DEFAULT_PASSWORD}, "new_password"),
    ({"new_password": "long enough secret"}, "current_password"),
], ids=["too-short", "too-long", "missing-new", "missing-current"])
def test_password_change_field_errors_are_422(client, user, payload, field):
    tokens = login(client, user.email)
    body = assert_problem(
        client.post(PASSWORD, headers=bearer(tokens["access_token"]), json=payload), 422)
    assert field in body["errors"]
    login(client, user.email)  # unchanged


def test_password_of_128_characters_is_fully_significant(client, user):
    tokens = login(client, user.email)
    new = "p" * 127 + "!"
    assert client.post(PASSWORD, headers=bearer(tokens["access_token"]), json={
        "current_password": DEFAULT_PASSWORD, "new_password": new}).status_code == 204
    assert_problem(client.post(LOGIN, json={"email": user.email,
                                            "password": "p" * 127 + "?"}), 401)
    login(client, user.email, new)


def test_password_change_without_token_is_401(client):
    assert_problem(client.post(PASSWORD, json={
        "current_password": DEFAULT_PASSWORD, "new_password": "long enough secret"}), 401)
