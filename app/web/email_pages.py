"""Pages for mailed links: each shows a form that posts the token (GET never consumes it).

Mail scanners and link previews fetch links: only the visitor's click on the form's button
uses a token. The pages hold the token, so they are never cached and never send it on as
a Referer.
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from app.scopes import OPEN
from app.web.blueprint import PAGE_DOC, blp, render_page
from app.web.form_feedback import form_feedback
from app.web.session import page_session

MAX_TOKEN_LENGTH = 128
TOKEN_PARAMETER = {
    "in": "query", "name": "token", "required": False,
    "description": "The token from the mailed link; the page's form posts it.",
    "schema": {"type": "string", "maxLength": MAX_TOKEN_LENGTH},
}
TOKEN_PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def token_page(template: str):
    """Render a page whose form carries `?token=` (an over-long one is left out)."""
    # Shown again after a refused post, the page keeps the token its form posted.
    token = request.args.get("token", "") or form_feedback().values.get("token", "")
    if len(token) > MAX_TOKEN_LENGTH:
        token = ""
    return render_page(template, page_session(), token=token), 200, TOKEN_PAGE_HEADERS


@blp.route("/verify-email")
class VerifyEmailPage(MethodView):
    """The page a verification link opens."""

    @blp.token_scope(OPEN)
    @blp.doc(responses=PAGE_DOC, parameters=[TOKEN_PARAMETER])
    def get(self):
        """A button that posts the token to POST /api/v1/auth/verify-email."""
        return token_page("web/verify_email.html")


@blp.route("/reset-password")
class ResetPasswordPage(MethodView):
    """The page a reset link opens."""

    @blp.token_scope(OPEN)
    @blp.doc(responses=PAGE_DOC, parameters=[TOKEN_PARAMETER])
    def get(self):
        """A new-password form that posts with the token to POST /api/v1/auth/password/reset."""
        return token_page("web/reset_password.html")


@blp.route("/welcome")
class WelcomePage(MethodView):
    """The page an invitation link opens: the invitee chooses a first password."""

    @blp.token_scope(OPEN)
    @blp.doc(responses=PAGE_DOC, parameters=[TOKEN_PARAMETER])
    def get(self):
        """A first-password form that posts with the token to POST /api/v1/auth/password/reset."""
        return token_page("web/welcome.html")


@blp.route("/confirm-email")
class ConfirmEmailPage(MethodView):
    """The page an email-change confirmation link opens."""

    @blp.token_scope(OPEN)
    @blp.doc(responses=PAGE_DOC, parameters=[TOKEN_PARAMETER])
    def get(self):
        """A button that posts the token to POST /api/v1/auth/email/change/confirm."""
        return token_page("web/confirm_email.html")


@blp.route("/forgot-password")
class ForgotPasswordPage(MethodView):
    """Ask for a reset link."""

    @blp.token_scope(OPEN)
    @blp.doc(responses=PAGE_DOC)
    def get(self):
        """A form that posts the address to POST /api/v1/auth/password/forgot."""
        return render_page("web/forgot_password.html", page_session())
