"""TOTP set-up, confirmation, removal and recovery codes (POST/DELETE /auth/mfa/...)."""

from __future__ import annotations

import hashlib
import re

import pyotp
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.mfa import crypto
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem, row_count
from tests.mfa.helpers import (
    CONFIRM,
    LOGIN,
    LOGIN_MFA,
    ME,
    RECOVERY,
    TOTP,
    Authenticator,
    enable_totp,
    mfa_token,
)


def rows(sql: str, **params) -> list:
    with db.engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params))


def test_setup_answers_the_secret_its_uri_and_an_svg_qr_code_but_mfa_stays_off(
        client, user, auth_headers):
    headers = auth_headers(user)

    response = client.post(TOTP, json={"current_password": DEFAULT_PASSWORD}, headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"secret", "otpauthUri", "qrSvg"}
    assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])
    parsed = pyotp.parse_uri(body["otpauthUri"])
    assert (parsed.secret, parsed.name, parsed.issuer) == (body["secret"], user.email, "Signet")
    assert body["qrSvg"].startswith("<svg") and body["qrSvg"].rstrip().endswith("</svg>")
    assert client.get(ME, headers=headers).get_json()["mfaEnabled"] is False
    login = client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert "access_token" in login.get_json()


def test_the_secret_is_stored_encrypted_and_never_returned_again(client, user, auth_headers):
    headers = auth_headers(user)
    secret = client.post(TOTP, json={"current_password": DEFAULT_PASSWORD},
                         headers=headers).get_json()["secret"]

    [(stored,)] = rows("SELECT secret FROM mfa_totp WHERE userId = :id", id=user.id)
    assert secret not in stored
    assert crypto.decrypt(stored) == secret
    client.post(CONFIRM, json={"code": pyotp.TOTP(secret).now()}, headers=headers)
    assert secret not in client.get(ME, headers=headers).get_data(as_text=True)


@pytest.mark.parametrize(("body", "status"), [
    ({}, 422),  # the field is missing: a validation error naming it
    ({"current_password": "wrong password"}, 401),  # present but wrong: not this user
])
def test_setup_needs_the_current_password(client, user, auth_headers, body, status):
    response = client.post(TOTP, json=body, headers=auth_headers(user))

    assert_problem(response, status)
    assert row_count("mfa_totp") == 0


@pytest.mark.parametrize("path", [TOTP, CONFIRM, RECOVERY])
def test_the_signed_in_calls_need_a_token(client, path):
    assert_problem(client.post(path, json={}), 401)


def test_confirm_turns_mfa_on_and_shows_ten_recovery_codes_once(client, user, auth_headers):
    headers = auth_headers(user)
    app, codes = enable_totp(client, headers)

    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", code) for code in codes)
    assert client.get(ME, headers=headers).get_json()["mfaEnabled"] is True
    stored = {h for (h,) in rows("SELECT codeHash FROM mfa_recovery_codes")}
    assert stored == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    # Set-up and confirmation again are refused while MFA is on.
    assert_problem(client.post(CONFIRM, json={"code": app.code()}, headers=headers), 409)
    assert_problem(client.post(TOTP, json={"current_password": DEFAULT_PASSWORD},
                               headers=headers), 409)


def test_confirm_with_a_wrong_code_leaves_mfa_off(client, user, auth_headers):
    headers = auth_headers(user)
    secret = client.post(TOTP, json={"current_password": DEFAULT_PASSWORD},
                         headers=headers).get_json()["secret"]
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"

    assert_problem(client.post(CONFIRM, json={"code": wrong}, headers=headers), 401)
    assert client.get(ME, headers=headers).get_json()["mfaEnabled"] is False
    assert row_count("mfa_recovery_codes") == 0


def test_confirm_without_a_setup_is_a_conflict(client, user, auth_headers):
    assert_problem(client.post(CONFIRM, json={"code": "123456"}, headers=auth_headers(user)),
                   409)


def test_disable_needs_password_and_code_then_turns_mfa_off(client, user, auth_headers):
    headers = auth_headers(user)
    app, _codes = enable_totp(client, headers)

    wrong_password = {"current_password": "wrong password", "code": app.code()}
    assert_problem(client.delete(TOTP, json=wrong_password, headers=headers), 401)
    wrong_code = {"current_password": DEFAULT_PASSWORD, "code": "000000"}
    assert_problem(client.delete(TOTP, json=wrong_code, headers=headers), 401)
    assert client.get(ME, headers=headers).get_json()["mfaEnabled"] is True

    right = {"current_password": DEFAULT_PASSWORD, "code": app.code()}
    response = client.delete(TOTP, json=right, headers=headers)

    assert response.status_code == 204
    assert client.get(ME, headers=headers).get_json()["mfaEnabled"] is False
    assert row_count("mfa_totp") == row_count("mfa_recovery_codes") == 0
    login = client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert "access_token" in login.get_json()
    assert_problem(client.delete(TOTP, json=right, headers=headers), 409)


def test_disable_with_a_recovery_code(client, user, auth_headers):
    headers = auth_headers(user)
    _app, codes = enable_totp(client, headers)

    response = client.delete(TOTP, json={"current_password": DEFAULT_PASSWORD,
                                         "code": codes[0]}, headers=headers)

    assert response.status_code == 204


def test_regenerating_replaces_every_recovery_code(client, user, auth_headers):
    headers = auth_headers(user)
    app, old = enable_totp(client, headers)

    response = client.post(RECOVERY, json={"current_password": DEFAULT_PASSWORD,
                                           "code": app.code()}, headers=headers)

    assert response.status_code == 200
    new = response.get_json()["recoveryCodes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert row_count("mfa_recovery_codes") == 10
    old_try = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                           "code": old[1]})
    assert_problem(old_try, 401)
    new_try = client.post(LOGIN_MFA, json={"mfa_token": mfa_token(client, user.email),
                                           "code": new[1]})
    assert new_try.status_code == 200


def test_regenerating_needs_mfa_on_and_the_right_password(client, user, auth_headers):
    headers = auth_headers(user)
    body = {"current_password": DEFAULT_PASSWORD, "code": "123456"}
    assert_problem(client.post(RECOVERY, json=body, headers=headers), 409)
    app, _ = enable_totp(client, headers)
    assert_problem(client.post(RECOVERY, json={**body, "current_password": "nope nope",
                                               "code": app.code()}, headers=headers), 401)


def test_a_new_setup_replaces_an_unconfirmed_one(client, user, auth_headers):
    headers = auth_headers(user)
    first = client.post(TOTP, json={"current_password": DEFAULT_PASSWORD},
                        headers=headers).get_json()["secret"]
    second = client.post(TOTP, json={"current_password": DEFAULT_PASSWORD},
                         headers=headers).get_json()["secret"]

    assert first != second
    assert_problem(client.post(CONFIRM, json={"code": Authenticator(first).code()},
                               headers=headers), 401)
    assert client.post(CONFIRM, json={"code": Authenticator(second).code()},
                       headers=headers).status_code == 200
