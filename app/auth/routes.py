"""Auth endpoints: thin wrappers that parse, call a service and dump."""

from flask import url_for
from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt

from app.api import Blueprint, no_store
from app.auth.schemas import (
    LoginForm,
    PasswordChangeForm,
    ProfileUpdateForm,
    RegisterForm,
    TokenOut,
)
from app.auth.service import (
    authenticate,
    change_password,
    logout,
    refresh_tokens,
    register_user,
)
from app.auth.tokens import issue_token_pair
from app.guards import optional_user
from app.ratelimit import (
    failed_logins_per_account,
    failed_logins_per_account_and_ip,
    failed_password_checks_per_account,
    login_per_ip,
    registrations_per_ip,
)
from app.schemas import ProblemSchema
from app.users.profile import update_own_profile
from app.users.schemas import UserOut

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                description="Registration, login and the signed-in user.")


@blp.route("/register")
class Register(MethodView):
    """Create an account."""

    @registrations_per_ip
    @blp.arguments(RegisterForm, location="body")
    @blp.response(201, UserOut, headers={"Location": {"schema": {"type": "string"}}})
    @blp.alt_response(401, schema=ProblemSchema, description="Invalid token sent.")
    @blp.alt_response(403, schema=ProblemSchema, description="Not allowed to register.")
    @blp.alt_response(409, schema=ProblemSchema, description="Email taken.")
    @blp.alt_response(413, schema=ProblemSchema, description="Body or image too large.")
    @blp.alt_response(429, schema=ProblemSchema, description="Too many registrations.")
    # Anonymous, or an admin's token: listed, so Swagger UI sends it once authorized.
    @blp.doc(security=[{}, {"bearerAuth": []}])
    def post(self, form):
        """Register a user (anyone when self-registration is on, or an admin)."""
        user = register_user(**form, caller=optional_user())
        return user, 201, {"Location": url_for("users.UserById", user_id=user.id)}


@blp.route("/login")
class Login(MethodView):
    """Exchange credentials for tokens."""

    @no_store
    @login_per_ip
    @failed_logins_per_account_and_ip
    @failed_logins_per_account
    @blp.arguments(LoginForm, location="body")
    @blp.response(200, TokenOut)
    @blp.alt_response(401, schema=ProblemSchema, description="Bad credentials.")
    @blp.alt_response(403, schema=ProblemSchema, description=(
        "Account deactivated, or a browser sign-in form posted from another site."))
    @blp.alt_response(429, schema=ProblemSchema, description="Too many attempts.")
    def post(self, form):
        """Log in with email and password."""
        return issue_token_pair(authenticate(**form))


@blp.route("/me")
class Me(MethodView):
    """The signed-in user."""

    @no_store
    @blp.signed_in()
    @blp.response(200, UserOut)
    def get(self):
        """Return the signed-in user."""
        return current_user

    @no_store
    @blp.signed_in()
    @blp.arguments(ProfileUpdateForm, location="body")
    @blp.response(200, UserOut)
    @blp.alt_response(413, schema=ProblemSchema, description="Body or image too large.")
    def patch(self, form):
        """Change your name and/or profile image (the old image is deleted)."""
        return update_own_profile(user=current_user, **form)


@blp.route("/refresh")
class Refresh(MethodView):
    """Exchange a refresh token for a new token pair."""

    @no_store
    @blp.signed_in(refresh=True, unauthorized="Missing, invalid, expired, revoked or already used.")
    @blp.response(200, TokenOut)
    def post(self):
        """Send the refresh token as the bearer token; it is rotated (single use)."""
        return refresh_tokens(user=current_user, refresh_token=get_jwt())


@blp.route("/logout")
class Logout(MethodView):
    """End this session."""

    @blp.signed_in()
    @blp.response(204)
    def post(self):
        """Revoke this access token and its refresh token, on every worker at once."""
        logout(access_token=get_jwt())


@blp.route("/password")
class Password(MethodView):
    """Change the signed-in user's password."""

    @blp.signed_in(unauthorized="Missing or invalid token, or wrong current password.")
    @failed_password_checks_per_account
    @blp.arguments(PasswordChangeForm, location="body")
    @blp.response(204)
    @blp.alt_response(429, schema=ProblemSchema, description="Too many wrong passwords.")
    def post(self, form):
        """Set a new password; every token issued before it stops working."""
        change_password(user=current_user, **form)
