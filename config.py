"""Configuration classes, chosen by the APP_ENV environment variable.

Every setting can come from the environment (or a `.env` file read by python-dotenv).
Production has no default for a secret: a missing or weak one stops start-up.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
MIN_SECRET_BYTES = 32
DEFAULT_ALLOWED_FILE_TYPES = (
    "image/jpeg,image/png,image/gif,image/webp,application/pdf,text/plain"
)

load_dotenv(BASE_DIR / ".env")


from app.settings.base import ConfigError  # noqa: E402 - one error class while both exist


def env_str(name: str, default: str | None = None) -> str | None:
    """Return an environment variable, treating an empty value as unset."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    """Return an integer environment variable or raise a clear ConfigError."""
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}.") from None


def env_float(name: str, default: float) -> float:
    """Return a decimal environment variable or raise a clear ConfigError."""
    value = env_str(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {value!r}.") from None


def env_bool(name: str, default: bool) -> bool:
    """Return a boolean environment variable (1/true/yes/on are true)."""
    value = env_str(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Binds a browser on this machine reaches as `localhost`: WebAuthn refuses an IP address
# as the relying party id, so passkeys work at http://localhost:8000 and not at 127.0.0.1.
LOCAL_BIND_HOSTS = frozenset({"127.0.0.1", "0.0.0.0", "::", "::1", "localhost"})  # noqa: S104


def listening_url(host: str | None, port: str | int | None) -> str:
    """Return the address a browser on this machine opens for gunicorn's HOST and PORT."""
    host = host or "127.0.0.1"
    name = "localhost" if host in LOCAL_BIND_HOSTS else (f"[{host}]" if ":" in host else host)
    return f"http://{name}:{port or 8000}"


def base_url_warning(base_url: str, host: str | None, port: str | int | None) -> str | None:
    """Say why mailed links would miss a development server, or None when they reach it.

    Only a base URL on this machine is judged: one naming another host is taken to sit
    behind a proxy that knows where the server listens.
    """
    parts = urlsplit(base_url)
    local = parts.hostname in {"localhost", "::1"} or (parts.hostname or "").startswith("127.")
    if not local:
        return None
    listening = listening_url(host, port)
    if parts.port == urlsplit(listening).port:
        return None
    return (f"PUBLIC_BASE_URL is {base_url}, but this server listens at {listening}: "
            "links in mail and passkeys will point elsewhere. Unset PUBLIC_BASE_URL "
            "(it then follows HOST and PORT) or set it to the address you open.")


def database_url(default: str) -> str:
    """Return DATABASE_URL, forcing utf8mb4 on MySQL so every email and name fits."""
    url = env_str("DATABASE_URL", default)
    if url.startswith("mysql") and "charset=" not in url:
        url += ("&" if "?" in url else "?") + "charset=utf8mb4"
    return url


def development_secret(name: str, directory: Path = INSTANCE_DIR) -> str:
    """Return a per-checkout random secret kept in instance/ (never in the repo).

    Gunicorn workers must share the JWT key, so a per-process random value would not do.
    """
    path = directory / f".{name.lower()}"
    if not path.exists():
        directory.mkdir(exist_ok=True)
        # Written whole under a private name (mode 0600), then linked into place: of
        # workers starting at once exactly one value wins, and none reads a half-written
        # (empty) file, which would have made an empty key.
        fd, scratch = tempfile.mkstemp(dir=directory, prefix=f".{name.lower()}.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            with contextlib.suppress(FileExistsError):
                os.link(scratch, path)
        finally:
            os.unlink(scratch)
    return path.read_text().strip()


class Config:
    """Settings shared by every environment."""

    APP_ENV = "development"
    SQLALCHEMY_DATABASE_URI = database_url(f"sqlite:///{INSTANCE_DIR / 'signet.db'}")
    # No ping on every checkout (a round trip per request): app/db_driver.py pings only
    # connections idle longer than DB_PING_AFTER_IDLE seconds.
    # hide_parameters: a failed statement's error (and so its logged traceback) names no
    # values; an outbox row's values are mail bodies holding links with tokens.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 280, "hide_parameters": True}
    DB_PING_AFTER_IDLE = env_int("DB_PING_AFTER_IDLE", 10)
    # Runs of a use case after a Galera certification conflict or a lost connection
    # (app/transactions.py `retried`); then a 503 with Retry-After.
    DB_RETRY_ATTEMPTS = env_int("DB_RETRY_ATTEMPTS", 3)

    UPLOAD_FOLDER = env_str("UPLOAD_FOLDER", str(BASE_DIR / "uploads"))
    STORAGE_BACKEND = env_str("STORAGE_BACKEND", "local")
    # s3 backend: the bucket must exist; keys fall back to boto3's usual chain when unset.
    S3_BUCKET = env_str("S3_BUCKET")
    S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL")
    S3_REGION = env_str("S3_REGION", env_str("AWS_REGION", env_str("AWS_DEFAULT_REGION")))
    AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID")
    AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY")
    # true: downloads answer 302 to a presigned URL valid S3_PRESIGN_SECONDS instead of
    # streaming the object through the worker.
    S3_PRESIGNED_DOWNLOADS = env_bool("S3_PRESIGNED_DOWNLOADS", False)
    S3_PRESIGN_SECONDS = env_int("S3_PRESIGN_SECONDS", 60)
    # Behind nginx (deploy/nginx): local downloads answer with X-Accel-Redirect to this
    # internal location and nginx sends the bytes. Empty: the worker streams them itself.
    ACCEL_REDIRECT_PREFIX = env_str("ACCEL_REDIRECT_PREFIX")
    # `flask files gc` leaves blobs younger than this alone: an upload may be mid-commit.
    FILES_GC_GRACE_SECONDS = env_int("FILES_GC_GRACE_SECONDS", 3600)
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    # Non-file form fields are held in memory: keep them small so a hostile form is a 413.
    MAX_FORM_MEMORY_SIZE = env_int("MAX_FORM_MEMORY_SIZE", 64 * 1024)
    MAX_FORM_PARTS = env_int("MAX_FORM_PARTS", 100)
    # A JSON body is 413 past this, before it is parsed: parsing `[{},{},...]` costs ~24
    # times its size in memory, and no JSON call of this API needs more.
    MAX_JSON_BYTES = env_int("MAX_JSON_BYTES", 64 * 1024)
    PROFILE_IMAGE_MAX_BYTES = env_int("PROFILE_IMAGE_MAX_BYTES", 5 * 1024 * 1024)
    # Judged from the header before decoding (issue 13): an avatar needs no 40 Mpx, and a
    # tiny file can claim a huge canvas. Per frame (a GIF's canvas as later frames grow
    # it), frames, all frames together, a JPEG's progressive scans (each decodes the whole
    # image again), and a decode deadline checked at every read of the decoder and between
    # frames; stored images are at most 1024 px a side.
    PROFILE_IMAGE_MAX_PIXELS = env_int("PROFILE_IMAGE_MAX_PIXELS", 16_000_000)
    PROFILE_IMAGE_MAX_FRAMES = env_int("PROFILE_IMAGE_MAX_FRAMES", 100)
    PROFILE_IMAGE_MAX_TOTAL_PIXELS = env_int("PROFILE_IMAGE_MAX_TOTAL_PIXELS", 16_000_000)
    PROFILE_IMAGE_MAX_SCANS = env_int("PROFILE_IMAGE_MAX_SCANS", 16)
    PROFILE_IMAGE_DECODE_SECONDS = env_float("PROFILE_IMAGE_DECODE_SECONDS", 1.0)
    # Bytes each non-admin user may store, profile image included; 0: no quota.
    USER_STORAGE_QUOTA_BYTES = env_int("USER_STORAGE_QUOTA_BYTES", 1024 * 1024 * 1024)
    ALLOWED_FILE_TYPES = [
        t.strip()
        for t in env_str("ALLOWED_FILE_TYPES", DEFAULT_ALLOWED_FILE_TYPES).split(",")
        if t.strip()
    ]

    BCRYPT_LOG_ROUNDS = env_int("BCRYPT_LOG_ROUNDS", 12)
    # bcrypt reads 72 bytes at most (and bcrypt 5 raises beyond): pre-hash with SHA-256
    # so that every character of a long password counts.
    BCRYPT_HANDLE_LONG_PASSWORDS = True
    ALLOW_SELF_REGISTRATION = env_bool("ALLOW_SELF_REGISTRATION", True)
    # false: an anonymous registration of a taken address answers like a new one (201, the
    # same body for both) and the address's owner is mailed instead; admins still get 409.
    REGISTRATION_REVEALS_ACCOUNTS = env_bool("REGISTRATION_REVEALS_ACCOUNTS", True)

    JWT_ALGORITHM = env_str("JWT_ALGORITHM", "HS256")
    JWT_DECODE_ALGORITHMS = [JWT_ALGORITHM]
    JWT_ACCESS_TOKEN_EXPIRES = env_int("JWT_ACCESS_TOKEN_EXPIRES", 15 * 60)
    JWT_REFRESH_TOKEN_EXPIRES = env_int("JWT_REFRESH_TOKEN_EXPIRES", 30 * 24 * 3600)
    # API clients send "Authorization: Bearer"; the browser pages (app/web) hold the same
    # tokens in HttpOnly cookies, with a CSRF double submit (header or form field) on writes.
    JWT_TOKEN_LOCATION = ["headers", "cookies"]
    JWT_COOKIE_CSRF_PROTECT = True
    JWT_CSRF_CHECK_FORM = True
    JWT_COOKIE_SAMESITE = "Lax"
    JWT_COOKIE_SECURE = env_bool("JWT_COOKIE_SECURE", False)
    JWT_ERROR_MESSAGE_KEY = "detail"
    # A refresh token presented again within this many seconds of its rotation is taken
    # for the loser of a race between two requests of the same client (401, the session
    # lives on); later, it is a replayed stolen token and ends the session. 0: always end.
    REFRESH_REUSE_GRACE_SECONDS = env_int("REFRESH_REUSE_GRACE_SECONDS", 10)
    # Personal access tokens one user may hold at once (each is a standing credential).
    PERSONAL_TOKENS_PER_USER = env_int("PERSONAL_TOKENS_PER_USER", 50)

    # Signing keys (app/keys, read through app/keys/settings.py): asymmetric keys published
    # at /.well-known/jwks.json so other services verify Signet's tokens without a secret.
    # HS256: access tokens signed with JWT_SECRET_KEY (as before); ES256 (or EdDSA, RS256):
    # with the current signing key, RFC 9068 (`typ: at+jwt`, iss, aud). Refresh tokens
    # stay HS256 whatever this says: only Signet ever reads them.
    ACCESS_TOKEN_SIGNING = env_str("ACCESS_TOKEN_SIGNING", "HS256")
    # The `aud` of asymmetric access tokens; unset: PUBLIC_BASE_URL + "/api/v1".
    ACCESS_TOKEN_AUDIENCE = env_str("ACCESS_TOKEN_AUDIENCE")
    # The algorithm of new keys (the first one, `flask keys rotate`); unset: ES256, or
    # ACCESS_TOKEN_SIGNING when that names an asymmetric one.
    SIGNING_KEY_ALGORITHM = env_str("SIGNING_KEY_ALGORITHM")
    # A rotated key is published at once and signs only this many seconds later, so that
    # verifiers caching the JWKS know it before they meet a token it signed.
    SIGNING_KEY_PUBLISH_SECONDS = env_int("SIGNING_KEY_PUBLISH_SECONDS", 3600)
    # Each worker re-reads the keys at most this often (instances sharing a database agree
    # on the current key within it); keep it well under SIGNING_KEY_PUBLISH_SECONDS.
    SIGNING_KEY_REFRESH_SECONDS = env_int("SIGNING_KEY_REFRESH_SECONDS", 30)
    # The longest lifetime of any token signed with the keys (ID tokens, say) besides the
    # API's access tokens: a retired key stays published this long after it last signed.
    SIGNING_KEY_MAX_TOKEN_SECONDS = env_int("SIGNING_KEY_MAX_TOKEN_SECONDS", 3600)
    # Fernet keys (comma-separated, newest first) encrypting private signing keys at rest.
    # Required in production; elsewhere unset means one derived from SECRET_KEY with HKDF.
    SIGNING_KEY_ENCRYPTION_KEY = env_str("SIGNING_KEY_ENCRYPTION_KEY")

    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    # Shared by every worker of this instance (app/ratelimit_store.py); memory:// would
    # count per process. Several instances: redis://.
    RATELIMIT_STORAGE_URI = env_str(
        "RATELIMIT_STORAGE_URI", f"signet-sqlite://{INSTANCE_DIR / 'ratelimits.sqlite'}")
    RATELIMIT_KEY_PREFIX = env_str("RATELIMIT_KEY_PREFIX", "signet")
    # Limits use Flask-Limiter's notation ("10 per minute", "5/hour; 100/day").
    LOGIN_RATE_LIMIT = env_str("LOGIN_RATE_LIMIT", "10 per minute")
    # Failed logins per (account, client IP): a stranger's guesses slow only the stranger.
    LOGIN_FAILURE_RATE_LIMIT = env_str("LOGIN_FAILURE_RATE_LIMIT", "10 per 15 minutes")
    # Failed logins per account from every address together: bounds a guesser who rotates
    # addresses, high enough that locking a victim out takes that many addresses' worth.
    LOGIN_ACCOUNT_FAILURE_CEILING = env_str("LOGIN_ACCOUNT_FAILURE_CEILING",
                                            "100 per 15 minutes")
    # Days a device cookie (app/auth/devices.py) keeps a browser or client exempt from the
    # per-account ceiling that strangers' failed logins can fill.
    LOGIN_DEVICE_COOKIE_DAYS = env_int("LOGIN_DEVICE_COOKIE_DAYS", 180)
    REGISTRATION_RATE_LIMIT = env_str("REGISTRATION_RATE_LIMIT", "20 per hour")
    # PATCH /auth/me with a profile image, per account and per client IP: each image costs
    # a decode, as a registration's does.
    PROFILE_IMAGE_RATE_LIMIT = env_str("PROFILE_IMAGE_RATE_LIMIT", "20 per hour")
    # POST /files per signed-in user: the quota bounds the bytes, this the request rate.
    UPLOAD_RATE_LIMIT = env_str("UPLOAD_RATE_LIMIT", "120 per hour")
    # GET /auth/me/export per account: each one reads every byte the user stores.
    EXPORT_RATE_LIMIT = env_str("EXPORT_RATE_LIMIT", "5 per hour")
    # How many reverse proxies append to X-Forwarded-For; 0 ignores the header entirely.
    TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
    # Audit events older than this are deleted by `flask audit purge` (run it from cron).
    AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365)
    # Mailed links and their tokens (seconds): a reset link is short-lived, an invitation
    # waits a week for its reader.
    EMAIL_VERIFICATION = env_str("EMAIL_VERIFICATION", "optional")
    PASSWORD_RESET_EXPIRES = env_int("PASSWORD_RESET_EXPIRES", 1800)
    EMAIL_TOKEN_EXPIRES = env_int("EMAIL_TOKEN_EXPIRES", 86400)
    INVITATION_EXPIRES = env_int("INVITATION_EXPIRES", 604800)
    # "Forgot password" mails a stranger's address: limited per client IP and per address.
    PASSWORD_FORGOT_RATE_LIMIT = env_str("PASSWORD_FORGOT_RATE_LIMIT", "10 per hour")
    PASSWORD_FORGOT_ADDRESS_RATE_LIMIT = env_str("PASSWORD_FORGOT_ADDRESS_RATE_LIMIT",
                                                 "3 per hour")
    VERIFY_EMAIL_RESEND_RATE_LIMIT = env_str("VERIFY_EMAIL_RESEND_RATE_LIMIT", "3 per hour")
    # POST /auth/verify-email per client IP: anyone may call it, and each call checks a token.
    VERIFY_EMAIL_RATE_LIMIT = env_str("VERIFY_EMAIL_RATE_LIMIT", "20 per hour")
    # Requests that check the current password, right or wrong, per signed-in account
    # (each costs a bcrypt and may hand out a secret or send mail).
    PASSWORD_CHECK_RATE_LIMIT = env_str("PASSWORD_CHECK_RATE_LIMIT", "30 per hour")
    # Other mail-sending requests: per client address (reset, email confirm), per admin
    # (invitations).
    MAIL_REQUEST_RATE_LIMIT = env_str("MAIL_REQUEST_RATE_LIMIT", "30 per hour")
    # Mail a request triggers to one address, whatever account or client asks; beyond it
    # the client still gets its answer and nothing is sent. 0 turns the cap off.
    MAIL_PER_ADDRESS_PER_HOUR = env_int("MAIL_PER_ADDRESS_PER_HOUR", 5)
    # An account without a password (provider sign-in) proves a recent sign-in for a
    # sensitive change with a session younger than this (seconds).
    REAUTH_SECONDS = env_int("REAUTH_SECONDS", 300)
    # Sign-in with other providers (app/federation/settings.py reads them): AUTH_PROVIDERS
    # names them (none by default); each id's AUTH_PROVIDER_<ID>_* settings are collected
    # from the environment by provider_settings() below. Every call to a provider (discovery,
    # keys, token, GitHub's API) gives up after AUTH_PROVIDER_TIMEOUT seconds.
    AUTH_PROVIDERS = env_str("AUTH_PROVIDERS", "")
    AUTH_PROVIDER_TIMEOUT = env_float("AUTH_PROVIDER_TIMEOUT", 5.0)
    REVOCATION_STORE_URL = env_str("REVOCATION_STORE_URL", "database")
    REVOCATION_KEY_PREFIX = env_str("REVOCATION_KEY_PREFIX", "signet:")
    # With the Redis store, users' rows are cached there (app/tokens/user_cache.py). Entries
    # are fresh by generation, never by time: this only frees the memory of idle users.
    USER_CACHE_TTL = env_int("USER_CACHE_TTL", 3600)

    # Passkeys are bound to PUBLIC_BASE_URL (below, with mail): its host name is the
    # WebAuthn relying party id and its origin the one they must come from.
    # Fernet keys (comma-separated, newest first) encrypting TOTP secrets at rest; unset:
    # one derived from SECRET_KEY with HKDF. See README "Rotating the MFA key".
    MFA_ENCRYPTION_KEY = env_str("MFA_ENCRYPTION_KEY")
    # Seconds between a right password and the second factor (the mfa_token's lifetime).
    MFA_TOKEN_EXPIRES = env_int("MFA_TOKEN_EXPIRES", 300)
    # Seconds a passkey ceremony's challenge stays usable.
    WEBAUTHN_CHALLENGE_EXPIRES = env_int("WEBAUTHN_CHALLENGE_EXPIRES", 300)

    # OpenID Provider (app/oauth_server), in seconds: an authorization code is exchanged
    # at once; an application's access token is short-lived, its refresh token (only with
    # offline_access) lives as long as this but never beyond the Signet session it came from.
    OAUTH_CODE_EXPIRES = env_int("OAUTH_CODE_EXPIRES", 60)
    OAUTH_ACCESS_TOKEN_EXPIRES = env_int("OAUTH_ACCESS_TOKEN_EXPIRES", 900)
    OAUTH_REFRESH_TOKEN_EXPIRES = env_int("OAUTH_REFRESH_TOKEN_EXPIRES", 30 * 24 * 3600)
    OAUTH_ID_TOKEN_EXPIRES = env_int("OAUTH_ID_TOKEN_EXPIRES", 300)

    # false: no /docs and no /openapi.json (404), for a production that keeps them private.
    DOCS_ENABLED = env_bool("DOCS_ENABLED", True)
    API_TITLE = "Signet"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    # Swagger UI's assets are served from the pinned swagger-ui-bundle-v2 package (app.docs):
    # /docs works with no internet access.
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/docs/assets/"
    OPENAPI_SWAGGER_UI_CONFIG = {"deepLinking": True, "displayRequestDuration": True}

    SECRET_KEY = env_str("SECRET_KEY")
    JWT_SECRET_KEY = env_str("JWT_SECRET_KEY")

    # Mail (app/mail). Links in messages are built from PUBLIC_BASE_URL only, never from
    # the request's Host header, which a client chooses. Outside production it follows
    # gunicorn's HOST and PORT, so `PORT=9410 make run` mails working links.
    PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", listening_url(env_str("HOST"), env_str("PORT")))
    MAIL_BACKEND = env_str("MAIL_BACKEND", "file")
    MAIL_FILE_DIR = env_str("MAIL_FILE_DIR", str(INSTANCE_DIR / "mail"))
    MAIL_FROM = env_str("MAIL_FROM")
    SMTP_HOST = env_str("SMTP_HOST")
    SMTP_PORT = env_int("SMTP_PORT", 587)
    SMTP_SECURITY = env_str("SMTP_SECURITY", "starttls")
    SMTP_USERNAME = env_str("SMTP_USERNAME")
    SMTP_PASSWORD = env_str("SMTP_PASSWORD")
    # A CA bundle for a server whose certificate the system store does not know.
    SMTP_CA_FILE = env_str("SMTP_CA_FILE")
    SMTP_TIMEOUT = env_int("SMTP_TIMEOUT", 10)
    # Each worker process runs one delivery thread; false leaves delivery to
    # `flask mail send-pending` (cron) or to another instance.
    MAIL_DELIVERY_THREAD = env_bool("MAIL_DELIVERY_THREAD", True)
    MAIL_POLL_SECONDS = env_int("MAIL_POLL_SECONDS", 2)
    MAIL_BATCH_SIZE = env_int("MAIL_BATCH_SIZE", 50)
    # A claimed message is left alone by other workers this long; longer than a batch
    # can take (MAIL_BATCH_SIZE x SMTP_TIMEOUT), so a slow sender is never overtaken.
    MAIL_CLAIM_SECONDS = env_int("MAIL_CLAIM_SECONDS", 600)
    MAIL_RETRY_BASE_SECONDS = env_int("MAIL_RETRY_BASE_SECONDS", 5)
    MAIL_RETRY_MAX_SECONDS = env_int("MAIL_RETRY_MAX_SECONDS", 300)
    # A message still undelivered this long after it was queued is flagged "failing"
    # (reported by `flask mail status`, logged at WARNING) and still retried.
    MAIL_FAILING_AFTER_SECONDS = env_int("MAIL_FAILING_AFTER_SECONDS", 3600)
    # A message the server refuses for good (a 5xx answer) is still retried for this long
    # after it was queued (time to fix a server-side setting that refuses every message),
    # then marked "rejected": its body is cleared and it is never sent again. Temporary
    # failures (4xx, an unreachable server) are retried without end.
    MAIL_REJECTED_AFTER_SECONDS = env_int("MAIL_REJECTED_AFTER_SECONDS", 3 * 24 * 3600)

    @classmethod
    def finalize(cls) -> dict:
        """Return the settings as a dict, filling development-only defaults."""
        settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
            if not settings[name]:
                settings[name] = development_secret(name)
        check_mail_settings(settings)
        return settings


class DevelopmentConfig(Config):
    """Local development: SQLite in instance/, secrets generated into instance/."""


class TestingConfig(Config):
    """The test suite: cheap bcrypt, no rate limits unless a test turns them on."""

    APP_ENV = "testing"
    TESTING = True
    BCRYPT_LOG_ROUNDS = env_int("BCRYPT_LOG_ROUNDS", 4)
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", False)
    # Tests that switch limits on choose their store; none shares a file by accident.
    RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI", "memory://")
    SECRET_KEY = env_str("SECRET_KEY", "testing-secret-key-that-is-long-enough-0123")
    JWT_SECRET_KEY = env_str("JWT_SECRET_KEY", "testing-jwt-secret-that-is-long-enough-0123")
    # Fixed whatever PORT the shell or a live test server has: tests compare links to it.
    PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://localhost:8000")


class ProductionConfig(Config):
    """Production: secrets must come from the environment and be strong."""

    APP_ENV = "production"
    # Production is served over HTTPS: cookies holding tokens never travel in clear text.
    JWT_COOKIE_SECURE = env_bool("JWT_COOKIE_SECURE", True)
    # No guessed default: a wrong base URL would put dead links in every message.
    PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL")
    MAIL_BACKEND = env_str("MAIL_BACKEND", "smtp")

    @classmethod
    def finalize(cls) -> dict:
        """Return the settings, refusing to start with a missing or weak secret."""
        for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
            value = getattr(cls, name)
            if not value or len(value.encode()) < MIN_SECRET_BYTES:
                raise ConfigError(
                    f"{name} must be set to a random value of at least {MIN_SECRET_BYTES} "
                    "bytes in production (for example: python -c "
                    "'import secrets; print(secrets.token_urlsafe(48))')."
                )
        if not cls.PUBLIC_BASE_URL:
            raise ConfigError(
                "PUBLIC_BASE_URL must be set in production: the address users open the "
                "service at, used for the links in mail (for example "
                "PUBLIC_BASE_URL=https://signet.example.com)."
            )
        settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        check_mail_settings(settings)
        return settings


MAIL_BACKENDS = ("file", "smtp")
SMTP_SECURITIES = ("starttls", "ssl", "none")


def check_mail_settings(settings: dict) -> None:
    """Refuse mail settings that would fail at delivery time instead of at start-up.

    The one check of MAIL_BACKEND and SMTP_HOST: app.mail.backends builds what they name.
    """
    base = settings["PUBLIC_BASE_URL"] or ""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment:
        raise ConfigError(
            "PUBLIC_BASE_URL must be an absolute http(s) URL without query or fragment, "
            f"got {base!r} (for example PUBLIC_BASE_URL=https://signet.example.com)."
        )
    settings["PUBLIC_BASE_URL"] = base.rstrip("/")
    if settings["MAIL_BACKEND"] not in MAIL_BACKENDS:
        raise ConfigError(f"MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}, "
                          f"got {settings['MAIL_BACKEND']!r}.")
    if settings["MAIL_BACKEND"] == "smtp" and not settings["SMTP_HOST"]:
        where = " in production" if settings["APP_ENV"] == "production" else ""
        raise ConfigError(
            f"SMTP_HOST must be set{where} with MAIL_BACKEND=smtp: the mail server that "
            "delivers Signet's messages (for example SMTP_HOST=smtp.example.com, with "
            "SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD)."
        )
    if settings["SMTP_SECURITY"] not in SMTP_SECURITIES:
        raise ConfigError(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITIES)}, "
                          f"got {settings['SMTP_SECURITY']!r}.")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


EMAIL_VERIFICATION_MODES = ("off", "optional", "required")


def load_config(app_env: str | None = None) -> dict:
    """Return the settings for APP_ENV (development when unset)."""
    name = app_env or env_str("APP_ENV", "development")
    if name not in CONFIGS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(CONFIGS)}, got {name!r}.")
    settings = CONFIGS[name].finalize()
    check_email_verification(settings["EMAIL_VERIFICATION"])
    settings.update(provider_settings())
    return settings


PROVIDER_PREFIX = "AUTH_PROVIDER_"


def provider_settings() -> dict:
    """Every AUTH_PROVIDER_<ID>_* variable set in the environment (ids are open-ended)."""
    return {name: value for name, value in os.environ.items()
            if name.startswith(PROVIDER_PREFIX) and name != "AUTH_PROVIDER_TIMEOUT"
            and value != ""}


def check_email_verification(mode: str) -> None:
    """Refuse an EMAIL_VERIFICATION value that is none of the three modes."""
    if mode not in EMAIL_VERIFICATION_MODES:
        raise ConfigError(f"EMAIL_VERIFICATION must be one of "
                          f"{', '.join(EMAIL_VERIFICATION_MODES)}, got {mode!r}.")
