"""Email endpoints (verification, password reset, change of email) and admin invitations.

Thin: parse with a schema, call one service of app.account.email_flows, dump. Invitations are
mounted under /api/v1/users with the other user administration, but live here because
they are made of the auth package's tokens (users never imports auth).
"""

from flask import url_for
from flask.views import MethodView
from flask_jwt_extended import current_user

from app.account.email_flows import (
    confirm_email_change,
    invite_user,
    request_email_change,
    request_password_reset,
    resend_verification,
    reset_password,
    verify_email,
)
from app.account.schemas import (
    AcceptedOut,
    EmailChangeForm,
    EmailTokenForm,
    InvitationForm,
    PasswordForgotForm,
    PasswordResetForm,
)
from app.api import Blueprint
from app.ratelimit import (
    failed_password_checks_per_account,
    mail_requests_per_account,
    mail_requests_per_ip,
    password_checks_per_account,
    password_forgot_per_address,
    password_forgot_per_ip,
    verification_resends_per_account,
    verifications_per_ip,
)
from app.schemas import ProblemSchema
from app.scopes import NEVER, OPEN, Scope
from app.users.schemas import UserOut

blp = Blueprint("email", __name__, url_prefix="/api/v1/auth",
                description="Email verification, password reset and change of email.")
invitations_blp = Blueprint("invitations", __name__, url_prefix="/api/v1/users",
                            description="Admins invite users by email.")

INVALID_LINK = "The token is unknown, expired, used, or of another kind (errors.token)."
MAIL_REQUESTS = "MAIL_REQUEST_RATE_LIMIT reached."
FORGOT_ANSWER = ("If an active account uses this address, a link to reset its password "
                 "is on its way.")


@blp.route("/verify-email")
class VerifyEmail(MethodView):
    """Prove the account's address with the token mailed to it."""

    @blp.token_scope(OPEN)
    @verifications_per_ip
    @blp.arguments(EmailTokenForm, location="body")
    @blp.response(200, UserOut)
    @blp.alt_response(422, schema=ProblemSchema, description=INVALID_LINK)
    @blp.alt_response(429, schema=ProblemSchema, description="VERIFY_EMAIL_RATE_LIMIT reached.")
    def post(self, form):
        """Mark the address verified; the token is used up.

        When the address was not verified before, passkeys, TOTP, personal tokens and
        sessions added before are removed: a stranger may have registered it first.
        """
        return verify_email(**form)


@blp.route("/verify-email/resend")
class ResendVerification(MethodView):
    """Ask for a new verification message."""

    @blp.token_scope(NEVER)
    @blp.signed_in()
    @verification_resends_per_account
    @blp.response(202, AcceptedOut)
    @blp.alt_response(409, schema=ProblemSchema, description="Already verified.")
    @blp.alt_response(429, schema=ProblemSchema, description="Too many messages asked for.")
    def post(self):
        """Send a new verification link to the signed-in user's address."""
        resend_verification(user=current_user)
        return {"detail": "A new verification link is on its way."}


@blp.route("/password/forgot")
class PasswordForgot(MethodView):
    """Ask for a password reset link."""

    @blp.token_scope(OPEN)
    @password_forgot_per_ip
    @password_forgot_per_address
    @blp.arguments(PasswordForgotForm, location="body")
    @blp.response(202, AcceptedOut)
    @blp.alt_response(429, schema=ProblemSchema,
                      description="Too many requests from this client or for this address.")
    def post(self, form):
        """Mail a reset link if an active account uses the address; same answer either way."""
        request_password_reset(**form)
        return {"detail": FORGOT_ANSWER}


@blp.route("/password/reset")
class PasswordReset(MethodView):
    """Set a new password with a mailed reset or invitation token."""

    @blp.token_scope(OPEN)
    @mail_requests_per_ip
    @blp.arguments(PasswordResetForm, location="body")
    @blp.response(204)
    @blp.alt_response(422, schema=ProblemSchema,
                      description=f"{INVALID_LINK} Or new_password breaks a rule.")
    @blp.alt_response(429, schema=ProblemSchema, description=MAIL_REQUESTS)
    def post(self, form):
        """Set the password; every session and personal token of the account ends.

        When the address was not verified before, the link proves the mailbox for the
        first time: passkeys, TOTP and every other sign-in added before are removed too.
        """
        reset_password(**form)


@blp.route("/email/change")
class EmailChange(MethodView):
    """Move the account to another address (confirmed from that address)."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized="Missing or invalid token, or wrong current password.")
    @password_checks_per_account
    @failed_password_checks_per_account
    @blp.arguments(EmailChangeForm, location="body")
    @blp.response(202, AcceptedOut)
    @blp.alt_response(409, schema=ProblemSchema, description="Address taken.")
    @blp.alt_response(422, schema=ProblemSchema, description=(
        "Field errors; `current_password` missing."))
    @blp.alt_response(429, schema=ProblemSchema, description=(
        "Too many wrong passwords, or PASSWORD_CHECK_RATE_LIMIT reached."))
    def post(self, form):
        """Mail a confirmation link to the new address; nothing changes until it is used."""
        request_email_change(user=current_user, **form)
        return {"detail": "Follow the link sent to the new address to confirm it."}


@blp.route("/email/change/confirm")
class EmailChangeConfirm(MethodView):
    """Confirm a change of email with the token mailed to the new address."""

    @blp.token_scope(OPEN)
    @mail_requests_per_ip
    @blp.arguments(EmailTokenForm, location="body")
    @blp.response(200, UserOut)
    @blp.alt_response(409, schema=ProblemSchema, description="Address taken meanwhile.")
    @blp.alt_response(429, schema=ProblemSchema, description=MAIL_REQUESTS)
    @blp.alt_response(422, schema=ProblemSchema, description=INVALID_LINK)
    def post(self, form):
        """Move the account to the new address, now verified."""
        return confirm_email_change(**form)


@invitations_blp.route("/invitations")
class Invitations(MethodView):
    """Invite someone (admin)."""

    @blp.token_scope(Scope.USERS_WRITE)
    @invitations_blp.admin_only()
    @mail_requests_per_account
    @invitations_blp.arguments(InvitationForm, location="body")
    @invitations_blp.response(201, UserOut,
                              headers={"Location": {"schema": {"type": "string"}}})
    @invitations_blp.alt_response(409, schema=ProblemSchema, description="Email taken.")
    @invitations_blp.alt_response(429, schema=ProblemSchema, description=MAIL_REQUESTS)
    def post(self, form):
        """Create the account and mail a link that sets its first password."""
        user = invite_user(admin=current_user, **form)
        return user, 201, {"Location": url_for("users.UserById", user_id=user.id)}
