"""POST /api/v1/auth/login: token body, identical failures, equal bcrypt work, long passwords."""

from __future__ import annotations

import jwt as pyjwt
import pytest

from app import extensions
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem

URL = "/api/v1/auth/login"
REGISTER_URL = "/api/v1/auth/register"


def login(client, email: str, password: str, encoding: str = "json"):
    """Post credentials as JSON or as an HTML form."""
    body = {"email": email, "password": password}
    if encoding == "json":
        return client.post(URL, json=body)
    return client.post(URL, data=body)


def decode(app, token: str) -> dict:
    """Verify and decode a token with the app's key."""
    return pyjwt.decode(token, app.config["JWT_SECRET_KEY"], algorithms=["HS256"])


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_login_returns_the_contract_token_body(app, client, user, encoding):
    response = login(client, "ada@example.com", DEFAULT_PASSWORD, encoding)

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == app.config["JWT_ACCESS_TOKEN_EXPIRES"]

    access, refresh = decode(app, body["access_token"]), decode(app, body["refresh_token"])
    for claims in (access, refresh):
        assert claims["sub"] == str(user.id)
        assert isinstance(claims["exp"], int)
    assert access["type"] == "access" and refresh["type"] == "refresh"
    assert access["exp"] - access["iat"] == body["expires_in"]
    assert refresh["exp"] > access["exp"]


def test_access_token_from_login_opens_me(client, user):
    token = login(client, "ada@example.com", DEFAULT_PASSWORD).get_json()["access_token"]

    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.get_json()["id"] == user.id


@pytest.mark.parametrize("email", ["ADA@example.com", "Ada@Example.Com"])
def test_email_is_matched_case_insensitively(client, user, email):
    assert login(client, email, DEFAULT_PASSWORD).status_code == 200


def test_unknown_email_and_wrong_password_get_the_same_401(client, user):
    unknown = login(client, "nobody@example.com", DEFAULT_PASSWORD)
    wrong = login(client, "ada@example.com", "wrong password!")

    assert_problem(unknown, 401)
    assert_problem(wrong, 401)
    assert unknown.get_data() == wrong.get_data()
    assert unknown.headers["WWW-Authenticate"] == wrong.headers["WWW-Authenticate"]


@pytest.fixture
def bcrypt_checks(monkeypatch):
    """Count every bcrypt check the service makes, recording the hash it was run against."""
    checked: list[str] = []
    real_check = extensions.bcrypt.check_password_hash

    def counting_check(pw_hash, password):
        checked.append(pw_hash if isinstance(pw_hash, str) else pw_hash.decode())
        return real_check(pw_hash, password)

    monkeypatch.setattr(extensions.bcrypt, "check_password_hash", counting_check)
    return checked


@pytest.mark.parametrize("attempt", ["unknown email", "wrong password", "right password"])
def test_every_login_costs_exactly_one_bcrypt_check_at_the_same_cost(client, user,
                                                                     bcrypt_checks, attempt):
    email = "nobody@example.com" if attempt == "unknown email" else "ada@example.com"
    password = DEFAULT_PASSWORD if attempt != "wrong password" else "wrong password!"

    login(client, email, password)
    login(client, email, password)

    assert len(bcrypt_checks) == 2
    # Same algorithm and cost factor ("$2b$04$") as the real user's hash: the same work.
    assert {h[:7] for h in bcrypt_checks} == {user.password_hash[:7]}


def test_inactive_account_is_403_only_after_the_right_password(client, users, bcrypt_checks):
    users.create(email="sleeper@example.com", is_active=False)

    wrong = login(client, "sleeper@example.com", "wrong password!")
    unknown = login(client, "nobody@example.com", "wrong password!")
    right = login(client, "sleeper@example.com", DEFAULT_PASSWORD)

    assert_problem(wrong, 401)
    assert wrong.get_data() == unknown.get_data()  # nothing tells the account exists
    assert_problem(right, 403)
    assert len(bcrypt_checks) == 3


@pytest.mark.parametrize("body", [{}, {"email": "ada@example.com"}, {"password": "x"}])
def test_missing_credentials_are_422(client, body):
    response = client.post(URL, json=body)

    problem = assert_problem(response, 422)
    assert set(problem["errors"]) == {"email", "password"} - set(body)


LONG_PASSWORDS = {
    "ascii 100": "p" * 100,
    "two-byte 100": "é" * 100,
    "four-byte 40": "🔒" * 40,
    "72 then more": "a" * 72 + "tail",
}


@pytest.mark.parametrize("password", LONG_PASSWORDS.values(), ids=LONG_PASSWORDS.keys())
def test_password_over_72_bytes_is_checked_in_full(client, password):
    assert len(password.encode()) > 72
    registered = client.post(REGISTER_URL, json={
        "name": "Long", "email": "long@example.com", "password": password})
    assert registered.status_code == 201

    same_prefix = password[:-1] + ("x" if password[-1] != "x" else "y")
    assert same_prefix.encode()[:72] == password.encode()[:72]

    assert login(client, "long@example.com", password).status_code == 200
    assert_problem(login(client, "long@example.com", same_prefix), 401)
    assert_problem(login(client, "long@example.com", password[:-1]), 401)


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_very_long_password_at_login_is_refused_without_a_500(client, user, encoding):
    assert_problem(login(client, "ada@example.com", "x" * 1000, encoding), 401)


@pytest.mark.parametrize("field", ["email", "password"])
def test_lone_surrogate_in_json_is_a_client_error_not_a_500(client, user, field):
    # JSON may escape a lone surrogate, which is no Unicode text; bcrypt and the
    # database drivers cannot encode it.
    body = {"email": '"ada@example.com"', "password": '"correct horse battery"'}
    body[field] = '"\\ud800abcdefgh"'
    raw = "{" + ", ".join(f'"{k}": {v}' for k, v in body.items()) + "}"

    response = client.post(URL, data=raw, content_type="application/json")

    assert_problem(response, 400)


@pytest.fixture
def bcrypt_runs(monkeypatch):
    """Count the raw bcrypt computations (hashing and checking alike)."""
    import bcrypt as bcrypt_library

    runs: list[bytes] = []
    real_hashpw = bcrypt_library.hashpw

    def counting_hashpw(password, salt):
        runs.append(salt)
        return real_hashpw(password, salt)

    monkeypatch.setattr(bcrypt_library, "hashpw", counting_hashpw)
    return runs


@pytest.mark.parametrize("attempt", ["unknown email", "wrong password"])
def test_the_first_failed_login_of_a_process_costs_one_bcrypt_run(client, user, bcrypt_runs,
                                                                  attempt):
    # The very first unknown email must not pay for building the dummy hash as well.
    email = "nobody@example.com" if attempt == "unknown email" else user.email

    assert_problem(login(client, email, "wrong password!"), 401)

    assert len(bcrypt_runs) == 1


def test_login_does_not_match_an_accent_variant_of_the_email(client, users):
    users.create(email="josé@example.com")

    assert_problem(login(client, "jose@example.com", DEFAULT_PASSWORD), 401)
    assert login(client, "JOSÉ@example.com", DEFAULT_PASSWORD).status_code == 200
