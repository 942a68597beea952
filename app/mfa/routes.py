"""Multi-factor endpoints: TOTP set-up and removal, recovery codes and the admin reset.
Thin: parse, call one service, dump. (The login's second step is in app.auth.routes.)"""

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.api import NO_STORE, Blueprint
from app.db_types import MAX_ID
from app.mfa.schemas import (
    CodeForm,
    PasswordAndCodeForm,
    PasswordForm,
    RecoveryCodesOut,
    TotpSetupOut,
)
from app.mfa.totp import (
    confirm_totp,
    disable_totp,
    regenerate_recovery_codes,
    reset_mfa,
    start_totp_setup,
)
from app.ratelimit import failed_codes_signed_in, password_checks_per_account
from app.schemas import ProblemSchema
from app.scopes import NEVER

blp = Blueprint("mfa", __name__, url_prefix="/api/v1",
                description="Multi-factor sign-in: TOTP, recovery codes, passkeys.")
UNAUTHORIZED = "Missing or invalid token, or a wrong password or code."
TOO_MANY = ("Too many wrong codes or passwords for this account, or "
            "PASSWORD_CHECK_RATE_LIMIT reached.")


@blp.route("/auth/mfa/totp")
class Totp(MethodView):
    """The signed-in user's TOTP authenticator."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=UNAUTHORIZED)
    @password_checks_per_account
    @failed_codes_signed_in
    @blp.arguments(PasswordForm, location="body")
    @blp.response(200, TotpSetupOut)
    @blp.alt_response(409, schema=ProblemSchema, description="MFA is already on.")
    @blp.alt_response(429, schema=ProblemSchema, description=TOO_MANY)
    def post(self, form):
        """Start the set-up: a new secret and its QR code (not on until confirmed)."""
        return start_totp_setup(user=current_user, **form), 200, NO_STORE

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=UNAUTHORIZED)
    @password_checks_per_account
    @failed_codes_signed_in
    @blp.arguments(PasswordAndCodeForm, location="body")
    @blp.response(204)
    @blp.alt_response(409, schema=ProblemSchema, description="MFA is not on.")
    @blp.alt_response(429, schema=ProblemSchema, description=TOO_MANY)
    def delete(self, form):
        """Turn MFA off: the password and a current code (or a recovery code)."""
        disable_totp(user=current_user, **form)


@blp.route("/auth/mfa/totp/confirm")
class TotpConfirm(MethodView):
    """Finish the TOTP set-up."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=UNAUTHORIZED)
    @failed_codes_signed_in
    @blp.arguments(CodeForm, location="body")
    @blp.response(200, RecoveryCodesOut)
    @blp.alt_response(409, schema=ProblemSchema, description="No set-up started, or MFA on.")
    @blp.alt_response(429, schema=ProblemSchema, description=TOO_MANY)
    def post(self, form):
        """Turn MFA on with a first code; answers the recovery codes, shown only here."""
        return confirm_totp(user=current_user, **form), 200, NO_STORE


@blp.route("/auth/mfa/recovery-codes")
class RecoveryCodes(MethodView):
    """The signed-in user's recovery codes."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=UNAUTHORIZED)
    @password_checks_per_account
    @failed_codes_signed_in
    @blp.arguments(PasswordAndCodeForm, location="body")
    @blp.response(200, RecoveryCodesOut)
    @blp.alt_response(409, schema=ProblemSchema, description="MFA is not on.")
    @blp.alt_response(429, schema=ProblemSchema, description=TOO_MANY)
    def post(self, form):
        """Replace all recovery codes with 10 new ones; the old ones stop working."""
        return regenerate_recovery_codes(user=current_user, **form), 200, NO_STORE


@blp.route(f"/users/<int(max={MAX_ID}):user_id>/mfa")
class UserMfa(MethodView):
    """A user's second factors (admin)."""

    @blp.token_scope(NEVER)
    @blp.admin_only()
    @blp.response(204)
    @blp.alt_response(404, schema=ProblemSchema, description="No such user.")
    def delete(self, user_id: int):
        """Remove the user's TOTP, recovery codes and passkeys: the password signs in."""
        reset_mfa(admin=current_user, user_id=user_id)
