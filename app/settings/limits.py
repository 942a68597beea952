"""Rate-limit settings: the store the counters live in and every limit of the service.

Limits use Flask-Limiter's notation ("10 per minute", "5/hour; 100/day") and are parsed
here, so a typo stops start-up instead of failing the first request it would limit.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import field_validator

from app.settings.base import INSTANCE_DIR, Domain, rate_limit, setting

# Flask-Limiter's stores Signet may use, and its own shared SQLite file (app/ratelimit_store).
STORE_SCHEMES = ("memory", "signet-sqlite", "redis", "rediss", "redis+unix", "redis+sentinel",
                 "redis+cluster", "valkey", "valkeys", "memcached")
LIMIT_FIELDS = ("login", "login_failure", "login_account_failure_ceiling", "registration",
                "profile_image", "upload", "export", "password_forgot",
                "password_forgot_address", "verify_email_resend", "verify_email",
                "password_check", "mail_request")


class RateLimitSettings(Domain):
    """Where counters live, and how many of each request a client may make."""

    enabled: bool = setting("RATELIMIT_ENABLED", True, "rate limits on every limited route")
    storage_uri: str = setting(
        "RATELIMIT_STORAGE_URI", f"signet-sqlite://{INSTANCE_DIR / 'ratelimits.sqlite'}",
        "where counters live: by default a SQLite file every worker of this instance "
        "shares; `redis://…` shares them across instances too (`redis+sentinel://…` through "
        "failovers). `memory://` counts per worker: production refuses it with more than "
        "one worker", shown="`signet-sqlite://<instance>/ratelimits.sqlite`", secret=True,
        example="redis://127.0.0.1:6379/0")
    key_prefix: str = setting(
        "RATELIMIT_KEY_PREFIX", "signet", "key prefix in the rate-limit store")
    login: str = setting("LOGIN_RATE_LIMIT", "10 per minute", "login attempts per client IP")
    login_failure: str = setting(
        "LOGIN_FAILURE_RATE_LIMIT", "10 per 15 minutes",
        "failed logins per (account, client IP), and wrong current passwords per account; "
        "a stranger who knows only an email slows down only themselves")
    login_account_failure_ceiling: str = setting(
        "LOGIN_ACCOUNT_FAILURE_CEILING", "100 per 15 minutes",
        "failed logins per account from all addresses together; reaching it holds back "
        "every client that has not signed in to the account before, never known devices")
    login_device_cookie_days: int = setting(
        "LOGIN_DEVICE_COOKIE_DAYS", 180,
        "how long a device token keeps a client that signed in before exempt from the "
        "limits strangers' failed logins fill", ge=1)
    registration: str = setting(
        "REGISTRATION_RATE_LIMIT", "20 per hour", "registrations per client IP")
    profile_image: str = setting(
        "PROFILE_IMAGE_RATE_LIMIT", "20 per hour",
        "`PATCH /auth/me` requests carrying a profile image, per account and per client IP")
    upload: str = setting("UPLOAD_RATE_LIMIT", "120 per hour", "`POST /files` per user")
    export: str = setting(
        "EXPORT_RATE_LIMIT", "5 per hour", "`GET /auth/me/export` per account")
    password_forgot: str = setting(
        "PASSWORD_FORGOT_RATE_LIMIT", "10 per hour",
        "`POST /auth/password/forgot` per client IP")
    password_forgot_address: str = setting(
        "PASSWORD_FORGOT_ADDRESS_RATE_LIMIT", "3 per hour",
        "`POST /auth/password/forgot` per address asked for, whatever the IP")
    verify_email_resend: str = setting(
        "VERIFY_EMAIL_RESEND_RATE_LIMIT", "3 per hour",
        "`POST /auth/verify-email/resend` per account")
    verify_email: str = setting(
        "VERIFY_EMAIL_RATE_LIMIT", "20 per hour", "`POST /auth/verify-email` per client IP")
    password_check: str = setting(
        "PASSWORD_CHECK_RATE_LIMIT", "30 per hour",
        "requests that check the current password, right or wrong, per signed-in account, "
        "all such routes in one bucket")
    mail_request: str = setting(
        "MAIL_REQUEST_RATE_LIMIT", "30 per hour",
        "other requests that send mail: per client IP (reset, email confirm), per admin "
        "(invitations)")

    @field_validator(*LIMIT_FIELDS)
    @classmethod
    def _notation(cls, value: str) -> str:
        return rate_limit(value)

    @field_validator("storage_uri")
    @classmethod
    def _known_store(cls, uri: str) -> str:
        if urlsplit(uri).scheme not in STORE_SCHEMES:
            raise ValueError(f"must be a URL of one of {', '.join(STORE_SCHEMES)}")
        return uri
