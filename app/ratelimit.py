"""Rate limits on login, registration, password and MFA checks, mail and uploads.

Every limit of the service is declared here, with what it keys on.

The address is the TCP peer unless TRUSTED_PROXY_COUNT proxies are configured, in which
case Werkzeug's ProxyFix takes it from that many X-Forwarded-For hops (counted from the
right), so a client cannot pick its own bucket by forging the header.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, request
from flask_jwt_extended import get_jwt_identity
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from app import ratelimit_store  # noqa: F401 - registers the signet-sqlite:// store
from app.exceptions import DomainError
from app.extensions import limiter
from app.settings import settings, settings_of

DEFAULT_RETRY_AFTER_SECONDS = 60
IPV6_PREFIX = 64
LOGIN_DEVICE_RULE = "signet.login_device_rule"
MAX_MFA_TOKEN_LENGTH = 2048
# The app.extensions entry where the mfa package leaves its mfa_token reader.
MFA_SUBJECT_OF = "signet.ratelimit.mfa_subject_of"


def trust_proxies(app: Flask) -> None:
    """Take the client address from X-Forwarded-For only behind TRUSTED_PROXY_COUNT proxies."""
    hops = settings_of(app).web.trusted_proxy_count
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def drop_limiter_middleware(app: Flask) -> None:
    """Remove Flask-Limiter's before-request check: here it never has anything to check.

    Every limit of this service decorates its route, and a decorated route checks its
    limits in its own wrapper; the before-request hook only evaluates default,
    application-wide and blueprint limits, which Signet never sets. A profile of
    GET /auth/me showed that hook resolving an empty set of limits on every request
    (about 6% of the request). Such limits would need the hook back: the settings have
    none (RATELIMIT_DEFAULT is not a Signet setting, so start-up refuses it).
    """
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:  # absent when RATELIMIT_ENABLED is false
        hooks.remove(limiter._check_request_limit)


def client_ip() -> str:
    """The client's address as the limits see it: an IPv6 address counts as its /64."""
    address = request.remote_addr or "unknown"
    if ":" not in address:
        return address
    try:
        ip = ipaddress.IPv6Address(address)
    except ValueError:
        return address
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    # One subscriber is routinely given a whole /64: counting each address apart would
    # hand a single client 2^64 buckets.
    return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))


def posted_field(name: str):
    """Field `name` of the body (JSON or form), or None: for keys, never an error.

    A JSON body is read through the request's one bounded parse, so the route's own
    parse costs nothing more; a body too large or malformed gives None here, and the
    route answers it (413, 400).
    """
    try:
        data = request.json_body() if request.is_json else request.form
    except (ValueError, DomainError, HTTPException):  # JSONDecodeError is a ValueError
        return None
    return data.get(name) if hasattr(data, "get") else None


def login_account_key() -> str:
    """The account a login names (the normalised email), whatever address it comes from."""
    email = posted_field("email")
    email = email.strip().lower() if isinstance(email, str) else ""
    return f"account:{email}"


def login_account_and_ip_key() -> str:
    """The account a login names, from this client address."""
    return f"{login_account_key()}|ip:{client_ip()}"


def register_login_device_rule(app: Flask, rule: Callable[[str], str | None]) -> None:
    """Install the rule naming the known device (if any) a login for an email comes from."""
    app.extensions[LOGIN_DEVICE_RULE] = rule


def login_device() -> str | None:
    """The known device this login comes from, for the account it names (app.auth.devices)."""
    rule = current_app.extensions.get(LOGIN_DEVICE_RULE)
    email = posted_field("email")
    return rule(email) if rule and isinstance(email, str) else None


def from_known_device() -> bool:
    """True when this login presents a device token of the account it names."""
    return login_device() is not None


def login_account_and_device_key() -> str:
    """The account a login names, from this known device."""
    return f"{login_account_key()}|device:{login_device()}"


def signed_in_account_key() -> str:
    """The signed-in account (the token was verified before the limit is checked)."""
    return f"user:{get_jwt_identity()}"


def _sends_no_profile_image() -> bool:
    # A part with no file name is a file input left blank: "no image" (app/api.py).
    upload = request.files.get("profile_image")
    return upload is None or not upload.filename


def register_mfa_token_subject(app: Flask, subject_of: Callable[[str], str | None]) -> None:
    """Let the mfa package name the account of a posted mfa_token (None: not a valid one)."""
    app.extensions[MFA_SUBJECT_OF] = subject_of


def signed_in_code_key() -> str:
    """The signed-in account (its token was verified before the limit is checked)."""
    return f"mfa-code:user:{get_jwt_identity()}"


def mfa_token_code_key() -> str:
    """The account the posted mfa_token names; a bad token is counted per address."""
    token = posted_field("mfa_token")
    subject_of = current_app.extensions.get(MFA_SUBJECT_OF)
    if isinstance(token, str) and len(token) <= MAX_MFA_TOKEN_LENGTH and subject_of:
        subject = subject_of(token)
        if subject is not None:
            return f"mfa-code:user:{subject}"
    return f"mfa-code:ip:{client_ip()}"


def _failed_login(response: Response) -> bool:
    return response.status_code == 401


def _limit(name: str):
    """The limit RateLimitSettings.<name> holds, read at each request (checked at start-up)."""
    return lambda: getattr(settings().ratelimit, name)


def retry_after_seconds() -> int:
    """Seconds until the limit this request broke lets requests through again."""
    breached = limiter.current_limit
    if breached is None:
        return DEFAULT_RETRY_AFTER_SECONDS
    return max(1, math.ceil(breached.reset_at - time.time()))


login_per_ip = limiter.limit(
    _limit("login"), key_func=client_ip,
    error_message="Too many login attempts from this address; retry later.",
)
# Tested before the view, counted only when the login fails: a correct password never
# uses up an allowance, but once one is spent even a correct password must wait.
# Keyed on (account, address): a stranger guessing a victim's password from their own
# address slows only themselves, and the victim, from another address, still signs in.
# A browser or client that signed in to the account before (a device cookie, OWASP) is
# exempt from both: strangers fill these buckets, and must not lock the owner out.
failed_logins_per_account_and_ip = limiter.limit(
    _limit("login_failure"), key_func=login_account_and_ip_key,
    deduct_when=_failed_login, exempt_when=from_known_device,
    error_message="Too many failed logins for this account from this address; retry later.",
)
# A much higher ceiling per account, whatever the address, bounds a guesser who rotates
# addresses; reaching it takes a botnet, and it holds back every unknown device for one
# window.
failed_logins_per_account = limiter.limit(
    _limit("login_account_failure_ceiling"), key_func=login_account_key,
    deduct_when=_failed_login, exempt_when=from_known_device,
    error_message="Too many failed logins for this account; retry later.",
)
# A known device's own failures: a stolen device cookie buys no more guesses than an
# address does.
failed_logins_per_account_and_device = limiter.limit(
    _limit("login_failure"), key_func=login_account_and_device_key,
    deduct_when=_failed_login, exempt_when=lambda: not from_known_device(),
    error_message="Too many failed logins for this account from this device; retry later.",
)
registrations_per_ip = limiter.limit(
    _limit("registration"), key_func=client_ip,
    error_message="Too many registrations from this address; retry later.",
)
# Someone holding a stolen access token must not be able to guess the current password
# without limit: wrong current passwords count against the account like failed logins.
failed_password_checks_per_account = limiter.limit(
    _limit("login_failure"), key_func=signed_in_account_key,
    deduct_when=_failed_login,
    error_message="Too many wrong current passwords for this account; retry later.",
)
# Every request that checks the current password costs a bcrypt and may hand out a secret
# or send mail, right password or not: one bucket per account across all such routes, so
# a thief (or a script) cannot spin TOTP secrets, ceremonies, tokens or mail without end.
password_checks_per_account = limiter.shared_limit(
    _limit("password_check"), scope="password-checks",
    key_func=signed_in_account_key,
    error_message="Too many password-checked changes for this account; retry later.",
)
# Routes that send mail and that no other limit bounds: token holders (reset, confirm of
# a new address) per client address, invitations per admin. One bucket each across them.
mail_requests_per_ip = limiter.shared_limit(
    _limit("mail_request"), scope="mail-requests", key_func=client_ip,
    error_message="Too many requests that send mail from this address; retry later.",
)
mail_requests_per_account = limiter.shared_limit(
    _limit("mail_request"), scope="mail-requests-account",
    key_func=signed_in_account_key,
    error_message="Too many requests that send mail from this account; retry later.",
)
# "Forgot password" sends mail to whatever address is typed: limited per client address
# and per target address, so neither a single client nor many can flood one inbox.
password_forgot_per_ip = limiter.limit(
    _limit("password_forgot"), key_func=client_ip,
    error_message="Too many password reset requests from this address; retry later.",
)
password_forgot_per_address = limiter.limit(
    _limit("password_forgot_address"), key_func=login_account_key,
    error_message="Too many password reset requests for this email; retry later.",
)
# Verifying needs no sign-in: bounded per client address like the other anonymous calls.
verifications_per_ip = limiter.limit(
    _limit("verify_email"), key_func=client_ip,
    error_message="Too many verification attempts from this address; retry later.",
)
verification_resends_per_account = limiter.limit(
    _limit("verify_email_resend"), key_func=signed_in_account_key,
    error_message="Too many verification messages asked for; retry later.",
)
# PATCH /auth/me with an image: decoding one costs up to PROFILE_IMAGE_DECODE_SECONDS of a
# worker, like registration's; counted per account and per address, refused or not.
# A change of name alone is not counted. Keys of their own: DELETE /auth/me, the same
# endpoint, counts wrong passwords per account.
profile_images_per_account = limiter.limit(
    _limit("profile_image"),
    key_func=lambda: f"profile-image:{signed_in_account_key()}",
    exempt_when=_sends_no_profile_image,
    error_message="Too many profile images from this account; retry later.",
)
profile_images_per_ip = limiter.limit(
    _limit("profile_image"), key_func=lambda: f"profile-image:{client_ip()}",
    exempt_when=_sends_no_profile_image,
    error_message="Too many profile images from this address; retry later.",
)
uploads_per_user = limiter.limit(
    _limit("upload"), key_func=signed_in_account_key,
    error_message="Too many uploads from this account; retry later.",
)
# An export reads (and sends) every byte the account stores: a few an hour is plenty.
exports_per_user = limiter.limit(
    _limit("export"), key_func=signed_in_account_key,
    error_message="Too many exports of this account; retry later.",
)
# Wrong second-factor codes (and wrong passwords beside them): one bucket per account,
# shared (one scope) by the signed-in MFA calls and POST /auth/login/mfa, so alternating
# between them does not give a guesser more tries. Counted only on a 401, like failed
# logins: a right code never uses up the allowance.
failed_codes_signed_in = limiter.shared_limit(
    _limit("login_failure"), scope="mfa-codes",
    key_func=signed_in_code_key, deduct_when=_failed_login,
    error_message="Too many wrong codes or passwords for this account; retry later.",
)
failed_codes_at_login = limiter.shared_limit(
    _limit("login_failure"), scope="mfa-codes",
    key_func=mfa_token_code_key, deduct_when=_failed_login,
    error_message="Too many wrong codes for this account; retry later.",
)
