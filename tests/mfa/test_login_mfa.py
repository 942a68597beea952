"""The two-step login: with MFA on, no tokens for the password alone, on any path."""

from __future__ import annotations

import logging

import pytest
from flask_jwt_extended import decode_token

from app.sessions.models import UserSession
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem, sleep_past_expiry
from tests.mfa.helpers import LOGIN, LOGIN_MFA, ME, Authenticator, enable_totp, mfa_token


@pytest.fixture
def mfa_user(client, user, auth_headers):
    """Ada, with TOTP on: (user, authenticator, recovery codes)."""
    app, codes = enable_totp(client, auth_headers(user))
    return user, app, codes


def test_password_answers_mfa_required_and_no_token(client, mfa_user):
    user, _app, _codes = mfa_user

    response = client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    body = response.get_json()
    assert body["mfa_required"] is True
    assert body["methods"] == ["totp", "recovery_code"]
    assert set(body) == {"mfa_required", "mfa_token", "methods"}
    assert "Set-Cookie" not in response.headers


def test_wrong_password_is_still_401(client, mfa_user):
    user, _app, _codes = mfa_user
    assert_problem(client.post(LOGIN, json={"email": user.email, "password": "nope nope"}),
                   401)


def test_code_completes_the_login(client, db, mfa_user):
    user, app, _codes = mfa_user

    response = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                            "code": app.code()})

    assert response.status_code == 200
    tokens = response.get_json()
    assert tokens["token_type"] == "Bearer"
    me = client.get(ME, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.get_json()["email"] == user.email
    # Applications trusting Signet's ID tokens learn that a second factor was used.
    session_id = decode_token(tokens["access_token"])["sid"]
    assert db.session.get(UserSession, session_id).auth_methods == "pwd otp"


def test_a_replayed_code_is_refused(client, mfa_user):
    user, app, _codes = mfa_user
    code = app.code()
    first = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                         "code": code})
    assert first.status_code == 200

    replay = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                          "code": code})

    assert_problem(replay, 401)


def test_an_older_code_than_the_last_used_one_is_refused(client, mfa_user):
    user, app, _codes = mfa_user
    older = app.code()
    newer = app.code()
    assert client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                        "code": newer}).status_code == 200

    late = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                         "code": older})

    assert_problem(late, 401)


def test_a_recovery_code_works_once(client, mfa_user):
    user, _app, codes = mfa_user
    typed = codes[3].upper().replace("-", " ")  # as a person might type it

    first = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                         "code": typed})
    again = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                         "code": codes[3]})

    assert first.status_code == 200 and "access_token" in first.get_json()
    assert_problem(again, 401)


@pytest.mark.parametrize("code", ["000000", "not-a-code", "12345", "x" * 64])
def test_wrong_codes_are_401(client, mfa_user, code):
    user, _app, _codes = mfa_user
    response = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                            "code": code})
    assert_problem(response, 401)


@pytest.mark.parametrize("body", [{"code": "123456"}, {"mfa_token": "x"},
                                  {"mfa_token": "x", "code": "x" * 65}])
def test_missing_or_oversized_fields_are_422(client, body):
    assert_problem(client.post(LOGIN_MFA, json=body), 422)


def test_an_mfa_token_signs_in_once(client, mfa_user):
    user, app, _codes = mfa_user
    token = mfa_token(client, user.email)
    assert client.post(LOGIN_MFA, json={"mfa_token": token, "code": app.code()}).status_code == 200

    assert_problem(client.post(LOGIN_MFA, json={"mfa_token": token, "code": app.code()}), 401)


@pytest.mark.parametrize("token", ["garbage", "a.b.c"])
def test_a_forged_mfa_token_is_401(client, mfa_user, token):
    _user, app, _codes = mfa_user
    assert_problem(client.post(LOGIN_MFA, json={"mfa_token": token, "code": app.code()}), 401)


def test_an_access_token_is_no_mfa_token(client, mfa_user, auth_headers):
    user, app, _codes = mfa_user
    access = auth_headers(user)["Authorization"].split()[1]
    assert_problem(client.post(LOGIN_MFA, json={"mfa_token": access, "code": app.code()}), 401)


@pytest.mark.parametrize("path", [ME, "/api/v1/files", "/api/v1/users"])
def test_an_mfa_token_is_refused_as_a_bearer_token(client, mfa_user, path):
    user, _app, _codes = mfa_user
    headers = {"Authorization": f"Bearer {mfa_token(client, user.email)}"}
    assert_problem(client.get(path, headers=headers), 401)


@pytest.fixture
def short_mfa_tokens(app_config):
    app_config["MFA_TOKEN_EXPIRES"] = 1
    return app_config


def test_an_expired_mfa_token_is_401(short_mfa_tokens, client, mfa_user):
    user, app, _codes = mfa_user
    token = mfa_token(client, user.email)
    sleep_past_expiry(token)

    body = assert_problem(client.post(LOGIN_MFA, json={"mfa_token": token, "code": app.code()}),
                          401)

    assert "expired" in body["detail"]


def test_a_password_change_voids_the_mfa_token(client, mfa_user, auth_headers):
    user, app, _codes = mfa_user
    token = mfa_token(client, user.email)
    client.post("/api/v1/auth/password", headers=auth_headers(user),
                json={"current_password": DEFAULT_PASSWORD, "new_password": "another secret 42"})

    assert_problem(client.post(LOGIN_MFA, json={"mfa_token": token, "code": app.code()}), 401)


@pytest.mark.parametrize("encoding", ["json", "urlencoded", "multipart"])
def test_no_login_encoding_gives_tokens_for_the_password_alone(client, mfa_user, encoding):
    user, _app, _codes = mfa_user
    fields = {"email": user.email, "password": DEFAULT_PASSWORD}
    if encoding == "json":
        response = client.post(LOGIN, json=fields)
    elif encoding == "urlencoded":
        response = client.post(LOGIN, data=fields)
    else:
        response = client.post(LOGIN, data=fields, content_type="multipart/form-data")

    assert response.status_code == 200
    assert response.get_json()["mfa_required"] is True
    assert "access_token" not in response.get_json()
    assert "refresh_token" not in response.get_json()


@pytest.fixture
def limited(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                      LOGIN_FAILURE_RATE_LIMIT="3 per minute")
    return app_config


def test_wrong_codes_are_limited_per_account(limited, client, mfa_user, auth_headers, users):
    user, app, _codes = mfa_user
    for _ in range(2):
        wrong = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                             "code": "000000"})
        assert_problem(wrong, 401)
    # The signed-in calls count against the same account.
    assert_problem(client.post("/api/v1/auth/mfa/recovery-codes", headers=auth_headers(user),
                               json={"current_password": DEFAULT_PASSWORD, "code": "000000"}),
                   401)

    limited_response = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                                    "code": app.code()})

    body = assert_problem(limited_response, 429)
    assert "Too many wrong codes" in body["detail"]
    assert int(limited_response.headers["Retry-After"]) >= 1
    other = users.create()
    assert client.post(LOGIN, json={"email": other.email,
                                    "password": DEFAULT_PASSWORD}).status_code == 200


def test_admin_reset_lets_the_password_sign_in_again(client, mfa_user, admin, auth_headers,
                                                     caplog):
    user, _app, _codes = mfa_user
    caplog.set_level(logging.INFO, logger="app.audit")

    response = client.delete(f"/api/v1/users/{user.id}/mfa", headers=auth_headers(admin))

    assert response.status_code == 204
    login = client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert "access_token" in login.get_json()
    assert client.get(f"/api/v1/users/{user.id}",
                      headers=auth_headers(admin)).get_json()["mfaEnabled"] is False
    assert any("admin.mfa_reset" in r.getMessage() and str(user.id) in r.getMessage()
               for r in caplog.records)


def test_admin_reset_is_for_admins_and_known_users(client, mfa_user, admin, auth_headers):
    user, _app, _codes = mfa_user
    assert_problem(client.delete(f"/api/v1/users/{user.id}/mfa"), 401)
    assert_problem(client.delete(f"/api/v1/users/{user.id}/mfa",
                                 headers=auth_headers(user)), 403)
    assert_problem(client.delete("/api/v1/users/987654/mfa", headers=auth_headers(admin)), 404)


def test_answers_holding_secrets_or_tokens_are_not_cached(client, user, auth_headers):
    headers = auth_headers(user)
    setup = client.post("/api/v1/auth/mfa/totp", json={"current_password": DEFAULT_PASSWORD},
                        headers=headers)
    assert setup.headers["Cache-Control"] == "no-store"
    app = Authenticator(setup.get_json()["secret"])
    confirm = client.post("/api/v1/auth/mfa/totp/confirm", json={"code": app.code()},
                          headers=headers)
    assert confirm.headers["Cache-Control"] == "no-store"
    regenerated = client.post("/api/v1/auth/mfa/recovery-codes", headers=headers,
                              json={"current_password": DEFAULT_PASSWORD, "code": app.code()})
    assert regenerated.headers["Cache-Control"] == "no-store"
    signed_in = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                             "code": app.code()})
    assert signed_in.status_code == 200
    assert signed_in.headers["Cache-Control"] == "no-store"
