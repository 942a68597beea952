"""Sign-in with another provider: list, browser flow, ID tokens of apps, identities.

Thin: parse, call app.federation.browser or .service, dump.
"""

import functools

from flask.views import MethodView
from flask_jwt_extended import current_user

from app.api import NO_STORE, Blueprint, no_store
from app.auth.schemas import LoginOut
from app.db_types import MAX_ID
from app.federation import browser
from app.federation.schemas import (
    CallbackQuery,
    IdentityList,
    IdTokenForm,
    NextQuery,
    ProviderList,
    UnlinkForm,
)
from app.federation.service import list_identities, sign_in_with_id_token, unlink_identity
from app.federation.settings import configured_providers, get_provider
from app.ratelimit import login_per_ip, password_checks_per_account
from app.schemas import ProblemSchema
from app.scopes import NEVER, OPEN

blp = Blueprint("federation", __name__, url_prefix="/api/v1/auth",
                description="Sign in with another provider (OpenID Connect, GitHub).")
PROVIDER = "<string(maxlength=32):provider_id>"
REDIRECT = {"Location": {"schema": {"type": "string"}}}
HTML_PAGE = {"text/html": {"schema": {"type": "string"}}}
FAILED = ("Expired, replayed or foreign state, the provider's refusal (error=access_denied), "
          "or an ID token that does not verify: an HTML page for browsers.")


@blp.route("/providers")
class Providers(MethodView):
    """The configured providers."""

    @blp.token_scope(OPEN)
    @blp.response(200, ProviderList)
    def get(self):
        """Every provider a person can sign in with (none unless configured)."""
        return {"items": configured_providers()}


@blp.route(f"/providers/{PROVIDER}/start")
class ProviderStart(MethodView):
    """Start a browser sign-in."""

    @blp.token_scope(OPEN)
    @login_per_ip
    @blp.arguments(NextQuery, location="query")
    @blp.doc(responses={"302": {"description": "To the provider's sign-in page; the flow "
                                "(state, nonce, PKCE S256) is bound to this browser by a "
                                "cookie, single use, 10 minutes.", "headers": REDIRECT}})
    @blp.alt_response(404, schema=ProblemSchema, description="No such provider.")
    @blp.alt_response(422, schema=ProblemSchema, description="`next` leaves the site.")
    @blp.alt_response(503, schema=ProblemSchema, description="The provider cannot be reached.")
    def get(self, query, provider_id: str):
        """Send the browser to the provider; it comes back to the callback."""
        return browser.start(provider_id, next_path=query.get("next"))


@blp.route(f"/providers/{PROVIDER}/callback")
class ProviderCallback(MethodView):
    """Where the provider sends the browser back."""

    @blp.token_scope(OPEN)
    @login_per_ip
    @blp.arguments(CallbackQuery, location="query")
    @blp.doc(responses={
        "303": {"description": "Signed in (token cookies, as after a form login) or the "
                "identity linked: to `next`.", "headers": REDIRECT},
        "200": {"description": "TOTP is on: the page asking for the code.",
                "content": HTML_PAGE}})
    @blp.alt_response(401, schema=ProblemSchema, description=FAILED)
    @blp.alt_response(403, schema=ProblemSchema, description=(
        "The provider vouches for no email, the account is deactivated, or "
        "self-registration is off."))
    @blp.alt_response(409, schema=ProblemSchema, description=(
        "`account-exists`: an account has this email (sign in, then link); or the identity "
        "belongs to another account (link)."))
    @blp.alt_response(502, schema=ProblemSchema, description="The provider answered nonsense.")
    @blp.alt_response(503, schema=ProblemSchema, description="The provider is down or slow.")
    def get(self, query, provider_id: str):
        """Finish the provider sign-in (or link) this browser started."""
        return browser.callback(provider_id, **query)


def known_provider(view):
    """404 for an unknown provider before the body is read (its checks would answer 422)."""
    @functools.wraps(view)
    def wrapper(*args, provider_id: str, **kwargs):
        get_provider(provider_id)
        return view(*args, provider_id=provider_id, **kwargs)
    return wrapper


@blp.route(f"/providers/{PROVIDER}/id-token")
class ProviderIdToken(MethodView):
    """Sign in with an ID token an app got from the provider itself."""

    @blp.token_scope(OPEN)
    @no_store
    @login_per_ip
    @known_provider
    @blp.arguments(IdTokenForm, location="body")
    @blp.response(200, LoginOut, description=(
        "The token pair; or, with TOTP on, `mfa_required` and an `mfa_token` for "
        "POST /auth/login/mfa."))
    @blp.alt_response(401, schema=ProblemSchema, description=(
        "Bad signature, wrong iss/aud/nonce, expired."))
    @blp.alt_response(403, schema=ProblemSchema, description=(
        "No verified email to make an account from, or the account is deactivated."))
    @blp.alt_response(404, schema=ProblemSchema, description="No such provider.")
    @blp.alt_response(409, schema=ProblemSchema, description="`account-exists`.")
    @blp.alt_response(429, schema=ProblemSchema, description="Too many attempts.")
    @blp.alt_response(503, schema=ProblemSchema, description="The provider's keys cannot be "
                      "fetched.")
    def post(self, form, provider_id: str):
        """Verify the ID token (JWKS, iss, aud, exp, iat, nonce) and sign in."""
        return sign_in_with_id_token(provider=get_provider(provider_id), **form)


@blp.route(f"/providers/{PROVIDER}/link")
class ProviderLink(MethodView):
    """Link another provider identity to your account."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized="Not signed in, or the sign-in is not recent.")
    @blp.arguments(NextQuery, location="query")
    @blp.doc(responses={"302": {"description": "To the provider; back at the callback the "
                                "identity joins this account.", "headers": REDIRECT}})
    @blp.alt_response(404, schema=ProblemSchema, description="No such provider.")
    def get(self, query, provider_id: str):
        """Start linking (needs a sign-in within REAUTH_SECONDS)."""
        return browser.start_link(provider_id, user=current_user,
                                  next_path=query.get("next"))


@blp.route("/identities")
class Identities(MethodView):
    """Your linked identities."""

    @blp.token_scope(NEVER)
    @blp.signed_in()
    @blp.response(200, IdentityList)
    def get(self):
        """The provider identities that sign in to this account."""
        return {"items": list_identities(user=current_user)}, 200, NO_STORE


@blp.route(f"/identities/<int(max={MAX_ID}):identity_id>")
class IdentityItem(MethodView):
    """One linked identity."""

    @blp.token_scope(NEVER)
    @blp.signed_in(unauthorized="Not signed in, or a wrong current password.")
    @password_checks_per_account
    @blp.arguments(UnlinkForm, location="body")
    @blp.response(204)
    @blp.alt_response(404, schema=ProblemSchema, description="Not one of your identities.")
    @blp.alt_response(409, schema=ProblemSchema, description=(
        "The last way left to sign in (no password, passkey or other identity)."))
    @blp.alt_response(422, schema=ProblemSchema, description="current_password missing.")
    def delete(self, form, identity_id: int):
        """Unlink the identity (current_password, or a recent sign-in without one)."""
        unlink_identity(user=current_user, identity_id=identity_id, **form)
