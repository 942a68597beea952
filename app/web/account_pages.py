"""The "Delete my account" form of the profile page: HTML cannot send DELETE, so it posts here."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.account.deletion import delete_account
from app.account.schemas import AccountDeleteForm
from app.ratelimit import failed_password_checks_per_account, password_checks_per_account
from app.schemas import ProblemSchema
from app.scopes import NEVER
from app.web.blueprint import blp, form_twin


@blp.route("/profile/delete")
class DeleteAccountForm(MethodView):
    """Delete your account from the profile page; app.web.forms then signs the browser out."""

    # Account security: never with a personal access token (declare no scope for it).
    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=(
        "Not signed in, the form's csrf_token does not match the session cookie, or a "
        "wrong current password."))
    @password_checks_per_account
    @failed_password_checks_per_account
    @blp.arguments(AccountDeleteForm, location="body")
    @form_twin("Deleted")
    @blp.alt_response(409, schema=ProblemSchema, description="Last active admin.")
    @blp.alt_response(429, schema=ProblemSchema, description="Too many wrong passwords.")
    def post(self, form):
        """The same as DELETE /api/v1/auth/me, for an HTML form (cookie + CSRF)."""
        delete_account(user=current_user, **form)
