"""Registration: by anyone when self-registration is on, or by an admin."""

from __future__ import annotations

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.account.email_flows import send_verification, verification_enabled
from app.exceptions import (
    Forbidden,
)
from app.transactions import retried
from app.users.models import Role, User
from app.users.service import create_user


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
