"""The browser's session: the user behind the access-token cookie, and its CSRF token."""

from __future__ import annotations

from dataclasses import dataclass

from flask_jwt_extended import get_current_user, get_jwt, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import PyJWTError
from werkzeug.exceptions import HTTPException

from app.users.models import User


@dataclass(frozen=True)
class PageSession:
    """Who is signed in on this page, and the token every form they post must carry."""

    user: User | None
    csrf_token: str | None
    session_id: int | None = None

    @property
    def signed_in(self) -> bool:
        """True when a valid access cookie names an active user."""
        return self.user is not None


def page_session() -> PageSession:
    """Read the access cookie; an expired, revoked or bad one is simply "signed out"."""
    try:
        verify_jwt_in_request(optional=True, locations=["cookies"])
    # HTTPException: a refused form body (413) holds the CSRF field, which cannot be read.
    except (JWTExtendedException, PyJWTError, HTTPException):
        return PageSession(user=None, csrf_token=None)
    user = get_current_user()
    if user is None:
        return PageSession(user=None, csrf_token=None)
    claims = get_jwt()
    return PageSession(user=user, csrf_token=claims.get("csrf"), session_id=claims.get("sid"))
