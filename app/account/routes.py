"""The signed-in user's account: registration, profile, password, audit trail, export,
deletion. Thin: parse, call a service, dump."""

from flask import Response, jsonify, url_for
from flask.views import MethodView
from flask_jwt_extended import current_user, get_current_user

from app.account.deletion import delete_account
from app.account.export import export_account
from app.account.password import change_password
from app.account.registration import register_user
from app.account.schemas import (
    AccountDeleteForm,
    PasswordChangeForm,
    ProfileUpdateForm,
    RegisterForm,
)
from app.api import Blueprint, no_store
from app.audit.schemas import AuditPage
from app.audit.service import list_own_events
from app.guards import optional_user
from app.pagination import PageArgs
from app.ratelimit import (
    exports_per_user,
    failed_password_checks_per_account,
    password_checks_per_account,
    profile_images_per_account,
    profile_images_per_ip,
    registrations_per_ip,
)
from app.schemas import ProblemSchema
from app.scopes import NEVER, Scope
from app.users.profile import update_own_profile
from app.users.schemas import UserOut
from app.users.service import normalize_email

REGISTRATION_RECEIVED = ("Registration received: sign in with this address and your password, "
                         "and look in its mailbox for what comes next.")

blp = Blueprint("account", __name__, url_prefix="/api/v1/auth",
                description="Registration and the signed-in user's account.")


@blp.route("/register")
class Register(MethodView):
    """Create an account."""

    @blp.token_scope(Scope.USERS_WRITE)
    @registrations_per_ip
    @blp.arguments(RegisterForm, location="body")
    @blp.response(201, UserOut, headers={"Location": {"schema": {"type": "string"}}},
                  description=(
                      "The new user. With `REGISTRATION_REVEALS_ACCOUNTS=false`, an anonymous "
                      "registration answers `{\"email\", \"detail\"}` instead, with "
                      "`Location: /api/v1/auth/me`, whether or not the address already had "
                      "an account (its owner is sent a message instead of a 409)."))
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
        if user is None:  # the same answer whether or not the address had an account
            return registration_received(form["email"])
        return user, 201, {"Location": url_for("users.UserById", user_id=user.id)}


def registration_received(email: str) -> Response:
    """The 201 that tells nothing about the address: no id, nothing a new row would add."""
    response = jsonify(email=normalize_email(email), detail=REGISTRATION_RECEIVED)
    response.status_code = 201
    response.headers["Location"] = url_for("account.Me")
    return response


@blp.route("/me")
class Me(MethodView):
    """The signed-in user."""

    @blp.token_scope(Scope.PROFILE_READ)
    @no_store
    @blp.signed_in()
    @blp.response(200, UserOut)
    def get(self):
        """Return the signed-in user."""
        # The user itself, not the `current_user` proxy: the dump reads fifteen
        # attributes, and each read through the proxy looks the user up again.
        return get_current_user()

    @blp.token_scope(Scope.PROFILE_WRITE)
    @no_store
    @blp.signed_in()
    @profile_images_per_account
    @profile_images_per_ip
    @blp.arguments(ProfileUpdateForm, location="body")
    @blp.response(200, UserOut)
    @blp.alt_response(413, schema=ProblemSchema, description="Body or image too large.")
    @blp.alt_response(429, schema=ProblemSchema, description="Too many profile images.")
    def patch(self, form):
        """Change your name and/or profile image (the old image is deleted)."""
        return update_own_profile(user=current_user, **form)

    # Account security: a personal access token must never delete the account (no scope).
    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized="Missing or invalid token, or wrong current password.")
    @password_checks_per_account
    @failed_password_checks_per_account
    @blp.arguments(AccountDeleteForm, location="body")
    @blp.response(204)
    @blp.alt_response(409, schema=ProblemSchema, description="Last active admin.")
    @blp.alt_response(429, schema=ProblemSchema, description="Too many wrong passwords.")
    def delete(self, form):
        """Delete your account: its sessions, tokens and files (rows and bytes) are gone."""
        delete_account(user=current_user, **form)


@blp.route("/password")
class Password(MethodView):
    """Change the signed-in user's password."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized="Missing or invalid token, or wrong current password.")
    @password_checks_per_account
    @failed_password_checks_per_account
    @blp.arguments(PasswordChangeForm, location="body")
    @blp.response(204)
    @blp.alt_response(429, schema=ProblemSchema, description="Too many wrong passwords.")
    def post(self, form):
        """Set a new password; every token issued before it stops working."""
        change_password(user=current_user, **form)


@blp.route("/me/audit")
class MyAudit(MethodView):
    """The signed-in user's own audit trail."""

    @blp.token_scope(Scope.PROFILE_READ)
    @blp.signed_in()
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, AuditPage)
    def get(self, args):
        """List the events you took part in (as actor or subject), newest first."""
        return list_own_events(user_id=current_user.id, **args)


@blp.route("/me/export")
class MyExport(MethodView):
    """Everything the service holds about the signed-in user, as one download."""

    # Account security: a personal access token must never export the account (no scope).
    @blp.token_scope(NEVER)
    @blp.signed_in()
    @exports_per_user
    @blp.response(200, content_type="application/zip", description=(
        "A ZIP streamed as it is written: account.json (the user, files, audit events) "
        "and files/ with the bytes of every file you own."),
        headers={"Content-Disposition": {"schema": {"type": "string"}}})
    @blp.alt_response(429, schema=ProblemSchema, description="EXPORT_RATE_LIMIT reached.")
    def get(self):
        """Download your data: account.json and your files, as a ZIP."""
        export = export_account(user=current_user)
        return Response(export.chunks, mimetype="application/zip", headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store"})
