"""Registration, login, token refresh, logout and password change rules."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.audit import record_event
from app.auth import revocation, sessions
from app.auth.email_flows import (
    notify_password_changed,
    send_verification,
    verification_enabled,
)
from app.auth.tokens import session_token_pair
from app.exceptions import (
    AccountInactive,
    EmailNotVerified,
    Forbidden,
    InvalidCredentials,
    Unauthorized,
)
from app.extensions import db
from app.transactions import retried
from app.users.models import Role, User
from app.users.passwords import (
    burn_password_check,
    check_password_policy,
    hash_password,
    verify_password,
)
from app.users.service import create_user, normalize_email


@retried
def register_user(*, name: str, email: str, password: str, role: Role | None = None,
                  profile_image: FileStorage | None = None, caller: User | None) -> User:
    """Register an account: by anyone when self-registration is on, or by an admin."""
    if caller is not None:
        if not caller.is_admin:
            raise Forbidden("Signed-in users cannot register accounts; only admins can.")
    else:
        if not current_app.config["ALLOW_SELF_REGISTRATION"]:
            raise Forbidden("Self-registration is disabled; ask an administrator.")
        if role not in (None, Role.USER):
            raise Forbidden("Only an administrator can choose a role.")
    return create_user(
        name=name, email=email, password=password, role=role or Role.USER,
        profile_image=profile_image, created_by=caller, self_registered=caller is None,
        before_commit=send_verification if verification_enabled() else None,
    )


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
    if current_app.config["EMAIL_VERIFICATION"] == "required" and not user.email_verified:
        raise EmailNotVerified()
    return user


def _record_failed_login(*, email: str, user: User | None, reason: str) -> None:
    # Committed on its own: the request fails, and its rollback must not take this along.
    record_event("auth.login_failed", actor_id=None,
                 subject_id=user.id if user else None,
                 details={"email": email, "reason": reason})
    db.session.commit()


@retried
def refresh_tokens(*, user: User, refresh_token: dict) -> dict:
    """Exchange a refresh token for a new pair of the same session (rotation).

    Only the session's current refresh token is accepted, once: of two requests racing
    with it exactly one gets a new pair, and a replay of an already rotated token ends the
    whole session (see app.auth.sessions.rotate).
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


@retried
def change_password(*, user: User, current_password: str, new_password: str) -> None:
    """Set a new password; every token issued before stops working."""
    if not verify_password(user.password_hash, current_password):
        raise Unauthorized("The current password is incorrect.")
    check_password_policy(new_password, email=user.email, field="new_password")
    user.password_hash = hash_password(new_password)
    # An SQL increment, so two concurrent changes both invalidate what came before.
    user.token_version = User.token_version + 1
    user.updated_by = user.id
    notify_password_changed(user)
    record_event("auth.password_changed", actor_id=user.id, subject_id=user.id)
    db.session.commit()


def purge_expired_revocations() -> int:
    """Drop revocation entries and sessions whose tokens have expired; return how many."""
    purged = revocation.purge_expired() + sessions.purge_expired_sessions()
    db.session.commit()
    return purged
