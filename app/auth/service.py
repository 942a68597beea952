"""Registration, login, token refresh, logout and password change rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.auth import revocation
from app.auth.tokens import issue_token_pair
from app.exceptions import AccountInactive, Forbidden, InvalidCredentials, Unauthorized
from app.extensions import db
from app.users.models import Role, User
from app.users.passwords import (
    burn_password_check,
    check_password_policy,
    hash_password,
    verify_password,
)
from app.users.service import create_user, normalize_email


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
    )


def authenticate(*, email: str, password: str) -> User:
    """Return the user whose credentials these are, or raise.

    An unknown email spends the same bcrypt work as a wrong password, and an inactive
    account is only revealed to someone who knows its password.
    """
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        burn_password_check(password)
        raise InvalidCredentials()
    if not verify_password(user.password, password):
        raise InvalidCredentials()
    if not user.is_active:
        raise AccountInactive()
    return user


def refresh_tokens(*, user: User, refresh_token: dict) -> dict:
    """Exchange a refresh token for a new pair; the one presented stops working (rotation).

    The store's revoke is atomic, so of two requests racing with the same refresh token
    only one gets a new pair.
    """
    if not revocation.revoke(refresh_token["jti"], _expires_at(refresh_token)):
        db.session.rollback()
        raise Unauthorized("This refresh token has already been used.")
    db.session.commit()
    return issue_token_pair(user)


def logout(*, access_token: dict) -> None:
    """Revoke the access token and the refresh token it was issued with."""
    revocation.revoke(access_token["jti"], _expires_at(access_token))
    refresh_jti = access_token.get("rjti")
    if refresh_jti:
        # Both were issued together, so the refresh token expires a known time after iat.
        issued_at = datetime.fromtimestamp(access_token["iat"], UTC)
        revocation.revoke(refresh_jti, issued_at + _refresh_lifetime())
    db.session.commit()


def change_password(*, user: User, current_password: str, new_password: str) -> None:
    """Set a new password; every token issued before stops working."""
    if not verify_password(user.password, current_password):
        raise Unauthorized("The current password is incorrect.")
    check_password_policy(new_password, email=user.email, field="new_password")
    user.password = hash_password(new_password)
    # An SQL increment, so two concurrent changes both invalidate what came before.
    user.token_version = User.token_version + 1
    user.updated_by = user.id
    db.session.commit()


def purge_expired_revocations() -> int:
    """Drop revocation entries of tokens that have expired anyway; return how many."""
    purged = revocation.purge_expired()
    db.session.commit()
    return purged


def _expires_at(token: dict) -> datetime:
    return datetime.fromtimestamp(token["exp"], UTC)


def _refresh_lifetime() -> timedelta:
    lifetime = current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    return lifetime if isinstance(lifetime, timedelta) else timedelta(seconds=int(lifetime))
