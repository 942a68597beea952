"""Registration and login rules."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.auth.passwords import burn_password_check, verify_password
from app.exceptions import AccountInactive, Forbidden, InvalidCredentials
from app.extensions import db
from app.users.models import Role, User
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
