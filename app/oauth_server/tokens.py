"""Applications' access and refresh tokens: made, stored hashed, looked up alive, revoked.

A token is alive while its row is not revoked, its Signet session has not ended (nor
expired), the user is active and has not changed the password since (users.token_version,
as for sessions), and the user's grant to the application still exists (deleting a grant
deletes its tokens). Refresh tokens rotate: each is exchanged once; presenting one that was
already exchanged revokes its whole family (RFC 9700 section 4.14.2).
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from app.db_types import utcnow
from app.extensions import db
from app.hashing import token_hash
from app.oauth_server import settings
from app.oauth_server.adapters import Token
from app.oauth_server.models import OAuthClient, OAuthGrant, OAuthToken
from app.sessions.models import UserSession
from app.users.models import User

log = logging.getLogger(__name__)
ACCESS_PREFIX, REFRESH_PREFIX = "sgn_oat_", "sgn_ort_"
TOKEN_BYTES = 32
# Ours are 51 characters: a much longer value is refused before it is hashed.
MAX_TOKEN_LENGTH = 128


def new_access_token(**_context) -> str:
    """A fresh access token value (Authlib's generator signature)."""
    return ACCESS_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def new_refresh_token(**_context) -> str:
    """A fresh refresh token value."""
    return REFRESH_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def _alive():
    now = utcnow()
    return (select(OAuthToken, OAuthClient, User)
            .join(OAuthGrant, OAuthGrant.id == OAuthToken.grant_id)
            .join(OAuthClient, OAuthClient.id == OAuthGrant.client_pk)
            .join(User, User.id == OAuthGrant.user_id)
            .join(UserSession, UserSession.id == OAuthToken.session_id)
            .where(OAuthToken.revoked_at.is_(None), UserSession.ended_at.is_(None),
                   UserSession.expires_at > now, User.is_active.is_(True),
                   UserSession.token_version == User.token_version))


def _one(query) -> Token | None:
    row = db.session.execute(query).first()
    return Token(*row) if row is not None else None


def find_access_token(value: str) -> Token | None:
    """The live, unexpired token whose access token is `value`, or None."""
    if not value.startswith(ACCESS_PREFIX) or len(value) > MAX_TOKEN_LENGTH:
        return None
    return _one(_alive().where(OAuthToken.access_hash == token_hash(value),
                               OAuthToken.expires_at > utcnow()))


def find_refresh_token(value: str) -> Token | None:
    """The live token whose refresh token is `value`; a replayed one revokes its family.

    Caller commits (the revocation must stand although the request fails).
    """
    if not value.startswith(REFRESH_PREFIX) or len(value) > MAX_TOKEN_LENGTH:
        return None
    digest = token_hash(value)
    row = db.session.scalar(select(OAuthToken).where(OAuthToken.refresh_hash == digest))
    if row is None:
        return None
    if row.rotated_at is not None:
        log.warning("refresh token of family %s replayed: revoking the family", row.family)
        revoke_family(row.family)
        return None
    return _one(_alive().where(OAuthToken.id == row.id, OAuthToken.refresh_expires_at > utcnow()))


def find_any(value: str) -> Token | None:
    """The live token with this access or refresh token (revocation, introspection)."""
    if len(value) > MAX_TOKEN_LENGTH:
        return None
    if value.startswith(REFRESH_PREFIX):
        return _one(_alive().where(OAuthToken.refresh_hash == token_hash(value),
                                   OAuthToken.rotated_at.is_(None)))
    return find_access_token(value)


def store(token: dict, *, grant_id: int, session: UserSession, family: int | None) -> OAuthToken:
    """Keep the hashes of a freshly issued token pair. Caller commits."""
    now = utcnow()
    refresh = token.get("refresh_token")
    refresh_expires = None
    if refresh:
        # Never beyond the Signet session it was issued under.
        refresh_expires = min(now + settings.refresh_token_lifetime(), session.expires_at)
    row = OAuthToken(grant_id=grant_id, session_id=session.id, family=family,
                     access_hash=token_hash(token["access_token"]),
                     refresh_hash=token_hash(refresh) if refresh else None,
                     scope=token.get("scope", ""), issued_at=now,
                     expires_at=now + timedelta(seconds=int(token["expires_in"])),
                     refresh_expires_at=refresh_expires)
    db.session.add(row)
    db.session.flush()
    if row.family is None:
        row.family = row.id
    return row


def mark_rotated(row: OAuthToken) -> None:
    """The refresh token was exchanged: it never works again. Caller commits."""
    db.session.execute(update(OAuthToken).where(OAuthToken.id == row.id)
                       .values(rotated_at=utcnow()))


def revoke_family(family: int | None) -> None:
    """Revoke every token of a refresh chain. Caller commits."""
    if family is None:
        return
    db.session.execute(update(OAuthToken).where(OAuthToken.family == family,
                                                OAuthToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))
