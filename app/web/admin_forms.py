"""The forms of an admin's user page: HTML cannot send PATCH or DELETE, so they post here.

Each runs the service of the API operation it stands for, with the same admin check
(`admin_only`: 403 for a non-admin) and the session's CSRF token; app.web.forms turns the
answer into a redirect to `next` or the user's page again with the problem.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.db_types import MAX_ID
from app.mfa.totp import reset_mfa
from app.schemas import ProblemSchema
from app.scopes import NEVER
from app.sessions.service import end_user_sessions
from app.users.admin import update_user
from app.users.schemas import UserUpdateForm
from app.web.blueprint import blp, form_twin

USER = f"/admin/users/<int(max={MAX_ID}):user_id>"


@blp.route(f"{USER}/update")
class AdminUpdateUserForm(MethodView):
    """Change a user's role, or deactivate / reactivate them."""

    @blp.token_scope(NEVER)  # cookies only: a personal token never runs a page's form
    @blp.admin_only()
    @blp.arguments(UserUpdateForm, location="body")
    @form_twin("Changed")
    @blp.alt_response(404, schema=ProblemSchema, description="No such user.")
    @blp.alt_response(409, schema=ProblemSchema, description="Last active admin.")
    def post(self, form, user_id: int):
        """The same as PATCH /api/v1/users/{id}, for an HTML form (cookie + CSRF)."""
        update_user(admin=current_user, user_id=user_id, **form)


@blp.route(f"{USER}/sessions/end")
class AdminEndSessionsForm(MethodView):
    """Sign a user out everywhere."""

    @blp.token_scope(NEVER)
    @blp.admin_only()
    @form_twin("Ended")
    @blp.alt_response(404, schema=ProblemSchema, description="No such user.")
    def post(self, user_id: int):
        """The same as DELETE /api/v1/users/{id}/sessions, for an HTML form (cookie + CSRF)."""
        end_user_sessions(admin=current_user, user_id=user_id)


@blp.route(f"{USER}/mfa/reset")
class AdminResetMfaForm(MethodView):
    """Remove a user's second factors (a lost authenticator)."""

    @blp.token_scope(NEVER)
    @blp.admin_only()
    @form_twin("Reset")
    @blp.alt_response(404, schema=ProblemSchema, description="No such user.")
    def post(self, user_id: int):
        """The same as DELETE /api/v1/users/{id}/mfa, for an HTML form (cookie + CSRF)."""
        reset_mfa(admin=current_user, user_id=user_id)
