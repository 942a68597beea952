"""Server-rendered pages at `/`: register, sign in, profile, files, sign out.

The pages only render forms; each form posts to the API endpoint itself (with `next` and,
once signed in, the `csrf_token` of the session cookie), and app.web.forms turns the
answer into a redirect or an HTML result page.
"""

from __future__ import annotations

from flask import redirect, url_for
from flask.views import MethodView

from app.federation.schemas import IdentityOut, ProviderOut
from app.federation.service import list_identities
from app.federation.settings import configured_providers
from app.mfa.passkeys import list_passkeys
from app.mfa.schemas import PasskeyOut
from app.scopes import OPEN
from app.sessions.schemas import SessionList, session_items
from app.sessions.service import list_sessions
from app.users.schemas import UserOut
from app.web.blueprint import NOTICE_PARAMETER, PAGE_DOC, SIGNED_IN_PAGE_DOC, blp, render_page
from app.web.session import PageSession, page_session


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
        return render_page("web/register.html", page_session(), providers=_providers())


@blp.route("/login")
class LoginPage(MethodView):
    """The sign-in form."""

    @blp.token_scope(OPEN)  # cookies only: a bearer token is never read
    @blp.doc(responses=PAGE_DOC, parameters=[NOTICE_PARAMETER])
    def get(self):
        """A form that posts to POST /api/v1/auth/login; the tokens become cookies."""
        return render_page("web/login.html", page_session(), providers=_providers())


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
                           passkeys=passkeys, sessions=own_sessions(session),
                           identities=IdentityOut(many=True).dump(
                               list_identities(user=session.user)),
                           providers=_providers())


def _providers() -> list[dict]:
    """The configured providers, for the sign-in buttons."""
    return ProviderOut(many=True).dump(configured_providers())
