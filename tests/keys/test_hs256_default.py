"""ACCESS_TOKEN_SIGNING=HS256 (the default): access tokens are what they always were."""

from __future__ import annotations

import jwt
import pytest

from app.keys import signing_key
from tests.factories import DEFAULT_PASSWORD

ME = "/api/v1/auth/me"


def test_access_tokens_are_hs256_with_the_secret_and_no_key_claims(app, client, user):
    response = client.post("/api/v1/auth/login",
                           json={"email": user.email, "password": DEFAULT_PASSWORD})
    token = response.get_json()["access_token"]

    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, app.config["JWT_SECRET_KEY"], algorithms=["HS256"])
    assert not {"iss", "aud", "client_id"} & claims.keys()
    assert client.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_token_signed_with_a_published_key_is_refused_in_hs256_mode(app, client, user):
    response = client.post("/api/v1/auth/login",
                           json={"email": user.email, "password": DEFAULT_PASSWORD})
    claims = jwt.decode(response.get_json()["access_token"], options={"verify_signature": False})
    active = signing_key()
    forged = jwt.encode(claims, jwt.PyJWK(active.private_jwk).key, algorithm="ES256",
                        headers={"kid": active.kid, "typ": "at+jwt"})

    assert client.get(ME, headers={"Authorization": f"Bearer {forged}"}).status_code == 401


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_another_secret_algorithm_still_works_with_or_without_the_keys(app_config, user):
    from app import create_app

    for signing in ("HS256", "ES256"):
        other = create_app({**app_config, "JWT_ALGORITHM": "HS512",
                            "ACCESS_TOKEN_SIGNING": signing})
        with other.app_context():
            client = other.test_client()
            pair = client.post("/api/v1/auth/login", json={
                "email": user.email, "password": DEFAULT_PASSWORD}).get_json()
            assert jwt.get_unverified_header(pair["refresh_token"])["alg"] == "HS512"
            refreshed = client.post("/api/v1/auth/refresh", headers={
                "Authorization": f"Bearer {pair['refresh_token']}"})
            assert refreshed.status_code == 200, signing
            access = refreshed.get_json()["access_token"]
            expected = "HS512" if signing == "HS256" else "ES256"
            assert jwt.get_unverified_header(access)["alg"] == expected
            assert client.get(ME, headers={"Authorization": f"Bearer {access}"}
                              ).status_code == 200
