"""Authlib's authorization server, with our grants and endpoints plugged in.

Authlib does the protocol (RFC 6749 errors, PKCE checks, client authentication, ID token
encoding); this module only tells it where rows live and which key signs.
"""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import current_app, request
from sqlalchemy import delete, select

from app import keys
from app.db_types import utcnow
from app.extensions import db
from app.hashing import token_hash
from app.oauth_server import settings, tokens
from app.oauth_server.adapters import Client, Code, Token, find_client
from app.oauth_server.grants import touch
from app.oauth_server.models import OAuthCode, OAuthGrant
from app.oauth_server.scopes import EMAIL, OFFLINE, PROFILE
from app.sessions.models import UserSession
from app.users.models import User
from app.users.schemas import profile_image_url

TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
# The key that signs this request's ID token, chosen once (hold_signing_key).
SIGNING_KEY = "signet.oauth_signing_key"


def hold_signing_key() -> keys.ActiveKey:
    """Choose the key that signs this request's ID token; call it before the first write.

    The first key ever is made on a connection of its own (app.keys: it must not be rolled
    back with the request); on SQLite that connection would wait for the write lock this
    request's transaction holds once it has written. Chosen once, the ID token's `kid`,
    `alg` and signature also all come from one key, even across a rotation's moment.
    """
    key = request.environ.get(SIGNING_KEY)
    if key is None:
        key = request.environ[SIGNING_KEY] = keys.signing_key()
    return key


def user_info(user: User, scope: str) -> UserInfo:
    """The claims about `user` that `scope` allows (ID token and userinfo)."""
    scopes = scope.split()
    info = UserInfo(sub=str(user.id))
    if PROFILE in scopes:
        info["name"] = user.name
        if user.profile_image_id is not None:
            info["picture"] = settings.issuer() + profile_image_url(user.profile_image_id)
    if EMAIL in scopes:
        info["email"] = user.email
        info["email_verified"] = user.email_verified
    return info


class SignetOpenIDCode(OpenIDCode):
    """ID tokens signed with the current key of app.keys."""

    def exists_nonce(self, nonce: str, request) -> bool:
        """A nonce already used in a live code of this client is a replay."""
        return db.session.scalar(select(OAuthCode.id).where(OAuthCode.nonce == nonce)
                                 .limit(1)) is not None

    def resolve_client_private_key(self, client: Client) -> dict:
        """The private JWK that signs now."""
        return hold_signing_key().private_jwk

    def get_client_algorithm(self, client: Client) -> str:
        """The signing key's algorithm."""
        return hold_signing_key().alg

    def get_encode_header(self, client: Client) -> dict:
        """`kid` names the key, so relying parties pick it from the JWKS."""
        key = hold_signing_key()
        return {"alg": key.alg, "kid": key.kid, "typ": "JWT"}

    def get_client_claims(self, client: Client) -> dict:
        """`iss`, `aud` and a short `exp`."""
        return {"iss": settings.issuer(), "aud": [client.get_client_id()],
                "exp": int(utcnow().timestamp()) + settings.id_token_lifetime()}

    def get_authorization_code_claims(self, authorization_code: Code) -> dict:
        """Authlib's (nonce, auth_time, amr) and `sid`, the Signet session."""
        claims = super().get_authorization_code_claims(authorization_code)
        claims["sid"] = str(authorization_code.session.id)
        return claims

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        """The user's claims for this scope."""
        return user_info(user, scope)


class S256Only(CodeChallenge):
    """PKCE with S256 only: `plain` gives no protection against a leaked code."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    """Codes stored hashed, bound to the grant and the Signet session that approved them."""

    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def validate_authorization_request(self):
        """Authlib's checks, then PKCE required of public clients."""
        redirect_uri = super().validate_authorization_request()
        if self.request.client.row.is_public and not self.request.payload.data.get(
                "code_challenge"):
            raise InvalidRequestError("A public client must use PKCE (code_challenge, S256).",
                                      redirect_uri=redirect_uri,
                                      state=self.request.payload.state)
        return redirect_uri

    def save_authorization_code(self, code: str, request) -> None:
        """Keep the code's hash with what the token request will check."""
        data = request.payload.data
        db.session.add(OAuthCode(
            code_hash=token_hash(code), grant_id=request.signet_grant_id,
            session_id=request.signet_session_id, redirect_uri=request.payload.redirect_uri,
            scope=request.scope, nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method") or (
                "S256" if data.get("code_challenge") else None),
            expires_at=utcnow() + settings.code_lifetime()))

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        """The unexpired code issued to `client`, with its session and grant."""
        row = db.session.execute(
            select(OAuthCode, UserSession, OAuthGrant)
            .join(UserSession, UserSession.id == OAuthCode.session_id)
            .join(OAuthGrant, OAuthGrant.id == OAuthCode.grant_id)
            .where(OAuthCode.code_hash == token_hash(code),
                   OAuthGrant.client_pk == client.row.id,
                   OAuthCode.expires_at > utcnow())).first()
        return Code(*row) if row is not None else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """A code works once."""
        db.session.execute(delete(OAuthCode).where(OAuthCode.id == authorization_code.row.id))

    def authenticate_user(self, authorization_code: Code) -> User | None:
        """The user, while the session that approved the code is alive."""
        session = authorization_code.session
        user = db.session.get(User, authorization_code.grant.user_id)
        if (user is None or not user.is_active or session.ended_at is not None
                or session.token_version != user.token_version):
            return None
        return user


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """Rotating refresh tokens with reuse detection (app.oauth_server.tokens)."""

    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        """The live token; a replayed one revokes its family."""
        return tokens.find_refresh_token(refresh_token)

    def authenticate_user(self, refresh_token: Token) -> User:
        """The token's user (checked alive by the lookup)."""
        return refresh_token.user

    def revoke_old_credential(self, refresh_token: Token) -> None:
        """The exchanged refresh token never works again."""
        tokens.mark_rotated(refresh_token.row)


class Revocation(RevocationEndpoint):
    """RFC 7009: a client revokes its own token (and the rest of its refresh chain)."""

    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        """The live token with this value."""
        return tokens.find_any(token_string)

    def revoke_token(self, token: Token, request) -> None:
        """Revoke the token's whole family."""
        tokens.revoke_family(token.row.family)


class Introspection(IntrospectionEndpoint):
    """RFC 7662, for confidential clients, about their own tokens."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        """The live token with this value."""
        return tokens.find_any(token_string)

    def check_permission(self, token: Token, client: Client, request) -> bool:
        """Only the application the token was issued to may ask about it."""
        return token.check_client(client)

    def introspect_token(self, token: Token) -> dict:
        """What the token stands for."""
        return {"active": True, "client_id": token.client.client_id, "token_type": "Bearer",
                "username": token.user.email, "scope": token.get_scope(),
                "sub": str(token.user.id), "aud": token.client.client_id,
                "iss": settings.issuer(), "exp": token.get_expires_at(),
                "iat": int(token.row.issued_at.timestamp()),
                "sid": str(token.row.session_id)}


def _generate_token(grant_type, client, user=None, scope=None, expires_in=None,
                    include_refresh_token=True):
    # A refresh token only for offline_access (OpenID Connect Core 11).
    generator = BearerTokenGenerator(tokens.new_access_token, tokens.new_refresh_token,
                                     lambda client, grant_type: settings.access_token_lifetime())
    offline = OFFLINE in (scope or "").split()
    return generator.generate(grant_type, client, user, scope, expires_in,
                              include_refresh_token and offline)


def _save_token(token: dict, request) -> None:
    code, previous = request.authorization_code, getattr(request, "refresh_token", None)
    if code is not None:
        tokens.store(token, grant_id=code.grant.id, session=code.session, family=None)
        touch(code.grant.id)
    else:
        session = db.session.get(UserSession, previous.row.session_id)
        tokens.store(token, grant_id=previous.row.grant_id, session=session,
                     family=previous.row.family)
        touch(previous.row.grant_id)


EXTENSION = "signet.oauth_server"


def init_server(app) -> AuthorizationServer:
    """Build this app's server with its grants and endpoints (one per app: tests build many)."""
    server = AuthorizationServer()
    server.init_app(app, query_client=find_client, save_token=_save_token)
    server.register_token_generator("default", _generate_token)
    server.register_grant(AuthorizationCodeGrant, [SignetOpenIDCode(require_nonce=False),
                                                   S256Only(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    app.extensions[EXTENSION] = server
    return server


def oauth_server() -> AuthorizationServer:
    """The current app's authorization server."""
    return current_app.extensions[EXTENSION]
