"""The profile page's "Applications you let in" section, and its revoke form."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

from app.exceptions import Unauthorized
from app.oauth_server.grants import list_grants, revoke_grant
from app.oauth_server.schemas import grant_items
from app.oauth_server.scopes import describe
from app.scopes import OPEN, mark
from app.web.session import page_session

blp = Blueprint("oauth_pages", __name__)


def granted_applications() -> list[dict]:
    """The signed-in visitor's grants, for the profile page (template global)."""
    visitor = page_session()
    if not visitor.signed_in:
        return []
    items = grant_items(list_grants(user=visitor.user))
    for item in items:
        item["described"] = describe(item["scopes"])
    return items


@blp.post("/profile/applications/<int:grant_id>/revoke")
def revoke_application(grant_id: int):
    """The profile page's revoke button (a form cannot send DELETE /api/v1/auth/grants)."""
    visitor = page_session()  # checks the form's csrf_token against the cookie
    if not visitor.signed_in:
        raise Unauthorized("Sign in again to change your applications.")
    revoke_grant(user=visitor.user, grant_id=grant_id)
    return redirect(url_for("web.ProfilePage") + "#applications", code=303)


mark(revoke_application, OPEN)
