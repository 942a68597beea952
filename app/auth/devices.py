"""Device cookies: a browser or client that signed in to an account is not locked out of it.

OWASP's answer to lockout by strangers ("Slow Down Online Guessing Attacks with Device
Cookies"): a successful sign-in leaves a signed cookie naming the account (as a keyed
digest of its email, not the email) and a random device id. A login that presents one for
the account it names is limited per (account, device) only; the per-account ceiling and
the per-(account, address) limit, which strangers' failures fill, do not apply to it.

A browser signing in with the form gets it as the HttpOnly `signet_device` cookie; an API
client finds it in the `X-Signet-Device` header of the sign-in answer and sends it back in
that header (or as the cookie). One per client: signing in to another account replaces it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Flask, Response, after_this_request, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.hashing import derive_key
from app.ratelimit import register_login_device_rule
from app.settings import settings
from app.users.models import User

COOKIE = "signet_device"
HEADER = "X-Signet-Device"
SALT = "signet.login-device"
MAX_TOKEN_LENGTH = 512
ISSUED = "signet.device_token"  # in the WSGI environ: the token this sign-in issued


def remember_device(user: User) -> None:
    """Hand this (successful) sign-in's client a device token for `user`'s account.

    API clients get it in the `X-Signet-Device` answer header (no cookie is set for them);
    a browser's sign-in form gets the `signet_device` cookie from app.web (set_device_cookie).
    """
    device_id = known_device(user.email) or secrets.token_urlsafe(16)
    token = _serializer().dumps({"a": _account_digest(user.email), "d": device_id})
    request.environ[ISSUED] = token

    @after_this_request
    def answer_header(response):
        if response.status_code < 400:
            response.headers[HEADER] = token
        return response


def set_device_cookie(response: Response) -> None:
    """Leave the device token this request issued as an HttpOnly cookie (browser sign-in)."""
    token = request.environ.get(ISSUED)
    if token is not None:
        response.set_cookie(
            COOKIE, token, max_age=settings().ratelimit.login_device_cookie_days * 86400,
            httponly=True, secure=settings().tokens.cookie_secure,
            samesite="Lax", path="/")


def known_device(email: str) -> str | None:
    """The device id of a valid device token for the account `email` names, or None."""
    token = request.headers.get(HEADER) or request.cookies.get(COOKIE)
    if not token or len(token) > MAX_TOKEN_LENGTH or not email:
        return None
    max_age = settings().ratelimit.login_device_cookie_days * 86400
    try:
        claims = _serializer().loads(token, max_age=max_age)
    except BadSignature:  # forged, altered or expired (SignatureExpired is one)
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("d"), str):
        return None
    if not hmac.compare_digest(str(claims.get("a")), _account_digest(email)):
        return None  # another account's device
    return claims["d"]


def init_login_devices(app: Flask) -> None:
    """Let the login limits ask which known device a login comes from."""
    register_login_device_rule(app, known_device)


def _account_digest(email: str) -> str:
    key = derive_key(settings().web.secret_key, purpose=SALT.encode())
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().web.secret_key, salt=SALT)
