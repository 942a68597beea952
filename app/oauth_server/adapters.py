"""Authlib's view of our rows: client, authorization code and token wrappers."""

from __future__ import annotations

import hmac
from datetime import datetime

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oidc.core import AuthorizationCodeMixin

from app.db_types import utcnow
from app.extensions import db
from app.hashing import token_hash
from app.oauth_server.models import OAuthClient, OAuthCode, OAuthGrant, OAuthToken
from app.sessions.models import UserSession
from app.users.models import User

SECRET_METHODS = ("client_secret_basic", "client_secret_post")
GRANT_TYPES = ("authorization_code", "refresh_token")


class Client(ClientMixin):
    """An OAuthClient row as Authlib asks about it."""

    def __init__(self, row: OAuthClient):
        self.row = row
        self.client_id = row.client_id

    def get_client_id(self) -> str:
        """The public identifier."""
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        """None: every request names its redirect URI (OpenID Connect requires it)."""
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        """The asked scopes this client may have; the others are dropped (RFC 6749 3.3)."""
        allowed = set(self.row.scope_list)
        return " ".join(s for s in dict.fromkeys((scope or "").split()) if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact string match against a registered URI."""
        return redirect_uri in self.row.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        """Compare the secret's hash in constant time."""
        stored = self.row.secret_hash
        return stored is not None and hmac.compare_digest(stored, token_hash(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """Public clients authenticate with nothing; confidential ones with their secret."""
        return method == "none" if self.row.is_public else method in SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        """Only the authorization code flow."""
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        """Authorization code and refresh token."""
        return grant_type in GRANT_TYPES

    @property
    def client_metadata(self) -> dict:
        """What RP-initiated logout reads."""
        return {"post_logout_redirect_uris": self.row.post_logout_redirect_uris}


class Code(AuthorizationCodeMixin):
    """An OAuthCode row, with the session that signed the user in."""

    def __init__(self, row: OAuthCode, session: UserSession, grant: OAuthGrant):
        self.row, self.session, self.grant = row, session, grant
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        """The redirect URI the code was issued for."""
        return self.row.redirect_uri

    def get_scope(self) -> str:
        """The scopes granted."""
        return self.row.scope

    def get_nonce(self) -> str | None:
        """The client's nonce, repeated in the ID token."""
        return self.row.nonce

    def get_auth_time(self) -> int:
        """When the Signet session started."""
        return int(self.session.created_at.timestamp())

    def get_amr(self) -> list[str]:
        """How that sign-in proved who it was."""
        return self.session.auth_methods.split()

    def get_acr(self) -> None:
        """No acr values are offered."""
        return None


class Token(TokenMixin):
    """An OAuthToken row with its client and user."""

    def __init__(self, row: OAuthToken, client: OAuthClient, user: User):
        self.row, self.client, self.user = row, client, user

    def check_client(self, client: Client) -> bool:
        """True when issued to `client`."""
        return client.row.id == self.client.id

    def get_scope(self) -> str:
        """The scopes granted."""
        return self.row.scope

    def get_expires_in(self) -> int:
        """Seconds the access token lives in all."""
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def get_expires_at(self) -> int:
        """When the access token expires (Unix time)."""
        return int(self.row.expires_at.timestamp())

    def is_expired(self) -> bool:
        """True when the access token has expired."""
        return self.row.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        """True when revoked (by the client, the user or reuse detection)."""
        return self.row.revoked_at is not None

    def get_user(self) -> User:
        """The user the token acts for."""
        return self.user

    def get_client(self) -> Client:
        """The application the token was issued to."""
        return Client(self.client)


def find_client(client_id: str | None) -> Client | None:
    """The client with this public identifier, or None."""
    if not client_id or len(client_id) > 64:
        return None
    row = db.session.query(OAuthClient).filter_by(client_id=client_id).one_or_none()
    return Client(row) if row is not None else None


def expired(moment: datetime | None) -> bool:
    """True when `moment` is in the past."""
    return moment is not None and moment <= utcnow()
