"""Each bearer token is verified once per worker; only its expiry is checked again."""

from __future__ import annotations

import inspect
import time

import flask_jwt_extended
import flask_jwt_extended.jwt_manager
import flask_jwt_extended.tokens
import pytest

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
    for name in ("a", "b", "c"):
        verified.remember(name, {"exp": far, "sub": name})

    assert verified.get("a", 0) is None
    assert verified.get("b", 0) == {"exp": far, "sub": "b"}
    assert verified.get("c", 0) == {"exp": far, "sub": "c"}


def test_claims_handed_out_are_copies():
    verified = VerifiedTokens()
    verified.remember("t", {"exp": int(time.time()) + 60, "sub": "1"})

    verified.get("t", 0)["sub"] = "2"

    assert verified.get("t", 0)["sub"] == "1"


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
