"""The authorization endpoint's decisions: sign in first, ask consent, or answer the client.

`decide` looks at the request and the browser's Signet session and says what happens
next; `approve` and `deny` finish it. Authlib validates the request (client, exact
redirect URI, response type, scopes, PKCE, prompt, nonce); this module adds the rest of
OpenID Connect Core 3.1.2: `prompt=login` and `max_age` send the user through sign-in
again, `prompt=none` never shows a page, and remembered consent skips the consent page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import Response, request, url_for

from app.db_types import utcnow
from app.extensions import db
from app.oauth_server.adapters import Client
from app.oauth_server.grants import covers, find_grant, remember
from app.oauth_server.models import OAuthClient
from app.oauth_server.scopes import describe
from app.oauth_server.server import oauth_server
from app.sessions.models import UserSession
from app.transactions import transaction
from app.users.models import User

# A sign-in this recent satisfies max_age (and prompt=login, which the way back turns into
# max_age=0) on the return from the sign-in pages: the user just typed their password.
FRESH_SIGN_IN = timedelta(seconds=120)
# Authorization requests are links: longer than this is no request we would answer.
MAX_QUERY_BYTES = 8192


class BadRequestPage(Exception):
    """The request cannot be sent back to any client: show an HTML error page."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Decision:
    """What the authorize endpoint answers: a response, a sign-in, or the consent page."""

    response: Response | None = None
    sign_in: str | None = None  # the path to send the browser to
    consent: dict | None = None  # what the consent page shows


def check_size() -> None:
    """Refuse, before any work, a request longer than any real one (a page, not a redirect)."""
    if len(request.query_string) + (request.content_length or 0) > MAX_QUERY_BYTES:
        raise BadRequestPage(f"The request is longer than {MAX_QUERY_BYTES} bytes.")


def _validated(user: User | None):
    check_size()
    try:
        return oauth_server().get_consent_grant(end_user=user)
    except OAuth2Error as error:
        if not error.redirect_uri:
            # Unknown client or unregistered redirect URI: never redirect (RFC 6749 4.1.2.1).
            raise BadRequestPage(error.description or error.error) from None
        return oauth_server().handle_error_response(None, error)


def _error(grant, error_cls) -> Response:
    error = error_cls(redirect_uri=grant.redirect_uri, state=grant.request.payload.state)
    return oauth_server().handle_error_response(None, error)


def live_session(user: User | None, session_id: int | None) -> UserSession | None:
    """The browser's Signet session row, if it is still alive."""
    if user is None or session_id is None:
        return None
    session = db.session.get(UserSession, session_id)
    if (session is None or session.user_id != user.id or session.ended_at is not None
            or session.token_version != user.token_version):
        return None
    return session


def _needs_sign_in(session: UserSession | None, params) -> bool:
    if session is None:
        return True
    if "login" in params.get("prompt", "").split():
        return True  # the way back asks max_age=0 instead (see _sign_in_path)
    age = utcnow() - session.created_at
    max_age = params.get("max_age", "")
    if max_age.isdigit() and len(max_age) < 10:
        return age > max(timedelta(seconds=int(max_age)), FRESH_SIGN_IN)
    return False


def _sign_in_path(params) -> str:
    # Back to this request with prompt=login turned into max_age=0: the sign-in about to
    # happen satisfies it, an older one would not.
    again = [(k, v) for k, v in params.items(multi=True) if k != "prompt"]
    prompts = params.get("prompt", "").split()
    if "login" in prompts:
        again = [(k, v) for k, v in again if k != "max_age"] + [("max_age", "0")]
    if rest := [p for p in prompts if p != "login"]:
        again.append(("prompt", " ".join(rest)))
    query = {"next": f"{url_for('oauth.authorize')}?{urlencode(again)}"}
    if params.get("login_hint"):
        query["login_hint"] = params["login_hint"][:254]
    return f"{url_for('web.LoginPage')}?{urlencode(query)}"


def decide(*, user: User | None, session_id: int | None) -> Decision:
    """What GET /oauth/authorize answers this browser."""
    session = live_session(user, session_id)
    grant = _validated(user if session else None)
    if isinstance(grant, Response):
        return Decision(response=grant)
    params = request.args
    prompts = params.get("prompt", "").split()
    if _needs_sign_in(session, params):
        if "none" in prompts:
            return Decision(response=_error(grant, LoginRequiredError))
        return Decision(sign_in=_sign_in_path(params))
    client: OAuthClient = grant.request.client.row
    scope = grant.request.scope
    if client.first_party or (covers(find_grant(user_id=user.id, client_pk=client.id), scope)
                              and "consent" not in prompts):
        return Decision(response=approve(user=user, session=session, grant=grant))
    if "none" in prompts:
        return Decision(response=_error(grant, ConsentRequiredError))
    return Decision(consent={"client": client, "scopes": describe(scope.split()),
                             "params": list(params.items(multi=True)),
                             "redirect_uri": grant.redirect_uri})


def answer_consent(*, user: User | None, session_id: int | None, approved: bool) -> Response:
    """POST /oauth/authorize: the consent form's answer. Commits when approved."""
    session = live_session(user, session_id)
    if session is None:
        raise BadRequestPage("Your Signet session ended: start again from the application.")
    grant = _validated(user)
    if isinstance(grant, Response):
        return grant
    if not approved:
        return oauth_server().create_authorization_response(grant=grant, grant_user=None)
    return approve(user=user, session=session, grant=grant)


def approve(*, user: User, session: UserSession, grant) -> Response:
    """Remember the consent and send the client its code. Commits."""
    client: Client = grant.request.client
    with transaction():
        stored = remember(user=user, client=client.row, scope=grant.request.scope)
        grant.request.signet_grant_id = stored.id
        grant.request.signet_session_id = session.id
        return oauth_server().create_authorization_response(grant=grant, grant_user=user)
