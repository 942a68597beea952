"""Each bearer token is verified once per worker; only its expiry is checked again."""

from __future__ import annotations

import inspect
import time

import flask_jwt_extended
import flask_jwt_extended.jwt_manager
import flask_jwt_extended.tokens
import flask_jwt_extended.view_decorators
import jwt
import pytest
from flask_jwt_extended import get_jwt_header, jwt_required

from app import create_app
from app.jwt_manager import VerifiedTokens
from app.settings import replace_settings
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import sleep_past_expiry

ME = "/api/v1/auth/me"


@pytest.fixture
def library_decodes(monkeypatch):
    """Count the library's verified decodes (signature and claims checked)."""
    calls: list[str] = []
    original = flask_jwt_extended.jwt_manager._decode_jwt

    def counting(**kwargs):
        calls.append(kwargs["encoded_token"])
        return original(**kwargs)

    monkeypatch.setattr(flask_jwt_extended.jwt_manager, "_decode_jwt", counting)
    return calls


def test_a_token_is_verified_once_then_remembered(client, user, auth_headers,
                                                   library_decodes):
    headers = auth_headers(user)

    responses = [client.get(ME, headers=headers) for _ in range(3)]

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert len(library_decodes) == 1


def test_a_remembered_token_s_header_is_read_once(client, user, auth_headers, monkeypatch):
    reads: list[str] = []
    library_read = jwt.get_unverified_header

    def counting(token: str) -> dict:
        reads.append(token)
        return library_read(token)

    # Flask-JWT-Extended reads every header through this name of PyJWT's.
    monkeypatch.setattr(jwt, "get_unverified_header", counting)
    headers = auth_headers(user)
    assert client.get(ME, headers=headers).status_code == 200  # verified, remembered
    reads.clear()

    responses = [client.get(ME, headers=headers) for _ in range(2)]

    assert [response.status_code for response in responses] == [200, 200]
    assert reads == []


def test_the_header_a_view_sees_is_the_token_s_own(app, client, user, auth_headers):
    @app.get("/_test/header")
    @jwt_required()
    def header():
        return get_jwt_header()

    token = auth_headers(user)["Authorization"]
    seen = [client.get("/_test/header", headers={"Authorization": token}).get_json()
            for _ in range(2)]

    assert seen == [jwt.get_unverified_header(token.removeprefix("Bearer "))] * 2


def test_a_remembered_token_is_refused_once_it_expires(app, client, user, auth_headers):
    replace_settings(app, JWT_ACCESS_TOKEN_EXPIRES=1)  # seconds
    headers = auth_headers(user)
    assert client.get(ME, headers=headers).status_code == 200

    sleep_past_expiry(headers["Authorization"].removeprefix("Bearer "))
    response = client.get(ME, headers=headers)

    assert response.status_code == 401
    assert response.get_json()["detail"] == "The token has expired."


def test_a_remembered_token_is_still_checked_for_revocation(client, user, auth_headers):
    headers = auth_headers(user)
    assert client.get(ME, headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204

    response = client.get(ME, headers=headers)

    assert response.status_code == 401
    assert response.get_json()["detail"] == "The token has been revoked."


@pytest.mark.parametrize("part", ["header", "claims", "signature"])
def test_a_token_altered_after_a_genuine_one_was_remembered_is_refused(
        client, user, auth_headers, part):
    headers = auth_headers(user)
    assert client.get(ME, headers=headers).status_code == 200
    token = headers["Authorization"].removeprefix("Bearer ")
    segments = token.split(".")
    index = ["header", "claims", "signature"].index(part)
    # Flip one character in the middle of the segment (the last may be padding bits).
    middle = len(segments[index]) // 2
    flipped = "A" if segments[index][middle] != "A" else "B"
    segments[index] = segments[index][:middle] + flipped + segments[index][middle + 1:]

    response = client.get(ME, headers={"Authorization": "Bearer " + ".".join(segments)})

    assert response.status_code == 401


def test_an_app_with_another_key_does_not_trust_what_this_one_verified(
        app_config, client, user, auth_headers):
    headers = auth_headers(user)
    assert client.get(ME, headers=headers).status_code == 200
    other = create_app({**app_config, "JWT_SECRET_KEY": "another-jwt-secret-" + "x" * 40})

    response = other.test_client().get(ME, headers=headers)

    assert response.status_code == 401
    assert response.get_json()["detail"] == "The token is invalid."


def test_the_oldest_token_is_forgotten_when_full():
    verified = VerifiedTokens(capacity=2)
    far = int(time.time()) + 3600
    tokens = {name: jwt.encode({"exp": far, "sub": name}, "k" * 32) for name in "abc"}
    for name, token in tokens.items():
        verified.remember(token, {"exp": far, "sub": name})

    assert verified.get(tokens["a"], 0) is None
    assert verified.header(tokens["a"]) is None
    assert verified.get(tokens["b"], 0) == {"exp": far, "sub": "b"}
    assert verified.get(tokens["c"], 0) == {"exp": far, "sub": "c"}


def test_claims_and_headers_handed_out_are_copies():
    verified = VerifiedTokens()
    token = jwt.encode({"exp": int(time.time()) + 60, "sub": "1"}, "k" * 32)
    verified.remember(token, jwt.decode(token, "k" * 32, algorithms=["HS256"]))

    verified.get(token, 0)["sub"] = "2"
    verified.header(token)["alg"] = "none"

    assert verified.get(token, 0)["sub"] == "1"
    assert verified.header(token)["alg"] == "HS256"


def test_the_overridden_library_methods_keep_their_signatures():
    # app/jwt_manager.py overrides these private methods: fail here when an upgrade moves them.
    parameters = inspect.signature(
        flask_jwt_extended.JWTManager._decode_jwt_from_config).parameters
    assert list(parameters) == ["self", "encoded_token", "csrf_value", "allow_expired"]
    # And these, for access tokens signed with the published keys (app.keys).
    parameters = inspect.signature(
        flask_jwt_extended.JWTManager._encode_jwt_from_config).parameters
    assert list(parameters) == ["self", "identity", "token_type", "claims", "fresh",
                                "expires_delta", "headers"]
    # The view decorators read the header through the module's name, which init_app replaces.
    assert "get_unverified_jwt_headers(encoded_token)" in inspect.getsource(
        flask_jwt_extended.view_decorators._decode_jwt_from_request)
    parameters = inspect.signature(flask_jwt_extended.tokens._encode_jwt).parameters
    assert sorted(parameters) == sorted([
        "algorithm", "audience", "claim_overrides", "csrf", "expires_delta", "fresh",
        "header_overrides", "identity", "identity_claim_key", "issuer", "json_encoder",
        "secret", "token_type", "nbf"])


def test_tokens_minted_for_one_request_are_not_remembered(app, client, user, auth_headers):
    from app.jwt_manager import EXTENSION_KEY

    created = client.post("/api/v1/auth/tokens", headers=auth_headers(user), json={
        "name": "ci", "scopes": ["profile:read"], "current_password": DEFAULT_PASSWORD})
    assert created.status_code == 201, created.get_data(as_text=True)
    personal = {"Authorization": f"Bearer {created.get_json()['token']}"}
    remembered = app.extensions[EXTENSION_KEY]._claims
    before = len(remembered)

    assert [client.get(ME, headers=personal).status_code for _ in range(3)] == [200] * 3

    assert len(remembered) == before  # no request's internal token was kept
