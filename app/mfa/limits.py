"""Per-account limits on wrong second-factor codes (and wrong passwords beside them).

One bucket per account, shared by the signed-in MFA calls and POST /auth/login/mfa, so
alternating between them does not give a guesser more tries. Counted only on a 401, like
failed logins: a right code never uses up the allowance.
"""

from __future__ import annotations

from flask import current_app
from flask_jwt_extended import get_jwt_identity

from app.exceptions import Unauthorized
from app.extensions import limiter
from app.mfa.tokens import read_mfa_token
from app.ratelimit import client_ip, posted_field

MAX_TOKEN_LENGTH = 2048


def signed_in_code_key() -> str:
    """The signed-in account (its token was verified before the limit is checked)."""
    return f"mfa-code:user:{get_jwt_identity()}"


def mfa_token_code_key() -> str:
    """The account the posted mfa_token names; a bad token is counted per address."""
    token = posted_field("mfa_token")
    if isinstance(token, str) and len(token) <= MAX_TOKEN_LENGTH:
        try:
            return f"mfa-code:user:{read_mfa_token(token)['sub']}"
        except Unauthorized:
            pass
    return f"mfa-code:ip:{client_ip()}"


def _failed(response) -> bool:
    return response.status_code == 401


_LIMIT = lambda: current_app.config["LOGIN_FAILURE_RATE_LIMIT"]  # noqa: E731
# A shared scope: Flask-Limiter would otherwise keep one bucket per endpoint.
failed_codes_signed_in = limiter.shared_limit(
    _LIMIT, scope="mfa-codes", key_func=signed_in_code_key, deduct_when=_failed,
    error_message="Too many wrong codes or passwords for this account; retry later.",
)
failed_codes_at_login = limiter.shared_limit(
    _LIMIT, scope="mfa-codes", key_func=mfa_token_code_key, deduct_when=_failed,
    error_message="Too many wrong codes for this account; retry later.",
)
