"""The API's access tokens signed with the published keys (ACCESS_TOKEN_SIGNING=ES256).

RFC 9068 profile: header `typ: at+jwt` and `kid`; claims `iss` (PUBLIC_BASE_URL), `aud`
(ACCESS_TOKEN_AUDIENCE), `client_id`, besides what Flask-JWT-Extended puts in (`sub`,
`exp`, `iat`, `jti`) and Signet's own (`sid`, `ver`). Any service holding the JWKS can
verify them; Signet verifies them the same way, with the published keys only.

Refresh tokens stay HS256: only Signet ever reads one (it comes back to /auth/refresh
alone), and they live for weeks, so signing them with a published key would keep every
retired key published for a month while telling other services nothing they may use.
The internal tokens that carry a personal access token through one request stay HS256
too: they never leave the process, and an ES256 signature per request would cost time.

Signet's own check stays as cheap as with HS256: a token's signature is verified once per
worker (app/jwt_manager.py remembers it), and the key is found in the worker's keyring.
"""

from __future__ import annotations

import jwt as pyjwt
from flask_jwt_extended.config import config as library_config
from flask_jwt_extended.exceptions import JWTDecodeError

from app.extensions import jwt
from app.jwt_manager import Signing
from app.keys import settings
from app.keys.keyring import keyring
from app.keys.signing import signing_key

TOKEN_TYPE = "at+jwt"  # noqa: S105 - the RFC 9068 media type, not a secret
# The `client_id` of tokens Signet issues to its own users (RFC 9068 requires the claim):
# the API's first-party client, as opposed to applications registered with the provider.
FIRST_PARTY_CLIENT_ID = "signet"


def access_signing() -> Signing | None:
    """How to sign an access token now: the current key, or None for HS256."""
    if not settings.access_tokens_use_keys():
        return None
    active = signing_key()
    return Signing(algorithm=active.alg, key=_library_key(active.kid, active.private_jwk),
                   headers={"typ": TOKEN_TYPE, "kid": active.kid},
                   claims={"iss": settings.issuer(), "aud": settings.access_token_audience(),
                           "client_id": FIRST_PARTY_CLIENT_ID})


def verification_key(header: dict, payload: dict):
    """The key a token must verify with, chosen from its header (decode_key_loader).

    `payload` is not verified yet: it only decides what to refuse early. With the keys in
    use, an HS256 token is accepted for refresh and one-request tokens, never as an
    access token; an asymmetric one only as this API's access token, under a published
    key of exactly its algorithm (no algorithm confusion).
    """
    algorithm = header.get("alg")
    use_keys = settings.access_tokens_use_keys()
    if algorithm == library_config.algorithm:  # JWT_ALGORITHM, HS256 unless changed
        if (use_keys and payload.get("type", "access") == "access"
                and jwt.single_use_claims.isdisjoint(payload)):
            raise JWTDecodeError("Access tokens are signed with the published keys.")
        return library_config.decode_key
    if not use_keys or algorithm not in settings.ASYMMETRIC:
        raise JWTDecodeError("Tokens signed with this algorithm are not accepted here.")
    if (header.get("typ") != TOKEN_TYPE or payload.get("type") != "access"
            or payload.get("iss") != settings.issuer()
            or payload.get("aud") != settings.access_token_audience()):
        raise JWTDecodeError("Not an access token issued for this API.")
    record = keyring().find(header.get("kid")) if isinstance(header.get("kid"), str) else None
    if record is None or record.alg != algorithm:
        raise JWTDecodeError("The token's key is not published.")
    return _library_key(record.kid, record.public_jwk)


def _library_key(kid: str, jwk: dict):
    """PyJWT's key object for a JWK, built once per key and worker."""
    objects = keyring().objects
    private = "d" in jwk
    found = objects.get((kid, private))
    if found is None:
        found = objects[(kid, private)] = pyjwt.PyJWK(jwk).key
    return found


def init_access_tokens(app) -> None:
    """Let the keys sign access tokens when ACCESS_TOKEN_SIGNING asks for them."""
    jwt.sign_access_tokens_with(access_signing)
    jwt.decode_key_loader(verification_key)
