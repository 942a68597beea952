"""ACCESS_TOKEN_SIGNING=HS256 (the default): access tokens are what they always were."""

from __future__ import annotations

import jwt

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
