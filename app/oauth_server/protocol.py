"""The OpenID Provider's protocol endpoints: discovery, authorize, token, userinfo, revoke,
introspect and RP-initiated logout.

They speak OAuth 2 / OpenID Connect, not this API's problem+json, so they live on a plain
Flask blueprint outside the OpenAPI document; each is marked OPEN (app.scopes): Signet's own
bearer tokens are never read here.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.integrations.flask_oauth2 import ResourceProtector, current_token
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from flask_jwt_extended import unset_jwt_cookies

from app import keys
from app.oauth_server import settings, tokens
from app.oauth_server.authorize import BadRequestPage, answer_consent, decide
from app.oauth_server.logout import end_session_response, session_ended
from app.oauth_server.scopes import SUPPORTED
from app.oauth_server.server import hold_signing_key, oauth_server, user_info
from app.scopes import OPEN, mark
from app.transactions import transaction
from app.web.session import page_session

blp = Blueprint("oauth", __name__)


class AccessTokens(BearerTokenValidator):
    """Applications' access tokens, looked up alive (app.oauth_server.tokens)."""

    def authenticate_token(self, token_string: str):
        """The live token, or None."""
        return tokens.find_access_token(token_string)


require_oauth = ResourceProtector()
require_oauth.register_token_validator(AccessTokens())


def _open(view):
    return mark(view, OPEN)


@blp.get("/.well-known/openid-configuration")
@_open
def discovery():
    """OpenID Connect Discovery 1.0 metadata."""
    base = settings.issuer()
    return jsonify({
        "issuer": base,
        "authorization_endpoint": base + url_for("oauth.authorize"),
        "token_endpoint": base + url_for("oauth.token"),
        "userinfo_endpoint": base + url_for("oauth.userinfo"),
        "revocation_endpoint": base + url_for("oauth.revoke"),
        "introspection_endpoint": base + url_for("oauth.introspect"),
        "end_session_endpoint": base + url_for("oauth.logout"),
        "jwks_uri": base + "/.well-known/jwks.json",
        "scopes_supported": list(SUPPORTED),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": sorted(
            {key.get("alg", "ES256") for key in keys.published_jwks()["keys"]}),
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr",
                             "sid", "name", "picture", "email", "email_verified"],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    })


def _error_page(detail: str, status: int = 400) -> Response:
    html = render_template("web/error.html", title="This sign-in link does not work",
                           detail=detail, status=status, wait=None, visitor=page_session())
    return Response(html, status=status, mimetype="text/html")


def _consent_page(consent: dict, csrf_token: str | None) -> Response:
    html = render_template("oauth/consent.html", visitor=page_session(),
                           csrf_token=csrf_token, **consent)
    response = Response(html, mimetype="text/html")
    # The approval's answer redirects to the application: browsers check a form's
    # redirects against form-action too, so the page allows that one origin.
    parts = urlsplit(consent["redirect_uri"])
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        f"form-action 'self' {origin}; base-uri 'none'; frame-ancestors 'none'")
    return response


def _onward(response: Response) -> Response:
    # After Signet's own sign-in form the browser follows our redirect here; a second
    # redirect to another site would be checked against that form's form-action 'self'.
    # A same-site navigation gets a page that moves on by itself instead.
    if (response.status_code == 302 and request.headers.get("Sec-Fetch-Site") == "same-origin"
            and request.headers.get("Sec-Fetch-Mode") == "navigate"):
        html = render_template("oauth/continue.html", location=response.headers["Location"],
                               visitor=None)
        return Response(html, mimetype="text/html")
    return response


@blp.route("/oauth/authorize", methods=["GET", "POST"])
@_open
def authorize():
    """The authorization endpoint (code flow): sign-in, consent, then back to the client."""
    visitor = page_session()  # on POST this also checks the form's csrf_token
    try:
        if request.method == "POST":
            return answer_consent(user=visitor.user, session_id=visitor.session_id,
                                  approved=request.form.get("decision") == "allow")
        decision = decide(user=visitor.user, session_id=visitor.session_id)
    except BadRequestPage as error:
        return _error_page(error.detail)
    if decision.sign_in is not None:
        return redirect(decision.sign_in, code=303)
    if decision.consent is not None:
        return _consent_page(decision.consent, visitor.csrf_token)
    return _onward(decision.response)


@blp.post("/oauth/token")
@_open
def token():
    """The token endpoint: codes and refresh tokens for tokens (RFC 6749 5.2 errors)."""
    hold_signing_key()  # before the transaction writes (the used code's deletion)
    with transaction():  # a replayed refresh token's revocation stands, though it fails
        return oauth_server().create_token_response()


@blp.route("/oauth/userinfo", methods=["GET", "POST"])
@_open
@require_oauth("openid")
def userinfo():
    """The signed-in user's claims, as the access token's scopes allow."""
    return jsonify(user_info(current_token.user, current_token.get_scope()))


@blp.post("/oauth/revoke")
@_open
def revoke():
    """RFC 7009 token revocation."""
    with transaction():
        return oauth_server().create_endpoint_response("revocation")


@blp.post("/oauth/introspect")
@_open
def introspect():
    """RFC 7662 token introspection (confidential clients, their own tokens)."""
    return oauth_server().create_endpoint_response("introspection")


@blp.route("/oauth/logout", methods=["GET", "POST"])
@_open
def logout():
    """RP-initiated logout: end the Signet session, then back to the application."""
    try:
        response = end_session_response(page_session())
    except BadRequestPage as error:
        return _error_page(error.detail)
    if session_ended():
        unset_jwt_cookies(response)
    return response
