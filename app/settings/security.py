"""Settings of who may do what: the web front, accounts, tokens, revocation and MFA."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import field_validator
from pydantic_settings import NoDecode

from app.settings.base import Domain, fernet_keys, http_url, setting

# The schemes app/redis_url.py connects to (kept here: settings import nothing of app).
REDIS_SCHEMES = ("redis://", "rediss://", "unix://", "redis+sentinel://")


class WebSettings(Domain):
    """How the service meets its clients: address, request limits, proxies, docs."""

    secret_key: str | None = setting(
        "SECRET_KEY", None,
        "Flask's key (signs device tokens, keys the MFA secrets when "
        "`MFA_ENCRYPTION_KEY` is unset); **required**, ≥ 32 bytes, in production",
        shown="generated into `instance/` in development", secret=True,
        example="# python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    # Links in mail are built from it only, never from the request's Host header, which a
    # client chooses; passkeys are bound to its host name and origin.
    public_base_url: str | None = setting(
        "PUBLIC_BASE_URL", None,
        "the address users open the service at; every link in mail is built from it, never "
        "from the request's `Host`, and passkeys are bound to it. Start-up logs it, and "
        "warns when a local one is not where gunicorn listens. `localhost`, not "
        "`127.0.0.1`: passkeys refuse an IP address",
        shown="outside production `http://localhost:$PORT` (follows `HOST` and `PORT`); "
              "**required** in production", example="https://signet.example.com")
    docs_enabled: bool = setting(
        "DOCS_ENABLED", True,
        "`false`: no `/docs` and no `/openapi.json` (`404`), for a production that keeps "
        "its API description private")
    trusted_proxy_count: int = setting(
        "TRUSTED_PROXY_COUNT", 0,
        "reverse proxies that append to `X-Forwarded-For`; with 0 the header is ignored. "
        "Set it to exactly the number of your proxies, or clients can forge their IP", ge=0)
    max_content_length: int = setting(
        "MAX_CONTENT_LENGTH", 16 * 1024 * 1024,
        "largest request body, in bytes; larger is `413` before the body is read",
        shown="16 MiB", ge=1)
    # Non-file form fields are held in memory: small, so a hostile form is a 413.
    max_form_memory_size: int = setting(
        "MAX_FORM_MEMORY_SIZE", 64 * 1024,
        "largest non-file form field; a whole urlencoded body is held to it too (`413` "
        "beyond)", shown="64 KiB", ge=1)
    max_form_parts: int = setting(
        "MAX_FORM_PARTS", 100,
        "most parts in a multipart form or fields in an urlencoded one (`413` beyond)", ge=1)
    # Parsing `[{},{},...]` costs ~24 times its size in memory; no JSON call needs more.
    max_json_bytes: int = setting(
        "MAX_JSON_BYTES", 64 * 1024,
        "largest JSON body: `413` naming the limit before a byte is parsed", shown="64 KiB",
        ge=1)

    @field_validator("public_base_url")
    @classmethod
    def _absolute(cls, url: str | None) -> str | None:
        return url if url is None else http_url(url)


class AccountSettings(Domain):
    """Registration, passwords and the links mailed to account holders."""

    bcrypt_log_rounds: int = setting("BCRYPT_LOG_ROUNDS", 12, "bcrypt cost", ge=4, le=31)
    allow_self_registration: bool = setting(
        "ALLOW_SELF_REGISTRATION", True, "when false only admins register accounts")
    registration_reveals_accounts: bool = setting(
        "REGISTRATION_REVEALS_ACCOUNTS", True,
        "`false`: an anonymous registration of a taken address answers like a free one "
        "(`201`) and the owner is mailed instead; `true` keeps the `409`. Admins always get "
        "`409`")
    email_verification: Literal["off", "optional", "required"] = setting(
        "EMAIL_VERIFICATION", "optional",
        "`optional`: registration mails a verification link, sign-in works before it is "
        "used; `required`: an unverified account cannot sign in (`403`); `off`: no "
        "verification message")
    password_reset_expires: int = setting(
        "PASSWORD_RESET_EXPIRES", 1800, "lifetime of a password reset link, seconds", ge=60)
    email_token_expires: int = setting(
        "EMAIL_TOKEN_EXPIRES", 86400,
        "lifetime of a verification or change-of-email link, seconds", ge=3600)
    invitation_expires: int = setting(
        "INVITATION_EXPIRES", 604800, "lifetime of an invitation link, seconds", ge=86400)
    reauth_seconds: int = setting(
        "REAUTH_SECONDS", 300,
        "an account without a password (provider sign-in) proves a recent sign-in for a "
        "sensitive change with a session this young", ge=1)


class TokenSettings(Domain):
    """JWTs, sign-in sessions' refresh tokens and personal access tokens."""

    jwt_secret_key: str | None = setting(
        "JWT_SECRET_KEY", None, "the key signing every JWT; **required**, ≥ 32 bytes, in "
        "production", shown="generated into `instance/` in development", secret=True,
        example="# python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = setting(
        "JWT_ALGORITHM", "HS256",
        "signing algorithm (HMAC: `HS256`, `HS384`, `HS512` with `JWT_SECRET_KEY`); tokens "
        "signed otherwise, `alg: none` included, are refused")
    access_expires: int = setting(
        "JWT_ACCESS_TOKEN_EXPIRES", 15 * 60, "access token lifetime, seconds", ge=1)
    refresh_expires: int = setting(
        "JWT_REFRESH_TOKEN_EXPIRES", 30 * 24 * 3600, "refresh token lifetime, seconds", ge=1)
    cookie_secure: bool = setting(
        "JWT_COOKIE_SECURE", False, "browser-session cookies only over https")
    # Two requests of one client racing: the loser presents the rotated token (401, the
    # session lives on); later it is a replayed stolen token and ends the session.
    refresh_reuse_grace_seconds: int = setting(
        "REFRESH_REUSE_GRACE_SECONDS", 10,
        "a refresh token's previous one presented this soon after the rotation is a lost "
        "race (`401`, session kept); later it ends the session; `0`: always end", ge=0)
    personal_tokens_per_user: int = setting(
        "PERSONAL_TOKENS_PER_USER", 50, "personal access tokens one user may hold", ge=1)


class RevocationSettings(Domain):
    """Where revoked token ids live, and the Redis user cache beside them."""

    store_url: str = setting(
        "REVOCATION_STORE_URL", "database",
        "`database` (the `revoked_tokens` table) or `redis://host:6379/0` (each key expires "
        "with its token); `redis+sentinel://h1:26379,h2:26379/service` follows a failover",
        secret=True)
    key_prefix: str = setting("REVOCATION_KEY_PREFIX", "signet:", "key prefix in Redis")
    # Entries are fresh by generation, never by time: this only frees idle users' memory.
    user_cache_ttl: int = setting(
        "USER_CACHE_TTL", 3600,
        "with the Redis store, users' rows are cached there; this bounds memory, not "
        "freshness", ge=1)

    @field_validator("store_url")
    @classmethod
    def _known_store(cls, url: str) -> str:
        if url != "database" and not url.startswith(REDIS_SCHEMES):
            raise ValueError("must be 'database' or a redis://, rediss://, unix:// or "
                             "redis+sentinel:// URL")
        return url


class MfaSettings(Domain):
    """Second factors: TOTP secrets at rest, the mfa_token, passkey ceremonies."""

    encryption_keys: Annotated[tuple[str, ...], NoDecode] = setting(
        "MFA_ENCRYPTION_KEY", (),
        "Fernet keys, comma-separated, newest first, encrypting TOTP secrets; see "
        "\"Rotating the MFA key\"", shown="derived from `SECRET_KEY` (HKDF)", secret=True,
        example="# python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'")
    token_expires: int = setting(
        "MFA_TOKEN_EXPIRES", 300,
        "seconds between the right password and the second factor (the `mfa_token`'s life)",
        ge=1)
    webauthn_challenge_expires: int = setting(
        "WEBAUTHN_CHALLENGE_EXPIRES", 300,
        "seconds a passkey ceremony's challenge stays usable", ge=1)

    @field_validator("encryption_keys", mode="before")
    @classmethod
    def _fernet_keys(cls, value: object) -> object:
        return fernet_keys(value)
