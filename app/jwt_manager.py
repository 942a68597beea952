"""Flask-JWT-Extended's JWTManager, verifying each distinct token once per worker.

For one bearer token Flask-JWT-Extended 4.7 decodes the encoded string four times a
request (unverified claims, unverified header, the verified decode, the header again), and
PyJWT 2.15 checks every character of every segment against the base64url alphabet each
time: about 110 us of CPU, a fifth of an authenticated request. A token's signature and
claims never change, so the claims a token was verified to carry are kept (bounded, per
app and per process) and only its expiry is checked again when it comes back.

Nothing about authority is cached here: revocation, sessions, the user's role and
activity are still read on every request (app/auth/tokens.py). A token seen for the first
time, a cookie token checked against a CSRF value, or one that has expired goes through
the library's own decoding, with its own errors.

Access tokens may also be signed otherwise than refresh tokens (the library knows one
algorithm for all): a package registers `sign_access_tokens_with(signing)`, and while it
answers a `Signing`, access tokens get that algorithm, key, headers and claims (app.keys:
the published keys, RFC 9068). Tokens minted for one request keep JWT_SECRET_KEY.

The token's header is remembered beside its claims: after verifying a token, the library
reads its header once more on every request (`get_unverified_jwt_headers`, ~0.2 M
instructions a request, 3 % of a GET /files); the header of the same token string is the
same, so a remembered token's comes from memory and any other token's from the library.

Overrides the private `JWTManager._decode_jwt_from_config` and `_encode_jwt_from_config`,
calls `flask_jwt_extended.tokens._encode_jwt` and replaces the name
`get_unverified_jwt_headers` in `flask_jwt_extended.view_decorators` (checked against
Flask-JWT-Extended 4.7.4; tests/test_jwt_manager.py fails if any of them changes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import flask_jwt_extended
import flask_jwt_extended.view_decorators
from flask import current_app, has_app_context
from flask_jwt_extended.config import config as library_config
from flask_jwt_extended.tokens import _encode_jwt
from flask_jwt_extended.utils import get_unverified_jwt_headers

EXTENSION_KEY = "signet.verified_tokens"
# An access token is ~350 bytes and its claims a small dict: 4,096 tokens is ~4 MiB per
# worker. Only correctly signed tokens get in, so nobody can fill it with garbage.
MAX_REMEMBERED_TOKENS = 4096


class VerifiedTokens:
    """Claims of tokens verified in this process, oldest forgotten first when full."""

    def __init__(self, capacity: int = MAX_REMEMBERED_TOKENS) -> None:
        self.capacity = capacity
        self._claims: dict[str, dict] = {}
        self._headers: dict[str, dict] = {}
        self._lock = threading.Lock()  # gthread workers insert from several threads

    def get(self, token: str, leeway: float) -> dict | None:
        """A copy of the token's claims if it was verified and has not expired since."""
        claims = self._claims.get(token)
        if claims is None or claims["exp"] <= time.time() - leeway:
            return None  # expired: the library raises its ExpiredSignatureError
        return dict(claims)

    def header(self, token: str) -> dict | None:
        """A copy of a remembered token's header, or None."""
        header = self._headers.get(token)
        return None if header is None else dict(header)

    def remember(self, token: str, claims: dict) -> None:
        """Keep the claims (and the header) of a token that has just been verified."""
        if type(claims.get("exp")) is not int:
            return  # a token that never expires is not worth holding on to
        header = get_unverified_jwt_headers(token)
        with self._lock:
            while len(self._claims) >= self.capacity:
                oldest = next(iter(self._claims))
                del self._claims[oldest]
                self._headers.pop(oldest, None)
            self._claims[token] = dict(claims)
            self._headers[token] = header


def remembered_or_unverified_header(encoded_token: str) -> dict:
    """The header of a token this process verified, else the library's unverified read."""
    if has_app_context():
        verified = current_app.extensions.get(EXTENSION_KEY)
        header = verified.header(encoded_token) if verified is not None else None
        if header is not None:
            return header
    return get_unverified_jwt_headers(encoded_token)


@dataclass(frozen=True)
class Signing:
    """How to sign an access token instead of with JWT_SECRET_KEY."""

    algorithm: str
    key: object  # what PyJWT signs with for `algorithm` (a cryptography private key)
    headers: dict
    claims: dict


class JWTManager(flask_jwt_extended.JWTManager):
    """A JWTManager that verifies a bearer token once, then checks only its expiry."""

    # Claims that mark a token minted for one request: remembering those would only push
    # out tokens that come back.
    single_use_claims: frozenset[str] = frozenset()
    # Answers how to sign an access token now, or None for the library's own way.
    access_signing: Callable[[], Signing | None] | None = None

    def sign_access_tokens_with(self, signing: Callable[[], Signing | None]) -> None:
        """Sign access tokens as `signing()` says whenever it answers a Signing."""
        self.access_signing = signing

    def _encode_jwt_from_config(self, identity, token_type: str, claims=None, fresh=False,
                                expires_delta=None, headers=None) -> str:
        signing = None
        is_access = token_type == "access"  # noqa: S105 - a token type, not a secret
        if (is_access and self.access_signing is not None
                and self.single_use_claims.isdisjoint(claims or {})):
            signing = self.access_signing()
        if signing is None:
            return super()._encode_jwt_from_config(identity, token_type, claims, fresh,
                                                   expires_delta, headers)
        header_overrides = {**self._jwt_additional_header_callback(identity),
                            **(headers or {}), **signing.headers}
        claim_overrides = {**self._user_claims_callback(identity), **(claims or {}),
                           **signing.claims}
        return _encode_jwt(
            algorithm=signing.algorithm, audience=None, claim_overrides=claim_overrides,
            csrf=library_config.cookie_csrf_protect,
            expires_delta=(library_config.access_expires if expires_delta is None
                           else expires_delta),
            fresh=fresh, header_overrides=header_overrides,
            identity=self._user_identity_callback(identity),
            identity_claim_key=library_config.identity_claim_key, issuer=None,
            json_encoder=library_config.json_encoder, secret=signing.key,
            token_type=token_type, nbf=library_config.encode_nbf)

    def never_remember(self, claim: str) -> None:
        """Never remember tokens carrying `claim` (they are minted for one request)."""
        self.single_use_claims = self.single_use_claims | {claim}

    def init_app(self, app, add_context_processor: bool = False) -> None:
        """Bind to `app`, with a memory of verified tokens of its own (its own keys)."""
        super().init_app(app, add_context_processor=add_context_processor)
        app.extensions[EXTENSION_KEY] = VerifiedTokens()
        # The view decorators read a token's header after decoding it, every request.
        flask_jwt_extended.view_decorators.get_unverified_jwt_headers = (
            remembered_or_unverified_header)

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value=None,
                                allow_expired: bool = False) -> dict:
        if csrf_value is not None or allow_expired:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        verified = current_app.extensions[EXTENSION_KEY]
        leeway = current_app.config["JWT_DECODE_LEEWAY"]
        if isinstance(leeway, timedelta):
            leeway = leeway.total_seconds()
        claims = verified.get(encoded_token, leeway)
        if claims is None:
            claims = super()._decode_jwt_from_config(encoded_token)
            if self.single_use_claims.isdisjoint(claims):
                verified.remember(encoded_token, claims)
        return claims
