"""Users' grants to applications: consent remembered per application and scope set."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from app.audit import record_event
from app.db_types import utcnow
from app.exceptions import NotFound
from app.extensions import db
from app.oauth_server.models import OAuthClient, OAuthCode, OAuthGrant, OAuthToken
from app.oauth_server.scopes import normalise
from app.transactions import transaction
from app.users.models import User

# A user's grants are listed whole: one per application, and applications are few.
GRANTS_LISTED = 200


def find_grant(*, user_id: int, client_pk: int) -> OAuthGrant | None:
    """The user's grant to this application, or None."""
    return db.session.scalar(select(OAuthGrant).where(OAuthGrant.user_id == user_id,
                                                      OAuthGrant.client_pk == client_pk))


def covers(grant: OAuthGrant | None, scope: str) -> bool:
    """True when the user already consented to every scope in `scope`."""
    return grant is not None and set(scope.split()) <= set(grant.scopes.split())


def remember(*, user: User, client: OAuthClient, scope: str) -> OAuthGrant:
    """Record consent to `scope` (added to any earlier one). Caller commits."""
    grant = find_grant(user_id=user.id, client_pk=client.id)
    now = utcnow()
    if grant is None:
        grant = OAuthGrant(user_id=user.id, client_pk=client.id, scopes=normalise(scope),
                           created_at=now, last_used_at=now)
        db.session.add(grant)
        db.session.flush()
        record_event("oauth.grant_created", actor_id=user.id, subject_id=user.id,
                     details={"client": client.client_id, "scopes": grant.scopes.split()})
    else:
        grant.scopes = normalise(f"{grant.scopes} {scope}")
        grant.last_used_at = now
    return grant


def touch(grant_id: int) -> None:
    """Stamp the grant as used now. Caller commits."""
    db.session.execute(update(OAuthGrant).where(OAuthGrant.id == grant_id)
                       .values(last_used_at=utcnow()))


def list_grants(*, user: User) -> list[tuple[OAuthGrant, OAuthClient]]:
    """The user's grants with their applications, newest first."""
    query = (select(OAuthGrant, OAuthClient)
             .join(OAuthClient, OAuthClient.id == OAuthGrant.client_pk)
             .where(OAuthGrant.user_id == user.id)
             .order_by(OAuthGrant.id.desc()).limit(GRANTS_LISTED))
    return [tuple(row) for row in db.session.execute(query)]


def revoke_grant(*, user: User, grant_id: int) -> None:
    """Withdraw a grant: every code and token of that application for the user dies. Commits."""
    with transaction():
        grant = db.session.scalar(select(OAuthGrant).where(OAuthGrant.id == grant_id,
                                                           OAuthGrant.user_id == user.id))
        if grant is None:
            raise NotFound("No such grant.")
        # Deleted explicitly, not only by ON DELETE CASCADE: the tokens must be gone
        # whatever the database's foreign-key settings.
        db.session.execute(delete(OAuthToken).where(OAuthToken.grant_id == grant.id))
        db.session.execute(delete(OAuthCode).where(OAuthCode.grant_id == grant.id))
        db.session.delete(grant)
        record_event("oauth.grant_revoked", actor_id=user.id, subject_id=user.id,
                     details={"grant": grant_id})
