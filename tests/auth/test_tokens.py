"""Bearer tokens on GET /api/v1/auth/me: every bad token is a 401 problem, state is live."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token

from app.auth.tokens import issue_token_pair
from app.users.models import Role
from tests.helpers import assert_problem

ME = "/api/v1/auth/me"
USER_KEYS = {"id", "name", "email", "isActive", "role", "profileImageId", "profileImageUrl",
             "createdBy", "updatedBy", "createdAt", "updatedAt", "emailVerified", "mfaEnabled",
             "hasPassword", "storageUsed", "storageQuota"}


def b64(data: dict) -> str:
    """Base64url without padding, as JWT segments are written."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims_of(app, user) -> dict:
    """The claims of a genuine access token for `user`."""
    token = issue_token_pair(user)["access_token"]
    return pyjwt.decode(token, app.config["JWT_SECRET_KEY"], algorithms=["HS256"])


def bearer(token: str) -> dict:
    """Authorization header for `token`."""
    return {"Authorization": f"Bearer {token}"}


def assert_unauthorized(response) -> dict:
    """401 problem+json that tells the client to send a Bearer token."""
    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    return body


def test_valid_token_returns_the_user(client, user, auth_headers):
    response = client.get(ME, headers=auth_headers(user))

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == USER_KEYS
    assert body["id"] == user.id
    assert body["email"] == "ada@example.com"
    assert body["hasPassword"] is True


@pytest.mark.parametrize("authorization", [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Bearer garbage",
    "Bearer a.b.c",
    "Basic YWRhOnNlY3JldA==",
    "Token abc",
])
def test_missing_or_malformed_header_is_401(client, user, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}

    assert_unauthorized(client.get(ME, headers=headers))


def test_alg_none_token_is_401(app, client, user):
    claims = claims_of(app, user)
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."

    assert_unauthorized(client.get(ME, headers=bearer(token)))


def test_token_signed_with_another_key_is_401(app, client, user):
    token = pyjwt.encode(claims_of(app, user), "another-key-of-sufficient-length-0123456",
                         algorithm="HS256")

    assert_unauthorized(client.get(ME, headers=bearer(token)))


def test_token_with_a_tampered_payload_is_401(app, client, admin, user, auth_headers):
    header, _payload, signature = auth_headers(user)["Authorization"][7:].split(".")
    forged = {**claims_of(app, user), "sub": str(admin.id)}

    response = client.get(ME, headers=bearer(f"{header}.{b64(forged)}.{signature}"))

    assert_unauthorized(response)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_token_with_another_algorithm_is_401(app, client, user):
    token = pyjwt.encode(claims_of(app, user), app.config["JWT_SECRET_KEY"],
                         algorithm="HS512")

    assert_unauthorized(client.get(ME, headers=bearer(token)))


def test_expired_token_is_401(client, user):
    token = create_access_token(identity=str(user.id), additional_claims={"ver": 0},
                                expires_delta=timedelta(seconds=-30))

    body = assert_unauthorized(client.get(ME, headers=bearer(token)))
    assert "expired" in body["detail"].lower()


def test_refresh_token_used_as_access_token_is_401(client, user):
    refresh = issue_token_pair(user)["refresh_token"]

    assert_unauthorized(client.get(ME, headers=bearer(refresh)))


def test_token_of_a_deleted_user_is_401(client, users, auth_headers, db):
    gone = users.create()
    headers = auth_headers(gone)
    db.session.delete(gone)
    db.session.commit()

    assert_unauthorized(client.get(ME, headers=headers))


def test_deactivated_user_is_refused_on_the_next_request(client, user, auth_headers, db):
    headers = auth_headers(user)
    assert client.get(ME, headers=headers).status_code == 200

    user.is_active = False
    db.session.commit()

    assert_unauthorized(client.get(ME, headers=headers))


def test_role_change_takes_effect_on_the_next_request(client, admin, user, auth_headers, db):
    headers = auth_headers(admin)
    other = f"/api/v1/users/{user.id}"
    assert client.get(other, headers=headers).status_code == 200

    admin.role = Role.USER
    db.session.commit()

    assert_problem(client.get(other, headers=headers), 404)
    # ...and a promotion is just as immediate, with the very same token.
    admin.role = Role.ADMIN
    db.session.commit()
    assert client.get(other, headers=headers).status_code == 200


def test_me_reports_the_role_from_the_database_not_the_token(client, user, auth_headers, db):
    headers = auth_headers(user)
    user.role = Role.ADMIN
    db.session.commit()

    assert client.get(ME, headers=headers).get_json()["role"] == "admin"


def signed(app, claims: dict) -> str:
    """A token signed with the service's own key (as a sibling service sharing it would)."""
    return pyjwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS256")


def _without(claims: dict, name: str) -> dict:
    return {k: v for k, v in claims.items() if k != name}


# Claims no token of ours carries; each once crashed a worker (500) somewhere downstream.
HOSTILE_CLAIMS = {
    "sub not a number": lambda c: {**c, "sub": "ada@example.com"},
    "sub empty": lambda c: {**c, "sub": ""},
    "sub with spaces": lambda c: {**c, "sub": f" {c['sub']} "},
    "sub non-ASCII digits": lambda c: {**c, "sub": "\u0661"},
    "sub beyond any id": lambda c: {**c, "sub": "9" * 30},
    "no sid": lambda c: _without(c, "sid"),
    "sid not a number": lambda c: {**c, "sid": "1"},
    "sid a bool": lambda c: {**c, "sid": True},
    "sid zero": lambda c: {**c, "sid": 0},
    "sid beyond any id": lambda c: {**c, "sid": 2**31},
    "jti too long": lambda c: {**c, "jti": "j" * 65},
    "pat claim not resolved here": lambda c: {**c, "pat": 1},
    "no exp": lambda c: _without(c, "exp"),
    "exp beyond year 9999": lambda c: {**c, "exp": 10**13},
    "no iat": lambda c: _without(c, "iat"),
}


@pytest.mark.parametrize("mutate", HOSTILE_CLAIMS.values(), ids=HOSTILE_CLAIMS.keys())
@pytest.mark.parametrize("method, path", [("GET", ME), ("POST", "/api/v1/auth/logout")])
def test_signed_token_with_claims_we_never_issue_is_401(app, client, user, mutate, method,
                                                        path):
    token = signed(app, mutate(claims_of(app, user)))

    assert_unauthorized(client.open(path, method=method, headers=bearer(token)))


@pytest.mark.parametrize("mutate", [HOSTILE_CLAIMS["sub not a number"],
                                    HOSTILE_CLAIMS["no exp"]], ids=["sub", "exp"])
def test_signed_refresh_token_with_claims_we_never_issue_is_401(app, client, user, mutate):
    refresh = issue_token_pair(user)["refresh_token"]
    claims = pyjwt.decode(refresh, app.config["JWT_SECRET_KEY"], algorithms=["HS256"])

    response = client.post("/api/v1/auth/refresh", headers=bearer(signed(app, mutate(claims))))

    assert_unauthorized(response)
