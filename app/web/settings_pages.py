"""Self-service pages under /profile: password, email, name and image, personal tokens.

Each page renders a form. Where HTML can post to the API itself (password, email change,
token creation) it does; the name-and-image form posts back to its own page, because the
API's PATCH /auth/me is out of a form's reach. app.web.forms turns every answer into a
redirect or the page again with the errors.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import redirect, url_for
from flask.views import MethodView
from flask_jwt_extended import current_user

from app.account.schemas import ProfileUpdateForm
from app.db_types import MAX_ID
from app.ratelimit import profile_images_per_account, profile_images_per_ip
from app.schemas import ProblemSchema
from app.scopes import ADMIN_SCOPES, NEVER, OPEN, Scope
from app.tokens.personal_tokens import list_tokens, revoke_token
from app.tokens.schemas import PersonalTokenOut
from app.users.models import User
from app.users.profile import update_own_profile
from app.users.schemas import UserOut
from app.web.blueprint import FORM_UNAUTHORIZED, SIGNED_IN_PAGE_DOC, blp, form_twin, render_page
from app.web.session import page_session


def signed_in_page(template: str, more: Callable[[User], dict] | None = None):
    """Render `template` for the signed-in visitor, or send a signed-out one to /login.

    `more(user)` adds what the page lists besides the visitor's profile.
    """
    session = page_session()
    if not session.signed_in:
        return redirect(url_for("web.LoginPage"), code=303)
    context = more(session.user) if more else {}
    return render_page(template, session, profile=UserOut().dump(session.user), **context)


def _tokens(user: User) -> dict:
    # Admin scopes are granted to admins only (the API refuses them to others): not offered.
    choices = [scope.value for scope in Scope if user.is_admin or scope not in ADMIN_SCOPES]
    return {"tokens": PersonalTokenOut(many=True).dump(list_tokens(user=user)),
            "scope_choices": choices}


@blp.route("/profile/password")
class PasswordPage(MethodView):
    """Change your password."""

    @blp.token_scope(OPEN)  # cookies only: a bearer token is never read
    @blp.doc(responses=SIGNED_IN_PAGE_DOC)
    def get(self):
        """A form that posts to POST /api/v1/auth/password (every sign-in then ends)."""
        return signed_in_page("web/password.html")


@blp.route("/profile/email")
class EmailPage(MethodView):
    """Move your account to another email address."""

    @blp.token_scope(OPEN)
    @blp.doc(responses=SIGNED_IN_PAGE_DOC)
    def get(self):
        """A form that posts to POST /api/v1/auth/email/change."""
        return signed_in_page("web/email.html")


@blp.route("/profile/details")
class DetailsPage(MethodView):
    """Change your name and profile image."""

    @blp.token_scope(OPEN)
    @blp.doc(responses=SIGNED_IN_PAGE_DOC)
    def get(self):
        """The form, filled with your current name."""
        return signed_in_page("web/details.html")

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=FORM_UNAUTHORIZED)
    @profile_images_per_account
    @profile_images_per_ip
    @blp.arguments(ProfileUpdateForm, location="body")
    @form_twin("Saved")
    @blp.alt_response(413, schema=ProblemSchema, description="Body or image too large.")
    @blp.alt_response(429, schema=ProblemSchema, description="Too many profile images.")
    def post(self, form):
        """The same as PATCH /api/v1/auth/me, for an HTML form (cookie + CSRF)."""
        update_own_profile(user=current_user, **form)


@blp.route("/profile/tokens")
class TokensPage(MethodView):
    """Your personal access tokens."""

    @blp.token_scope(OPEN)
    @blp.doc(responses=SIGNED_IN_PAGE_DOC)
    def get(self):
        """List your tokens; the create form posts to POST /api/v1/auth/tokens."""
        return signed_in_page("web/tokens.html", _tokens)


@blp.route(f"/profile/tokens/<int(max={MAX_ID}):token_id>/revoke")
class RevokeTokenForm(MethodView):
    """Revoke one of your personal access tokens from the tokens page."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized=FORM_UNAUTHORIZED)
    @form_twin("Revoked")
    @blp.alt_response(404, schema=ProblemSchema, description="Unknown, or another user's.")
    def post(self, token_id: int):
        """The same as DELETE /api/v1/auth/tokens/{id}, for an HTML form (cookie + CSRF)."""
        revoke_token(user=current_user, token_id=token_id)
