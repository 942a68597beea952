"""Signing keys: asymmetric keys in the database, published at /.well-known/jwks.json.

The interface other packages use (the OpenID Provider signs ID tokens with it):
`signing_key()` -> ActiveKey(kid, alg, private_jwk), `published_jwks()`, `public_key_for(kid)`.
"""

from app.keys.keyring import ActiveKey
from app.keys.signing import public_key_for, published_jwks, signing_key

__all__ = ["ActiveKey", "public_key_for", "published_jwks", "signing_key"]
