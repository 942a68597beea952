"""The OpenID Provider's tables: clients, users' grants, authorization codes and tokens."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db

PUBLIC, CONFIDENTIAL = "public", "confidential"


class OAuthClient(db.Model):
    """An application that offers "Sign in with Signet"; its secret is stored hashed."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column("clientId", String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    client_type: Mapped[str] = mapped_column("type", String(16), nullable=False)
    secret_hash: Mapped[str | None] = mapped_column("secretHash", String(64), nullable=True)
    # JSON lists: exact strings, compared whole (no prefix or pattern matching).
    redirect_uris_json: Mapped[str] = mapped_column("redirectUris", Text, nullable=False)
    post_logout_uris_json: Mapped[str] = mapped_column(
        "postLogoutRedirectUris", Text, nullable=False, default="[]")
    scopes: Mapped[str] = mapped_column(String(255), nullable=False)
    first_party: Mapped[bool] = mapped_column(
        "firstParty", Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)

    @property
    def redirect_uris(self) -> list[str]:
        """The registered redirect URIs."""
        return json.loads(self.redirect_uris_json)

    @property
    def post_logout_redirect_uris(self) -> list[str]:
        """The registered post-logout redirect URIs."""
        return json.loads(self.post_logout_uris_json)

    @property
    def scope_list(self) -> list[str]:
        """The scopes this client may ask for."""
        return self.scopes.split()

    @property
    def is_public(self) -> bool:
        """True for a client that cannot keep a secret (browser or native app)."""
        return self.client_type == PUBLIC


class OAuthGrant(db.Model):
    """A user's consent to one application: the scopes granted, remembered for next time."""

    __tablename__ = "oauth_grants"
    __table_args__ = (UniqueConstraint("userId", "clientId", name="uq_oauth_grants_user_client"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        "userId", ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    client_pk: Mapped[int] = mapped_column(
        "clientId", ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=False,
        index=True)
    scopes: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", UTCDateTime(), default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(
        "lastUsedAt", UTCDateTime(), nullable=True)


class OAuthCode(db.Model):
    """An authorization code: single use, short-lived, bound to client, redirect and PKCE."""

    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column("codeHash", String(64), nullable=False, unique=True)
    grant_id: Mapped[int] = mapped_column(
        "grantId", ForeignKey("oauth_grants.id", ondelete="CASCADE"), nullable=False, index=True)
    session_id: Mapped[int] = mapped_column(
        "sessionId", ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True)
    redirect_uri: Mapped[str] = mapped_column("redirectUri", Text, nullable=False)
    scope: Mapped[str] = mapped_column(String(255), nullable=False)
    nonce: Mapped[str | None] = mapped_column(String(255), nullable=True)
    code_challenge: Mapped[str | None] = mapped_column("codeChallenge", String(128), nullable=True)
    code_challenge_method: Mapped[str | None] = mapped_column(
        "codeChallengeMethod", String(8), nullable=True)
    expires_at: Mapped[datetime] = mapped_column("expiresAt", UTCDateTime(), nullable=False)


class OAuthToken(db.Model):
    """An access token and its refresh token (both stored hashed), bound to a session.

    `family` is the id of the first token of a refresh chain: presenting a refresh token
    that was already rotated revokes the whole family (reuse detection).
    """

    __tablename__ = "oauth_tokens"
    __table_args__ = (Index("ix_oauth_tokens_family", "family"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(
        "grantId", ForeignKey("oauth_grants.id", ondelete="CASCADE"), nullable=False, index=True)
    session_id: Mapped[int] = mapped_column(
        "sessionId", ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True)
    family: Mapped[int | None] = mapped_column(Integer, nullable=True)
    access_hash: Mapped[str] = mapped_column(
        "accessHash", String(64), nullable=False, unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(
        "refreshHash", String(64), nullable=True, unique=True)
    scope: Mapped[str] = mapped_column(String(255), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(
        "issuedAt", UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column("expiresAt", UTCDateTime(), nullable=False)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(
        "refreshExpiresAt", UTCDateTime(), nullable=True)
    # Set when the refresh token was exchanged (rotation) or the token was revoked.
    rotated_at: Mapped[datetime | None] = mapped_column("rotatedAt", UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column("revokedAt", UTCDateTime(), nullable=True)
