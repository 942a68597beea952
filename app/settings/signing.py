"""Settings of the published signing keys (app/keys) and the OpenID Provider (app/oauth_server)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import field_validator, model_validator
from pydantic_settings import NoDecode

from app.settings.base import Domain, fernet_keys, setting

ASYMMETRIC = ("ES256", "EdDSA", "RS256")


class SigningSettings(Domain):
    """Keys published at /.well-known/jwks.json, and which tokens they sign."""

    access_token_signing: Literal["HS256", "ES256", "EdDSA", "RS256"] = setting(
        "ACCESS_TOKEN_SIGNING", "HS256",
        "`HS256`: access tokens signed with `JWT_SECRET_KEY`; `ES256`, `EdDSA` or `RS256`: "
        "with the current published key, RFC 9068 (`typ: at+jwt`, `iss`, `aud`). Refresh "
        "tokens stay HS256: only Signet reads them")
    access_token_audience: str | None = setting(
        "ACCESS_TOKEN_AUDIENCE", None, "the `aud` of asymmetric access tokens",
        shown="`PUBLIC_BASE_URL/api/v1`")
    algorithm: Literal["ES256", "EdDSA", "RS256"] | None = setting(
        "SIGNING_KEY_ALGORITHM", None,
        "algorithm of new keys (the first one, `flask keys rotate`)",
        shown="`ES256`, or `ACCESS_TOKEN_SIGNING` when asymmetric")
    # Verifiers caching the JWKS know a rotated key before they meet a token it signed.
    publish_seconds: int = setting(
        "SIGNING_KEY_PUBLISH_SECONDS", 3600,
        "a rotated key is published at once and signs only this many seconds later", ge=0)
    refresh_seconds: int = setting(
        "SIGNING_KEY_REFRESH_SECONDS", 30,
        "each worker re-reads the keys at most this often; keep it well under "
        "`SIGNING_KEY_PUBLISH_SECONDS`", ge=0)
    max_token_seconds: int = setting(
        "SIGNING_KEY_MAX_TOKEN_SECONDS", 3600,
        "longest lifetime of any other token the keys sign (ID tokens): a retired key stays "
        "published this long after it last signed", ge=0)
    encryption_keys: Annotated[tuple[str, ...], NoDecode] = setting(
        "SIGNING_KEY_ENCRYPTION_KEY", (),
        "Fernet keys, comma-separated, newest first, encrypting the private signing keys in "
        "the database; **required** in production", shown="derived from `SECRET_KEY` (HKDF)",
        secret=True, example="# python -c 'from cryptography.fernet import Fernet; "
                             "print(Fernet.generate_key().decode())'")

    @field_validator("encryption_keys", mode="before")
    @classmethod
    def _fernet_keys(cls, value: object) -> object:
        return fernet_keys(value)

    @model_validator(mode="after")
    def _one_algorithm(self) -> SigningSettings:
        signing, algorithm = self.access_token_signing, self.algorithm
        if algorithm and signing in ASYMMETRIC and algorithm != signing:
            raise ValueError(f"ACCESS_TOKEN_SIGNING={signing} and SIGNING_KEY_ALGORITHM="
                             f"{algorithm} disagree: set one of them")
        return self

    @property
    def new_key_algorithm(self) -> str:
        """The algorithm of keys made from now on."""
        if self.algorithm:
            return self.algorithm
        return self.access_token_signing if self.access_token_signing in ASYMMETRIC \
            else "ES256"


class OpenIdSettings(Domain):
    """Lifetimes of what the OpenID Provider issues to applications."""

    code_expires: int = setting(
        "OAUTH_CODE_EXPIRES", 60, "seconds an authorization code may be exchanged", ge=1)
    access_token_expires: int = setting(
        "OAUTH_ACCESS_TOKEN_EXPIRES", 900, "seconds an application's access token lives",
        ge=1)
    refresh_token_expires: int = setting(
        "OAUTH_REFRESH_TOKEN_EXPIRES", 30 * 24 * 3600,
        "seconds an application's refresh token lives (only with `offline_access`; never "
        "beyond the Signet session it came from)", ge=1)
    id_token_expires: int = setting(
        "OAUTH_ID_TOKEN_EXPIRES", 300, "seconds an ID token is valid", ge=1)
