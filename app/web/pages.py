"""Server-rendered pages at `/`: register, sign in, profile, files, sign out.

The pages only render forms; each form posts to the API endpoint itself (with `next` and,
once signed in, the `csrf_token` of the session cookie), and app.web.forms turns the
answer into a redirect or an HTML result page.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.views import MethodView

from app.api import Blueprint
from app.auth.mfa.passkeys import list_passkeys
from app.auth.mfa.schemas import PasskeyOut
from app.auth.schemas import SessionList
from app.auth.session_routes import session_items
from app.auth.sessions import list_sessions
from app.scopes import OPEN
from app.users.schemas import UserOut
from app.web.session import PageSession, page_session

blp = Blueprint("web", __name__, description="Browser pages (HTML, cookie session).")

# Fixed sentences chosen by key, so a link can never make the page say arbitrary text.
NOTICES = {
    "registered": "Your account was created. Sign in to continue.",
    "signed_out": "You are signed out.",
    "uploaded": "Your file was uploaded.",
    "account_deleted": "Your account and your files were deleted.",
    "email_verified": "Your email address is verified.",
    "password_reset": "Your password was changed. Sign in with the new one.",
    "email_changed": "Your email address was changed. Sign in with the new one.",
    "reset_sent": ("If an active account uses that address, a link to reset its password "
                   "is on its way."),
    "session_ended": "That session was ended: its device is signed out.",
    "mfa_off": "Two-factor sign-in is off: your password alone signs you in.",
    "passkey_removed": "That passkey was removed: it no longer signs you in.",
}
HTML = {"text/html": {"schema": {"type": "string"}}}
PAGE_DOC = {"200": {"description": "The page.", "content": HTML}}
SIGNED_IN_PAGE_DOC = {
    **PAGE_DOC,
    "303": {"description": "Not signed in: redirect to /login.",
            "headers": {"Location": {"schema": {"type": "string"}}}},
}


# Why a form twin answers 401: a browser session proves itself with the CSRF field too.
FORM_UNAUTHORIZED = "Not signed in, or the form's csrf_token does not match the session cookie."


def form_twin(done: str):
    """Answer and document a form twin of an API DELETE (HTML forms cannot send DELETE).

    204 (`done` says what happened) to a JSON client or a form without `next`; a browser
    form with `next` gets a 303 there, one without it the HTML result page (app.web.forms
    turns the 204 into either).
    """
    def decorator(view):
        view = blp.doc(responses={"200": {
            "description": "A browser form without `next`: the HTML result page.",
            "content": HTML}})(view)
        view = blp.alt_response(303, description="A browser form with `next`: redirect there.",
                                headers={"Location": {"schema": {"type": "string"}}})(view)
        return blp.response(204, description=f"{done} (a JSON client, or a form without "
                                             "`next`).")(view)
    return decorator


NOTICE_PARAMETER = {
    "in": "query", "name": "notice", "required": False,
    "description": "A message shown once after a form post (unknown keys are ignored).",
    "schema": {"type": "string", "enum": sorted(NOTICES)},
}


def render_page(template: str, session: PageSession, **context):
    """Render a page with the session and the fixed notice named by `?notice=`."""
    notice = NOTICES.get(request.args.get("notice", ""))
    return render_template(template, visitor=session, notice=notice, **context)


def own_sessions(session: PageSession) -> list[dict]:
    """The signed-in user's live sessions as the API lists them."""
    items = session_items(list_sessions(user_id=session.user.id), session.session_id)
    return SessionList().dump(items)["items"]


@blp.route("/")
class Home(MethodView):
    """The start page."""

    @blp.token_scope(OPEN)  # cookies only: a bearer token is never read
    @blp.doc(responses={**PAGE_DOC, "303": SIGNED_IN_PAGE_DOC["303"] | {
        "description": "Signed in: redirect to /profile."}})
    def get(self):
        """Links to sign in and register; signed-in users go to their profile."""
        session = page_session()
        if session.signed_in:
            return redirect(url_for("web.ProfilePage"), code=303)
        return render_page("web/home.html", session)


@blp.route("/register")
class RegisterPage(MethodView):
    """The registration form."""

    @blp.token_scope(OPEN)  # cookies only: a bearer token is never read
    @blp.doc(responses=PAGE_DOC)
    def get(self):
        """A form that posts to POST /api/v1/auth/register, with a profile image."""
        return render_page("web/register.html", page_session())


@blp.route("/login")
class LoginPage(MethodView):
    """The sign-in form."""

    @blp.token_scope(OPEN)  # cookies only: a bearer token is never read
    @blp.doc(responses=PAGE_DOC, parameters=[NOTICE_PARAMETER])
    def get(self):
        """A form that posts to POST /api/v1/auth/login; the tokens become cookies."""
        return render_page("web/login.html", page_session())


@blp.route("/profile")
class ProfilePage(MethodView):
    """The signed-in user's profile."""

    @blp.token_scope(OPEN)  # cookies only: a bearer token is never read
    @blp.doc(responses=SIGNED_IN_PAGE_DOC, parameters=[NOTICE_PARAMETER])
    def get(self):
        """Name, email, role, profile image, two-factor sign-in and passkeys."""
        session = page_session()
        if not session.signed_in:
            return redirect(url_for("web.LoginPage"), code=303)
        passkeys = PasskeyOut(many=True).dump(list_passkeys(user=session.user))
        return render_page("web/profile.html", session, profile=UserOut().dump(session.user),
                           passkeys=passkeys, sessions=own_sessions(session))
