"""The admin area: users (search, pages), one user's page, and the audit log.

Admins only, as the API: a signed-out visitor goes to /login, a signed-in non-admin gets
403 and an unknown user 404, each as the site's HTML error page. The pages read through
the same services and schemas as GET /api/v1/users, /users/{id}/sessions and /audit; the
forms on a user's page post to app.web.admin_forms.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import redirect, url_for
from flask.views import MethodView
from marshmallow import pre_load

from app.audit.schemas import AuditListArgs, AuditPage
from app.audit.service import list_events
from app.db_types import MAX_ID
from app.exceptions import Forbidden
from app.scopes import OPEN
from app.sessions.schemas import SessionList, session_items
from app.sessions.service import list_user_sessions
from app.users.admin import list_users
from app.users.models import Role, User
from app.users.schemas import UserListArgs, UserOut, UserPage
from app.users.service import get_user_for
from app.web.blueprint import SIGNED_IN_PAGE_DOC, blp, render_page
from app.web.session import page_session

USERS_PER_PAGE = 20
EVENTS_PER_PAGE = 25
# A user's page shows their latest events; the audit log page has the rest.
RECENT_EVENTS = 10
ROLES = tuple(role.value for role in Role)
ADMIN_PAGE_DOC = {**SIGNED_IN_PAGE_DOC, "403": {"description": "Not an admin."}}


class EmptyMeansAll:
    """A filter form's empty field means "no filter", not an invalid value."""

    @pre_load
    def drop_empty_fields(self, data, **_kwargs):
        """Leave out the fields the visitor left empty."""
        return {name: value for name, value in data.items() if value != ""}


class UserFilters(EmptyMeansAll, UserListArgs):
    """The users page's search form: the API's query parameters, empty ones ignored."""


class AuditFilters(EmptyMeansAll, AuditListArgs):
    """The audit log's filter form: the API's query parameters, empty ones ignored."""


def admin_page(template: str, more: Callable[[User], dict]):
    """Render `template` for an admin: signed out goes to /login, a non-admin gets 403."""
    session = page_session()
    if not session.signed_in:
        return redirect(url_for("web.LoginPage"), code=303)
    if not session.user.is_admin:
        raise Forbidden("This page is for administrators.")
    return render_page(template, session, **more(session.user))


@blp.route("/admin/users")
class AdminUsersPage(MethodView):
    """Every user, newest first, with a search by name or email prefix."""

    @blp.token_scope(OPEN)  # cookies only: a bearer token is never read
    @blp.arguments(UserFilters, location="query")
    @blp.doc(responses=ADMIN_PAGE_DOC)
    def get(self, args):
        """The users list (the same filters as GET /api/v1/users)."""
        args["limit"] = min(args["limit"], USERS_PER_PAGE)
        return admin_page("web/admin_users.html", lambda _admin: {
            "users": UserPage().dump(list_users(**args)), "roles": ROLES})


@blp.route(f"/admin/users/<int(max={MAX_ID}):user_id>")
class AdminUserPage(MethodView):
    """One user: details, role and activity, sessions, two-factor sign-in, events."""

    @blp.token_scope(OPEN)
    @blp.doc(responses={**ADMIN_PAGE_DOC, "404": {"description": "No such user."}})
    def get(self, user_id: int):
        """The user's page; its forms post to the /admin/users/{id}/... form twins."""
        def more(admin: User) -> dict:
            user = get_user_for(admin, user_id)
            sessions = session_items(list_user_sessions(user_id=user_id), None)
            events = list_events(limit=RECENT_EVENTS, subject_id=user_id)
            return {"user": UserOut().dump(user), "roles": ROLES,
                    "sessions": SessionList().dump(sessions)["items"],
                    "events": AuditPage().dump(events)["items"]}
        return admin_page("web/admin_user.html", more)


@blp.route("/admin/audit")
class AdminAuditPage(MethodView):
    """The audit log, newest first, filtered by action, actor or subject."""

    @blp.token_scope(OPEN)
    @blp.arguments(AuditFilters, location="query")
    @blp.doc(responses=ADMIN_PAGE_DOC)
    def get(self, args):
        """The audit log (the same filters as GET /api/v1/audit)."""
        args["limit"] = min(args["limit"], EVENTS_PER_PAGE)
        return admin_page("web/admin_audit.html", lambda _admin: {
            "events": AuditPage().dump(list_events(**args))})
