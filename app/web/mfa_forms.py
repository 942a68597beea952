"""The profile page's "Turn off" and "Remove" forms for MFA: HTML cannot send DELETE.

Each posts here with the session's `csrf_token` and `next`, runs the same service as the
API's DELETE, and app.web.forms turns the answer into a redirect or an HTML result page.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.db_types import MAX_ID
from app.mfa.passkeys import delete_passkey
from app.mfa.schemas import PasswordAndCodeForm, PasswordForm
from app.mfa.totp import disable_totp
from app.ratelimit import (
    failed_codes_signed_in,
    failed_password_checks_per_account,
    password_checks_per_account,
)
from app.schemas import ProblemSchema
from app.scopes import NEVER
from app.web.blueprint import FORM_UNAUTHORIZED, blp, form_twin


@blp.route("/profile/mfa/totp/disable")
class DisableTotpForm(MethodView):
    """Turn two-factor sign-in off from the profile page."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=FORM_UNAUTHORIZED + " Or a wrong password or code.")
    @password_checks_per_account
    @failed_codes_signed_in
    @blp.arguments(PasswordAndCodeForm, location="body")
    @form_twin("Turned off")
    @blp.alt_response(409, schema=ProblemSchema, description="MFA is not on.")
    @blp.alt_response(429, schema=ProblemSchema,
                      description="Too many wrong codes or passwords for this account.")
    def post(self, form):
        """The same as DELETE /api/v1/auth/mfa/totp, for an HTML form (cookie + CSRF)."""
        disable_totp(user=current_user, **form)


@blp.route(f"/profile/passkeys/<int(max={MAX_ID}):passkey_id>/remove")
class RemovePasskeyForm(MethodView):
    """Remove one of your passkeys from the profile page."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=FORM_UNAUTHORIZED + " Or a wrong password.")
    @password_checks_per_account
    @failed_password_checks_per_account
    @blp.arguments(PasswordForm, location="body")
    @form_twin("Removed")
    @blp.alt_response(404, schema=ProblemSchema, description="Not one of your passkeys.")
    @blp.alt_response(429, schema=ProblemSchema,
                      description="Too many wrong passwords for this account.")
    def post(self, form, passkey_id: int):
        """The same as DELETE /api/v1/auth/passkeys/{id}, for an HTML form (cookie + CSRF)."""
        delete_passkey(user=current_user, passkey_id=passkey_id, **form)
