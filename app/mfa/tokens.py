"""The mfa_token: proof of a right password, good only for POST /auth/login/mfa.

It is signed with its own key (derived from JWT_SECRET_KEY with HKDF), so it can never
pass as an access or refresh token, and carries `type: "mfa"`. Once a second factor has
been accepted with it, its id is revoked: it signs in once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from app.exceptions import Unauthorized
from app.extensions import db
from app.hashing import derive_key
from app.settings import settings
from app.tokens import revocation
from app.users.models import User

TOKEN_TYPE = "mfa"  # noqa: S105 - a claim value, not a secret
ALGORITHM = "HS256"
HKDF_INFO = b"signet mfa token signing"


def _key() -> bytes:
    return derive_key(settings().tokens.jwt_secret_key, purpose=HKDF_INFO)


def issue_mfa_token(user: User, *, first_factor: str = "pwd",
                    provider: str | None = None) -> str:
    """A short-lived token naming the user whose first factor was right.

    `first_factor` is its OpenID `amr` value (pwd, or fed for a provider sign-in, whose
    id is `provider`): the session started after the code records both factors.
    """
    now = datetime.now(UTC)
    lifetime = timedelta(seconds=settings().mfa.token_expires)
    claims = {"sub": str(user.id), "type": TOKEN_TYPE, "ver": user.token_version,
              "jti": str(uuid.uuid4()), "iat": now, "exp": now + lifetime,
              "first": first_factor}
    if provider is not None:
        claims["provider"] = provider
    return jwt.encode(claims, _key(), algorithm=ALGORITHM)


def read_mfa_token(token: str) -> dict:
    """The claims of a valid, unused mfa_token; 401 for anything else."""
    try:
        claims = jwt.decode(token, _key(), algorithms=[ALGORITHM],
                            options={"require": ["sub", "exp", "iat", "jti", "type"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The mfa_token has expired; sign in again.") from None
    except jwt.PyJWTError:
        raise Unauthorized("The mfa_token is invalid.") from None
    if claims.get("type") != TOKEN_TYPE or not str(claims["sub"]).isdigit():
        raise Unauthorized("The mfa_token is invalid.")
    if revocation.is_revoked(claims["jti"]):
        raise Unauthorized("The mfa_token has already been used; sign in again.")
    return claims


def mfa_token_subject(token: str) -> str | None:
    """The account id a valid, unused mfa_token names, else None (for the rate limit)."""
    try:
        return read_mfa_token(token)["sub"]
    except Unauthorized:
        return None


def mfa_token_user(claims: dict) -> User:
    """The active account an mfa_token names, if its password and MFA are unchanged."""
    user = db.session.get(User, int(claims["sub"]))
    if (user is None or not user.is_active or claims.get("ver") != user.token_version
            or not user.mfa_enabled):
        raise Unauthorized("The mfa_token is no longer valid; sign in again.")
    return user


def spend_mfa_token(claims: dict) -> None:
    """Revoke the token's id until it would expire (caller commits)."""
    if not revocation.revoke(claims["jti"], datetime.fromtimestamp(claims["exp"], UTC)):
        raise Unauthorized("The mfa_token has already been used; sign in again.")
