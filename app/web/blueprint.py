"""The `web` blueprint and what its page and form modules share: notices, page
documentation, the form-twin answer, rendering."""

from __future__ import annotations

from flask import render_template, request

from app.api import Blueprint
from app.web.session import PageSession

blp = Blueprint("web", __name__, description="Browser pages (HTML, cookie session).")


# Fixed sentences chosen by key, so a link can never make the page say arbitrary text.
NOTICES = {
    "registered": "Your account was created. Sign in to continue.",
    "signed_out": "You are signed out.",
    "uploaded": "Your file was uploaded.",
    "account_deleted": "Your account and your files were deleted.",
    "email_verified": "Your email address is verified.",
    "password_reset": "Your password was changed. Sign in with the new one.",
    "welcome": "Your password is set. Sign in with it to start using your account.",
    "email_changed": "Your email address was changed. Sign in with the new one.",
    "reset_sent": ("If an active account uses that address, a link to reset its password "
                   "is on its way."),
    "session_ended": "That session was ended: its device is signed out.",
    "mfa_off": "Two-factor sign-in is off: your password alone signs you in.",
    "passkey_removed": "That passkey was removed: it no longer signs you in.",
    "identity_unlinked": "That provider was unlinked: it no longer signs you in.",
    "identity_linked": "The provider is linked: it signs you in to this account too.",
    "password_changed": "Your password was changed and every sign-in ended. Sign in with "
                        "the new one.",
    "email_change_sent": ("A confirmation link is on its way to the new address: the change "
                          "takes effect when you open it."),
    "verification_sent": "A new verification link is on its way to your address.",
    "details_saved": "Your name and image were saved.",
    "token_revoked": "That token was revoked: it no longer works anywhere.",
    "file_deleted": "The file was deleted.",
    "user_updated": "The user was changed.",
    "user_deactivated": "The user was deactivated: they cannot sign in, and their sessions "
                        "and tokens stopped working.",
    "user_reactivated": "The user was reactivated: they can sign in again.",
    "sessions_ended": "Every session of the user was ended.",
    "mfa_reset": "The user's second factors were removed: their password alone signs in.",
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
