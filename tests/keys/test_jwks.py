"""GET /.well-known/jwks.json and the keys interface: what is published, what signs."""

from __future__ import annotations

import json

import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from app.keys import ActiveKey, public_key_for, published_jwks, signing_key
from app.keys.service import rotate_key
from app.settings import replace_settings
from tests.keys.helpers import JWKS, rows

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def test_the_first_request_makes_one_es256_key_and_publishes_only_its_public_half(client):
    response = client.get(JWKS)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    [key] = response.get_json()["keys"]
    assert key["kty"] == "EC" and key["crv"] == "P-256"
    assert key["alg"] == "ES256" and key["use"] == "sig" and key["kid"]
    assert not PRIVATE_MEMBERS & key.keys()
    assert [row.kid for row in rows()] == [key["kid"]]
    assert client.get(JWKS).get_json() == response.get_json()  # made once, not per request


def test_the_jwks_is_cacheable_and_revalidates(client):
    first = client.get(JWKS)

    assert first.headers["Cache-Control"] == "public, max-age=300"
    again = client.get(JWKS, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    rotate_key()
    changed = client.get(JWKS, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and len(changed.get_json()["keys"]) == 2


def test_the_cache_lifetime_stays_under_half_the_publication_delay(app, client):
    replace_settings(app, SIGNING_KEY_PUBLISH_SECONDS=120)

    assert client.get(JWKS).headers["Cache-Control"] == "public, max-age=60"


def test_the_signing_key_signs_tokens_the_published_key_verifies(app):
    active = signing_key()

    assert isinstance(active, ActiveKey) and active.alg == "ES256"
    assert PRIVATE_MEMBERS & active.private_jwk.keys()
    assert active.private_jwk["kid"] == active.kid
    token = jose_jwt.encode({"alg": active.alg, "kid": active.kid}, {"sub": "1"},
                            KeySet.import_key_set({"keys": [active.private_jwk]}))
    verified = jose_jwt.decode(token, KeySet.import_key_set(published_jwks()))
    assert verified.claims == {"sub": "1"}
    assert public_key_for(active.kid) == published_jwks()["keys"][0]
    assert public_key_for("no-such-kid") is None


@pytest.mark.parametrize(("alg", "kty"), [("EdDSA", "OKP"), ("RS256", "RSA")])
def test_other_algorithms_make_their_own_key_type(app, client, alg, kty):
    replace_settings(app, SIGNING_KEY_ALGORITHM=alg)

    [key] = client.get(JWKS).get_json()["keys"]
    assert (key["alg"], key["kty"]) == (alg, kty)
    assert signing_key().alg == alg
    assert not PRIVATE_MEMBERS & key.keys()


def test_the_database_row_holds_no_private_key_in_clear(app):
    active = signing_key()

    [row] = rows()
    stored = " ".join(str(value) for value in (row.public_jwk, row.sealed_private_jwk))
    assert active.private_jwk["d"] not in stored
    assert "\"d\"" not in row.public_jwk and json.loads(row.public_jwk)["kid"] == active.kid
    assert row.sealed_private_jwk.startswith("gAAAAA")  # a Fernet token
