"""Registering applications (OpenID Provider clients): an administrator's use cases.

A confidential client's secret is shown once, when made or rotated; only its SHA-256 is
kept (app.hashing: 256 random bits need no slow hash). A public client (a browser or
native app) cannot keep a secret, so it never holds one and must use PKCE.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from app.audit import record_event
from app.exceptions import InvalidField, NotFound
from app.extensions import db
from app.hashing import token_hash
from app.oauth_server.models import (
    CONFIDENTIAL,
    PUBLIC,
    OAuthClient,
    OAuthCode,
    OAuthGrant,
    OAuthToken,
)
from app.oauth_server.scopes import SUPPORTED, normalise
from app.transactions import transaction
from app.users.models import User

SECRET_PREFIX = "sgn_ocs_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32
MAX_URIS = 10
MAX_URI_LENGTH = 2000
CLIENTS_LISTED = 500


def _check_uris(field: str, uris: list[str]) -> str:
    """The URIs as stored JSON; InvalidField naming `field` when one is not acceptable."""
    if len(uris) > MAX_URIS:
        raise InvalidField(field, f"At most {MAX_URIS} URIs.")
    for uri in uris:
        if len(uri) > MAX_URI_LENGTH:
            raise InvalidField(field, f"Each URI is at most {MAX_URI_LENGTH} characters.")
        try:
            parts = urlsplit(uri)
        except ValueError:
            raise InvalidField(field, f"Not a URI: {uri}") from None
        # RFC 6749 3.1.2: absolute, no fragment. Plain http only for loopback development.
        if not parts.scheme or parts.fragment or "#" in uri or any(c.isspace() for c in uri):
            raise InvalidField(field, f"Must be an absolute URI without a fragment: {uri}")
        if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
            raise InvalidField(field, f"Use https (http is for localhost only): {uri}")
        if parts.scheme in ("javascript", "data", "file", "vbscript"):
            raise InvalidField(field, f"Not a redirect target: {uri}")
    return json.dumps(list(dict.fromkeys(uris)))


def _check_scopes(scopes: list[str]) -> str:
    unknown = sorted(set(scopes) - set(SUPPORTED))
    if unknown:
        raise InvalidField("scopes", f"Unknown scopes: {', '.join(unknown)}.")
    return normalise(" ".join(scopes))


def create_client(*, admin: User, name: str, redirect_uris: list[str], client_type: str,
                  scopes: list[str], first_party: bool = False,
                  post_logout_redirect_uris: list[str] | None = None) -> OAuthClient:
    """Register an application. Commits; a confidential one gets `.secret`, shown once."""
    if client_type not in (PUBLIC, CONFIDENTIAL):
        raise InvalidField("type", "Must be public or confidential.")
    if not redirect_uris:
        raise InvalidField("redirectUris", "At least one redirect URI.")
    row = OAuthClient(
        client_id=secrets.token_urlsafe(18), name=name, client_type=client_type,
        redirect_uris_json=_check_uris("redirectUris", redirect_uris),
        post_logout_uris_json=_check_uris("postLogoutRedirectUris",
                                          post_logout_redirect_uris or []),
        scopes=_check_scopes(scopes), first_party=first_party)
    secret = None
    if client_type == CONFIDENTIAL:
        secret = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
        row.secret_hash = token_hash(secret)
    with transaction():
        db.session.add(row)
        db.session.flush()
        record_event("oauth.client_created", actor_id=admin.id,
                     details={"client": row.client_id, "type": client_type})
    row.secret = secret
    return row


def list_clients() -> list[OAuthClient]:
    """Every registered application, newest first."""
    query = select(OAuthClient).order_by(OAuthClient.id.desc()).limit(CLIENTS_LISTED)
    return list(db.session.scalars(query))


def get_client(client_id: str) -> OAuthClient:
    """The application with this clientId; NotFound otherwise."""
    row = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    if row is None:
        raise NotFound("No such application.")
    return row


def update_client(*, admin: User, client_id: str, changes: dict) -> OAuthClient:
    """Change an application's name, URIs, scopes or firstParty. Commits."""
    row = get_client(client_id)
    if "name" in changes:
        row.name = changes["name"]
    if "redirect_uris" in changes:
        if not changes["redirect_uris"]:
            raise InvalidField("redirectUris", "At least one redirect URI.")
        row.redirect_uris_json = _check_uris("redirectUris", changes["redirect_uris"])
    if "post_logout_redirect_uris" in changes:
        row.post_logout_uris_json = _check_uris("postLogoutRedirectUris",
                                                changes["post_logout_redirect_uris"])
    if "scopes" in changes:
        row.scopes = _check_scopes(changes["scopes"])
    if "first_party" in changes:
        row.first_party = changes["first_party"]
    with transaction():
        record_event("oauth.client_updated", actor_id=admin.id,
                     details={"client": client_id, "fields": sorted(changes)})
    return row


def delete_client(*, admin: User, client_id: str) -> None:
    """Remove an application with every grant and token it held. Commits."""
    row = get_client(client_id)
    with transaction():
        grants = select(OAuthGrant.id).where(OAuthGrant.client_pk == row.id)
        db.session.execute(delete(OAuthToken).where(OAuthToken.grant_id.in_(grants)))
        db.session.execute(delete(OAuthCode).where(OAuthCode.grant_id.in_(grants)))
        db.session.execute(delete(OAuthGrant).where(OAuthGrant.client_pk == row.id))
        db.session.delete(row)
        record_event("oauth.client_deleted", actor_id=admin.id, details={"client": client_id})


def rotate_secret(*, admin: User, client_id: str) -> OAuthClient:
    """Give a confidential application a new secret (the old one stops now). Commits."""
    row = get_client(client_id)
    if row.is_public:
        raise InvalidField("type", "A public client cannot hold a secret.", status=409)
    secret = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    with transaction():
        row.secret_hash = token_hash(secret)
        record_event("oauth.client_secret_rotated", actor_id=admin.id,
                     details={"client": client_id})
    row.secret = secret
    return row
