"""Sign-in endpoints: the password login and its second step, the passkey sign-in,
token refresh and logout. Thin: parse, call the login flow (app.auth.login), dump."""

from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt

from app.api import NO_STORE, Blueprint, no_store
from app.auth.login import (
    complete_mfa_sign_in,
    logout,
    refresh_tokens,
    sign_in,
    sign_in_with_passkey,
)
from app.auth.schemas import LoginForm, LoginOut, MfaLoginForm, PasskeyLoginForm, TokenOut
from app.mfa.passkeys import login_options
from app.mfa.schemas import PasskeyOptionsOut
from app.ratelimit import (
    failed_codes_at_login,
    failed_logins_per_account,
    failed_logins_per_account_and_device,
    failed_logins_per_account_and_ip,
    login_per_ip,
)
from app.schemas import ProblemSchema
from app.scopes import NEVER, OPEN

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                description="Login (password, second factor, passkey), refresh and logout.")
TOO_MANY = "Too many wrong codes or passwords for this account."


@blp.route("/login")
class Login(MethodView):
    """Exchange credentials for tokens."""

    @blp.token_scope(OPEN)
    @no_store
    @login_per_ip
    @failed_logins_per_account_and_ip
    @failed_logins_per_account
    @failed_logins_per_account_and_device
    @blp.arguments(LoginForm, location="body")
    @blp.response(200, LoginOut, description=(
        "The token pair; or, with MFA on, `mfa_required`, an `mfa_token` for "
        "POST /auth/login/mfa and the accepted `methods` (no token pair)."),
        headers={"X-Signet-Device": {"schema": {"type": "string"}, "description": (
            "With the token pair: this client's device token. Sent back in this header "
            "(or the signet_device cookie), failed logins from elsewhere never hold "
            "this client back.")}})
    @blp.alt_response(401, schema=ProblemSchema, description="Bad credentials.")
    @blp.alt_response(403, schema=ProblemSchema, description=(
        "Account deactivated, or a browser sign-in form posted from another site."))
    @blp.alt_response(429, schema=ProblemSchema, description="Too many attempts.")
    def post(self, form):
        """Log in with email and password (then a second factor when MFA is on)."""
        return sign_in(**form)


@blp.route("/refresh")
class Refresh(MethodView):
    """Exchange a refresh token for a new token pair."""

    @blp.token_scope(NEVER)
    @no_store
    @blp.signed_in(refresh=True, unauthorized="Missing, invalid, expired, revoked or already used.")
    @blp.response(200, TokenOut)
    def post(self):
        """Send the refresh token as the bearer token; it is rotated (single use)."""
        return refresh_tokens(user=current_user, refresh_token=get_jwt())


@blp.route("/logout")
class Logout(MethodView):
    """End this session."""

    @blp.token_scope(NEVER)
    @blp.signed_in()
    @blp.response(204)
    def post(self):
        """End this session: its access and refresh tokens stop working everywhere at once."""
        logout(user=current_user, access_token=get_jwt())


@blp.route("/login/mfa")
class LoginMfa(MethodView):
    """The second step of a login with MFA on."""

    @blp.token_scope(OPEN)
    @failed_codes_at_login
    @blp.arguments(MfaLoginForm, location="body")
    @blp.response(200, TokenOut)
    @blp.alt_response(401, schema=ProblemSchema,
                      description="Invalid, expired or used mfa_token, or a wrong code.")
    @blp.alt_response(403, schema=ProblemSchema,
                      description="A browser form posted from another site.")
    @blp.alt_response(429, schema=ProblemSchema, description=TOO_MANY)
    def post(self, form):
        """Exchange the mfa_token and a TOTP or recovery code for the token pair."""
        return complete_mfa_sign_in(**form), 200, NO_STORE


@blp.route("/passkeys/login/options")
class PasskeyLoginOptions(MethodView):
    """Start a passkey sign-in."""

    @blp.token_scope(OPEN)
    @login_per_ip
    @blp.response(200, PasskeyOptionsOut)
    @blp.alt_response(429, schema=ProblemSchema, description="Too many attempts.")
    def post(self):
        """Options for navigator.credentials.get (a discoverable credential, any account)."""
        return login_options()


@blp.route("/passkeys/login/verify")
class PasskeyLoginVerify(MethodView):
    """Finish a passkey sign-in."""

    @blp.token_scope(OPEN)
    @blp.arguments(PasskeyLoginForm, location="body")
    @blp.response(200, TokenOut)
    @blp.alt_response(401, schema=ProblemSchema,
                      description="Unknown passkey, bad signature, or a used/expired ceremony.")
    @blp.alt_response(403, schema=ProblemSchema, description=(
        "Account deactivated, or a browser form posted from another site."))
    def post(self, form):
        """Verify the assertion; a passkey counts as both factors: the token pair."""
        return sign_in_with_passkey(**form), 200, NO_STORE
