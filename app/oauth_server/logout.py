"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) on Authlib's endpoint."""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Response, redirect, render_template, request, url_for

from app import keys
from app.oauth_server.authorize import BadRequestPage, check_size
from app.oauth_server.server import oauth_server
from app.sessions.service import end_current_session
from app.web.session import PageSession

# The browser's page session, for the endpoint's end_session (Authlib builds its own request).
VISITOR = "signet.oauth_visitor"
# Set once the session is ended: the response then drops the browser's cookies too.
ENDED = "signet.oauth_session_ended"


class EndSession(EndSessionEndpoint):
    """Ends the Signet session the ID token names (`sid`), or the browser's own."""

    def get_server_jwks(self) -> dict:
        """Every published key: an older ID token may name a key no longer signing."""
        return keys.published_jwks()

    def resolve_client_from_id_token_claims(self, id_token_claims: dict):
        """The one audience of our ID tokens (a list of one, as Authlib writes it)."""
        aud = id_token_claims.get("aud")
        if isinstance(aud, list) and len(aud) == 1:
            aud = aud[0]
        return self.server.query_client(aud) if isinstance(aud, str) else None

    def end_session(self, end_session_request) -> None:
        """End the session: its tokens, and every application token issued under it, die."""
        visitor: PageSession = request.environ[VISITOR]
        request.environ[ENDED] = True
        claims = end_session_request.id_token_claims or {}
        sid = claims.get("sid")
        if sid is not None and str(sid).isdigit():
            end_current_session(user_id=int(claims["sub"]), session_id=int(sid))
        if visitor.signed_in and visitor.session_id is not None and (
                not claims or claims.get("sub") == str(visitor.user.id)):
            end_current_session(user_id=visitor.user.id, session_id=visitor.session_id)


def session_ended() -> bool:
    """True once this request ended a Signet session."""
    return bool(request.environ.get(ENDED))


def end_session_response(visitor: PageSession) -> Response:
    """End the session and redirect to the registered post-logout URI, or say it is done.

    Without a valid id_token_hint nothing happens until the person confirms on our page
    (a POST with the page's csrf_token): a link alone must not sign anyone out.
    """
    check_size()
    request.environ[VISITOR] = visitor
    try:
        validated = oauth_server().validate_endpoint_request("end_session")
    except OAuth2Error as error:
        raise BadRequestPage(error.description or error.error) from None
    confirmed = request.method == "POST" and request.form.get("confirm") == "yes"
    if validated.needs_confirmation and not confirmed:
        html = render_template("oauth/logout.html", visitor=visitor,
                               client=validated.client, params=list(request.values.items()))
        return Response(html, mimetype="text/html")
    answer = oauth_server().create_endpoint_response("end_session", validated)
    if answer is not None:
        return answer
    # A page of ours says so (a 303: the form layer would replace a 200 answer to a form).
    return redirect(url_for("web.LoginPage", notice="signed_out"), code=303)
