"""Passkey endpoints: the registration ceremony, list and delete. Thin. (The sign-in
ceremony is in app.auth.routes: MFA gives a verdict, the login flow issues tokens.)"""

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.api import Blueprint
from app.db_types import MAX_ID
from app.mfa.passkeys import (
    delete_passkey,
    list_passkeys,
    register_passkey,
    registration_options,
)
from app.mfa.schemas import PasskeyOptionsOut, PasskeyOut, PasskeyRegisterForm, PasswordForm
from app.ratelimit import failed_password_checks_per_account, password_checks_per_account
from app.schemas import ProblemSchema
from app.scopes import NEVER

UNAUTHORIZED = "Missing or invalid token, or wrong current password."
MISSING_PROOF = "`current_password` missing (a sensitive change needs a recent sign-in)."
TOO_MANY = "Too many wrong passwords, or PASSWORD_CHECK_RATE_LIMIT reached."
blp = Blueprint("passkeys", __name__, url_prefix="/api/v1/auth/passkeys",
                description="Passkeys (WebAuthn): register, sign in, list, delete.")


@blp.route("")
class Passkeys(MethodView):
    """The signed-in user's passkeys."""

    @blp.token_scope(NEVER)
    @blp.signed_in()
    @blp.response(200, PasskeyOut(many=True))
    def get(self):
        """List your passkeys, oldest first."""
        return list_passkeys(user=current_user)


@blp.route(f"/<int(max={MAX_ID}):passkey_id>")
class PasskeyById(MethodView):
    """One of the signed-in user's passkeys."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=UNAUTHORIZED)
    @password_checks_per_account
    @failed_password_checks_per_account
    @blp.arguments(PasswordForm, location="body")
    @blp.response(204)
    @blp.alt_response(404, schema=ProblemSchema, description="Not one of your passkeys.")
    @blp.alt_response(422, schema=ProblemSchema, description=MISSING_PROOF)
    @blp.alt_response(429, schema=ProblemSchema, description=TOO_MANY)
    def delete(self, form, passkey_id: int):
        """Remove a passkey (with your current password); it no longer signs in."""
        delete_passkey(user=current_user, passkey_id=passkey_id, **form)


@blp.route("/register/options")
class RegisterOptions(MethodView):
    """Start registering a passkey."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=UNAUTHORIZED)
    @password_checks_per_account
    @failed_password_checks_per_account
    @blp.arguments(PasswordForm, location="body")
    @blp.response(200, PasskeyOptionsOut)
    @blp.alt_response(409, schema=ProblemSchema, description="Too many passkeys already.")
    @blp.alt_response(422, schema=ProblemSchema, description=MISSING_PROOF)
    @blp.alt_response(429, schema=ProblemSchema, description=TOO_MANY)
    def post(self, form):
        """Options for navigator.credentials.create (with your current password).

        The password is asked here, at the start of the ceremony; the ceremony is bound to
        you, answers once and expires, so the verify step needs nothing more.
        """
        return registration_options(user=current_user, **form)


@blp.route("/register/verify")
class RegisterVerify(MethodView):
    """Finish registering a passkey."""

    @blp.token_scope(NEVER)
    @blp.signed_in()
    @blp.arguments(PasskeyRegisterForm, location="body")
    @blp.response(201, PasskeyOut)
    @blp.alt_response(409, schema=ProblemSchema, description="Already registered.")
    def post(self, form):
        """Verify the new credential (py_webauthn) and keep its public key."""
        return register_passkey(user=current_user, **form), 201
