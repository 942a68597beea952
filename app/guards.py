"""Route guards; the user and their role are read from the database on each request."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask_jwt_extended import current_user, get_current_user, verify_jwt_in_request

from app.exceptions import Forbidden


def admin_required(view):
    """Allow the view only to an active admin (checked against the database)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        verify_jwt_in_request()
        if not current_user.is_admin:
            raise Forbidden("This action requires an administrator.")
        return view(*args, **kwargs)

    return guarded


def optional_user() -> Any | None:
    """Return the signed-in user (a `users` row), or None for an anonymous request.

    A token that is present but invalid is still refused (401).
    """
    verify_jwt_in_request(optional=True)
    return get_current_user()
