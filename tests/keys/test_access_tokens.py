"""ACCESS_TOKEN_SIGNING=ES256: access tokens any service verifies with the JWKS alone."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import jwt
import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, KeySet

from app.jwt_manager import EXTENSION_KEY as VERIFIED_TOKENS
from app.jwt_manager import VerifiedTokens
from app.keys import signing_key
from app.keys.service import retire_key, rotate_key
from tests.factories import DEFAULT_PASSWORD
from tests.keys.helpers import JWKS, move

ME = "/api/v1/auth/me"
ISSUER = "http://localhost:8000"  # PUBLIC_BASE_URL in tests
AUDIENCE = f"{ISSUER}/api/v1"


@pytest.fixture
def app_config(app_config):
    """The app signs its access tokens with the published keys."""
    return {**app_config, "ACCESS_TOKEN_SIGNING": "ES256"}


def login(client, user) -> dict:
    response = client.post("/api/v1/auth/login",
                           json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def forget_verified_tokens(app) -> None:
    """As a worker that has not seen the token yet: it verifies the signature again."""
    app.extensions[VERIFIED_TOKENS] = VerifiedTokens()


def verify_elsewhere(client, token: str) -> dict:
    """What another service does: fetch the JWKS over HTTP, verify with PyJWT alone."""
    jwks = jwt.PyJWKSet.from_dict(client.get(JWKS).get_json())
    key = jwks[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(token, key, algorithms=["ES256"], audience=AUDIENCE, issuer=ISSUER,
                      options={"require": ["exp", "iat", "sub", "jti", "client_id"]})


def test_an_access_token_is_rfc_9068_and_verifies_with_the_jwks_alone(client, user):
    token = login(client, user)["access_token"]

    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "typ": "at+jwt", "kid": signing_key().kid}
    claims = verify_elsewhere(client, token)
    assert claims["sub"] == str(user.id) and claims["client_id"] == "signet"
    assert claims["exp"] - claims["iat"] == 900
    # joserfc, a second independent verifier, agrees.
    verified = jose_jwt.decode(token, KeySet.import_key_set(client.get(JWKS).get_json()))
    assert verified.header["typ"] == "at+jwt" and verified.claims["aud"] == AUDIENCE
    me = client.get(ME, headers=bearer(token))
    assert me.status_code == 200 and me.get_json()["email"] == user.email


def test_refresh_tokens_stay_hs256_and_refresh_into_es256_access_tokens(client, user):
    pair = login(client, user)
    assert jwt.get_unverified_header(pair["refresh_token"])["alg"] == "HS256"

    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(pair["refresh_token"]))

    assert refreshed.status_code == 200
    access = refreshed.get_json()["access_token"]
    assert jwt.get_unverified_header(access)["alg"] == "ES256"
    assert client.get(ME, headers=bearer(access)).status_code == 200


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_a_tampered_token_is_refused(app, client, user, users):
    other = users.create(email="mallory@example.com")
    token = login(client, user)["access_token"]
    header, payload, signature = _segments(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    forged_claims = ".".join([header, _b64({**claims, "sub": str(other.id)}), signature])
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    forged_signature = ".".join([header, payload, flipped])

    for forged in (forged_claims, forged_signature):
        response = client.get(ME, headers=bearer(forged))
        assert response.status_code == 401, forged
        assert response.get_json()["detail"] == "The token is invalid."
    assert client.get(ME, headers=bearer(token)).status_code == 200


def test_tokens_signed_any_other_way_are_refused(app, client, user):
    token = login(client, user)["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(token)["kid"]
    stranger = ECKey.generate_key("P-256", private=True)
    active = signing_key()
    forgeries = {
        # The HS256 secret no longer makes access tokens.
        "secret": jwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS256"),
        # Someone else's key under the published kid, and under a kid of its own.
        "own key": jwt.encode(claims, stranger.private_key, algorithm="ES256",
                              headers={"kid": kid, "typ": "at+jwt"}),
        "unknown kid": jwt.encode(claims, stranger.private_key, algorithm="ES256",
                                  headers={"kid": stranger.thumbprint(), "typ": "at+jwt"}),
        # Our key, but not an access token of this API (an ID token, another audience).
        "id token": jwt.encode({**claims, "aud": "some-client"},
                               jwt.PyJWK(active.private_jwk).key, algorithm="ES256",
                               headers={"kid": active.kid}),
        "other audience": jwt.encode({**claims, "aud": "https://elsewhere.example"},
                                     jwt.PyJWK(active.private_jwk).key, algorithm="ES256",
                                     headers={"kid": active.kid, "typ": "at+jwt"}),
        "unsigned": ".".join([_b64({"alg": "none", "typ": "at+jwt", "kid": kid}),
                              _b64(claims), ""]),
    }

    for name, forged in forgeries.items():
        assert client.get(ME, headers=bearer(forged)).status_code == 401, name
    assert client.get(ME, headers=bearer(token)).status_code == 200


def test_tokens_stay_valid_across_a_rotation_until_their_key_is_withdrawn(app, client, user):
    old = login(client, user)["access_token"]
    old_kid = jwt.get_unverified_header(old)["kid"]
    new_key = rotate_key()
    assert jwt.get_unverified_header(login(client, user)["access_token"])["kid"] == old_kid

    move(new_key.kid, signs_from=-timedelta(hours=1))
    new = login(client, user)["access_token"]
    assert jwt.get_unverified_header(new)["kid"] == new_key.kid
    retire_key(old_kid)
    forget_verified_tokens(app)
    assert client.get(ME, headers=bearer(old)).status_code == 200  # still published
    assert verify_elsewhere(client, old)["sub"] == str(user.id)

    retire_key(old_kid, compromised=True)
    forget_verified_tokens(app)
    assert client.get(ME, headers=bearer(old)).status_code == 401
    assert client.get(ME, headers=bearer(new)).status_code == 200


def test_personal_access_tokens_work_as_before(client, user):
    access = login(client, user)["access_token"]
    created = client.post("/api/v1/auth/tokens", headers=bearer(access), json={
        "name": "ci", "scopes": ["profile:read"], "current_password": DEFAULT_PASSWORD})
    assert created.status_code == 201, created.get_data(as_text=True)

    me = client.get(ME, headers=bearer(created.get_json()["token"]))

    assert me.status_code == 200 and me.get_json()["id"] == user.id


def test_an_expired_es256_token_is_refused(app, client, user):
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = 1
    token = login(client, user)["access_token"]
    assert client.get(ME, headers=bearer(token)).status_code == 200

    time.sleep(max(0.0, jwt.decode(token, options={"verify_signature": False})["exp"]
                   - time.time()) + 1.1)

    response = client.get(ME, headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["detail"] == "The token has expired."
