"""The sign-in flow: password (then, with MFA on, a second factor) or passkey; refresh; logout.

MFA gives verdicts (app.mfa: a code consumed, a passkey verified); only this flow starts a
session and issues the token pair (app.auth.tokens)."""

from __future__ import annotations

from sqlalchemy import select

from app.audit import record_event
from app.auth.devices import remember_device
from app.auth.tokens import issue_token_pair, session_token_pair
from app.exceptions import (
    AccountInactive,
    EmailNotVerified,
    InvalidCode,
    InvalidCredentials,
)
from app.extensions import db
from app.mfa.codes import TOTP_DIGITS, consume_second_factor
from app.mfa.notices import record_mfa_change
from app.mfa.passkeys import verify_passkey_sign_in
from app.mfa.tokens import issue_mfa_token, mfa_token_user, read_mfa_token, spend_mfa_token
from app.sessions import service as sessions
from app.settings import settings
from app.transactions import retried, transaction
from app.users.models import User
from app.users.passwords import (
    burn_password_check,
    verify_password,
)
from app.users.service import normalize_email


def authenticate(*, email: str, password: str) -> User:
    """Return the user whose credentials these are, or raise.

    An unknown email spends the same bcrypt work as a wrong password, and an inactive
    account is only revealed to someone who knows its password.
    """
    email = normalize_email(email)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        burn_password_check(password)
        _record_failed_login(email=email, user=None, reason="unknown_email")
        raise InvalidCredentials()
    if not verify_password(user.password_hash, password):
        _record_failed_login(email=email, user=user, reason="wrong_password")
        raise InvalidCredentials()
    if not user.is_active:
        _record_failed_login(email=email, user=user, reason="inactive")
        raise AccountInactive()
    if settings().accounts.email_verification == "required" and not user.email_verified:
        raise EmailNotVerified()
    return user


def _record_failed_login(*, email: str, user: User | None, reason: str) -> None:
    # An allowed early commit (tests/test_commit_rule.py): the request fails, and its
    # rollback must not take the failed attempt's audit line along.
    record_event("auth.login_failed", actor_id=None,
                 subject_id=user.id if user else None,
                 details={"email": email, "reason": reason})
    db.session.commit()


@retried
def refresh_tokens(*, user: User, refresh_token: dict) -> dict:
    """Exchange a refresh token for a new pair of the same session (rotation).

    Only the session's current refresh token is accepted, once: of two requests racing
    with it exactly one gets a new pair, and a replay of an already rotated token ends the
    whole session (see app.sessions.service.rotate).
    """
    session_id = refresh_token["sid"]
    new_jti = sessions.rotate(user_id=user.id, session_id=session_id,
                              presented_jti=refresh_token["jti"])
    return session_token_pair(user, session_id=session_id, refresh_jti=new_jti)


@retried
def logout(*, user: User, access_token: dict) -> None:
    """End the session the access token belongs to: its access and refresh tokens."""
    record_event("auth.logout", actor_id=user.id, subject_id=user.id)
    sessions.end_current_session(user_id=user.id, session_id=access_token["sid"])


MFA_METHODS = ["totp", "recovery_code"]


@retried
def sign_in(*, email: str, password: str) -> dict:
    """Check the password; answer the token pair, or an mfa_token when MFA is on."""
    user = authenticate(email=email, password=password)
    if user.mfa_enabled:
        return {"mfa_required": True, "mfa_token": issue_mfa_token(user),
                "methods": MFA_METHODS}
    # One commit with the session row (issue_token_pair): a retry re-runs both or neither.
    tokens = issue_token_pair(user, before_commit=lambda: record_event(
        "auth.login", actor_id=user.id, subject_id=user.id))
    remember_device(user)  # after the commit: a retried run must not hand out two
    return tokens


def complete_mfa_sign_in(*, mfa_token: str, code: str) -> dict:
    """Exchange an mfa_token and a TOTP or recovery code for the token pair."""
    claims = read_mfa_token(mfa_token)
    user = mfa_token_user(claims)
    # Tokens issued before the claim existed followed a password.
    first_factor = "fed" if claims.get("first") == "fed" else "pwd"

    def spend_second_factor() -> None:
        method = consume_second_factor(user_id=user.id, code=code)
        spend_mfa_token(claims)
        details = {"method": method}
        if first_factor == "fed":  # as a provider sign-in without MFA says, plus the code
            details = {"method": "provider", "provider": claims.get("provider"),
                       "secondFactor": method}
        record_event("auth.login", actor_id=user.id, subject_id=user.id, details=details)
        if method == "recovery_code":
            record_mfa_change("mfa.recovery_code_used", user=user)

    try:
        tokens = issue_token_pair(user, auth_methods=(first_factor, "otp"),
                                  before_commit=spend_second_factor)
    except InvalidCode:
        # Whoever sent it knew the password: worth an event of its own. Committed apart
        # from the rolled-back attempt; the kind of code is named, never the code.
        with transaction():
            record_event("auth.login_mfa_failed", actor_id=None, subject_id=user.id,
                         details={"method": _method_of(code)})
        raise
    remember_device(user)
    return tokens


def _method_of(code: str) -> str:
    # As consume_second_factor tells them apart.
    return "totp" if len(code) == TOTP_DIGITS and code.isdigit() else "recovery_code"


def sign_in_with_passkey(*, ceremony: str, credential: dict) -> dict:
    """Sign in with a passkey: MFA verifies the assertion, this answers the token pair."""
    user, count_and_record = verify_passkey_sign_in(ceremony=ceremony, credential=credential)
    return issue_token_pair(user, auth_methods=("hwk",), before_commit=count_and_record)
