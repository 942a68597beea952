"""Personal access tokens: created by a signed-in person, sent by scripts as bearer tokens.

A token is `sgn_pat_` and 256 random bits; only its SHA-256 is stored, so the table gives
nothing to sign in with. A request that sends one is resolved before Flask-JWT-Extended
looks at it: one statement (the hash joined with its owner), then the endpoint's scope
decision (app.scopes). The request then carries a short-lived internal access token that
names the personal token, so `jwt_required` and `current_user` work the same for both kinds
of bearer token; the callbacks in app.auth.tokens accept such a token only in the request
that resolved it.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from flask import current_app, request
from flask_jwt_extended import create_access_token
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app import scopes
from app.audit import record_event
from app.db_types import utcnow
from app.exceptions import Conflict, InsufficientScope, InvalidField, NotFound, Unauthorized
from app.extensions import db, jwt
from app.hashing import token_hash
from app.settings import settings
from app.tokens.models import PersonalAccessToken
from app.transactions import take_sqlite_write_lock, transaction
from app.users.models import User
from app.users.reauth import require_recent_sign_in

log = logging.getLogger(__name__)
PREFIX = "sgn_pat_"
TOKEN_BYTES = 32
# Ours are 51 characters; anything much longer is refused before it is hashed.
MAX_TOKEN_LENGTH = 128
# Logs name a token by its first characters only, never the whole secret.
LOG_PREFIX_LENGTH = len(PREFIX) + 4
LAST_USED_INTERVAL = timedelta(seconds=60)
INTERNAL_TOKEN_LIFETIME = timedelta(seconds=60)
CLAIM = "pat"
# The token this request resolved, in the WSGI environ: per request, unlike flask.g, which
# an app context may share between requests (the test client's does).
RESOLVED = "signet.personal_token"


def create_token(*, user: User, name: str, scopes: list[str], expires_in_days: int,
                 current_password: str | None = None) -> PersonalAccessToken:
    """Create a token for `user` after proof of a recent sign-in. Commits.

    The row is returned with the secret attached as `.secret`, for the one response that
    shows it; only its hash is stored.
    """
    require_recent_sign_in(user, current_password)
    granted = list(dict.fromkeys(scopes))  # without repeats, in the order asked
    if not user.is_admin and scopes_need_admin(granted):
        raise InvalidField("scopes", "users:read and users:write are for administrators.",
                           status=403)
    secret = PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    with transaction():
        _check_room_for_one_more(user.id)
        # One instant for both: the column default ran at flush, a second later now and
        # then, so a 365-day token showed 364 days, 23:59:59 between createdAt and expiresAt.
        now = utcnow()
        token = PersonalAccessToken(
            user_id=user.id, name=name, token_hash=token_hash(secret),
            scopes=" ".join(granted), token_version=user.token_version, created_at=now,
            expires_at=now + timedelta(days=expires_in_days))
        db.session.add(token)
        db.session.flush()
        record_event("token.created", actor_id=user.id, subject_id=user.id,
                     details={"token": token.id, "scopes": granted})
    token.secret = secret
    return token


def _check_room_for_one_more(user_id: int) -> None:
    """Raise Conflict when the user holds PERSONAL_TOKENS_PER_USER tokens already.

    The count and the insert after it must not interleave with another create of the
    same user (16 at once passed a cap of 50 by 3): the owner's row is locked first
    (FOR UPDATE on MariaDB, which also opens the transaction, so the count reads after
    the lock; SQLite's one write lock), and the lock is held until the commit.
    """
    take_sqlite_write_lock()
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    limit = settings().tokens.personal_tokens_per_user
    held = db.session.scalar(select(func.count()).select_from(PersonalAccessToken)
                             .where(PersonalAccessToken.user_id == user_id))
    if held >= limit:
        raise Conflict(f"You already hold {limit} personal access tokens; delete one first.")


def scopes_need_admin(granted: list[str]) -> bool:
    """True when any of the scopes is one only admins may hold."""
    return any(scope in scopes.ADMIN_SCOPES for scope in granted)


def list_tokens(*, user: User) -> list[PersonalAccessToken]:
    """The user's tokens, newest first (expired ones too, until deleted)."""
    query = (select(PersonalAccessToken).where(PersonalAccessToken.user_id == user.id)
             .order_by(PersonalAccessToken.id.desc()))
    return list(db.session.scalars(query))


def revoke_token(*, user: User, token_id: int) -> None:
    """Delete one of the user's tokens: refused at once everywhere. Commits."""
    with transaction():
        result = db.session.execute(
            delete(PersonalAccessToken)
            .where(PersonalAccessToken.id == token_id, PersonalAccessToken.user_id == user.id))
        if result.rowcount != 1:
            raise NotFound("No such personal access token.")
        record_event("token.revoked", actor_id=user.id, subject_id=user.id,
                     details={"token": token_id})


def resolve(secret: str) -> tuple[PersonalAccessToken, User]:
    """The token and its owner, in one statement; Unauthorized when it may not be used."""
    if len(secret) > MAX_TOKEN_LENGTH:
        raise Unauthorized("The personal access token is invalid.")
    row = db.session.execute(
        select(PersonalAccessToken, User).join(User, User.id == PersonalAccessToken.user_id)
        .where(PersonalAccessToken.token_hash == token_hash(secret))).first()
    if row is None:
        log.info("unknown or revoked personal token %s...", secret[:LOG_PREFIX_LENGTH])
        raise Unauthorized("The personal access token is invalid or was revoked.")
    token, owner = row
    now = utcnow()
    if token.expires_at <= now:
        raise Unauthorized("The personal access token has expired.")
    if not owner.is_active or owner.token_version != token.token_version:
        raise Unauthorized("The personal access token is no longer valid for this account.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_INTERVAL:
        _stamp_used(token.id, now)
    return token, owner


def _stamp_used(token_id: int, now) -> None:
    # Its own short transaction: a read-only request has nothing to commit, and a failure
    # only costs the stamp. The WHERE makes concurrent workers write at most once.
    table = PersonalAccessToken.__table__
    try:
        with db.engine.begin() as connection:
            connection.execute(
                update(table).where(table.c.id == token_id, or_(
                    table.c.lastUsedAt.is_(None),
                    table.c.lastUsedAt < now - LAST_USED_INTERVAL))
                .values(lastUsedAt=now))
    except SQLAlchemyError as error:
        log.warning("could not stamp personal token %s as used: %s", token_id, error)


def authorize(token: PersonalAccessToken, owner: User, decision: scopes.Decision) -> None:
    """Raise InsufficientScope unless the endpoint's decision lets this token through."""
    if decision in (scopes.NEVER, scopes.MISSING):
        raise InsufficientScope(detail=(
            "Personal access tokens cannot do this: sign in with your password."))
    if decision not in token.scope_list:
        raise InsufficientScope(decision)
    if decision in scopes.ADMIN_SCOPES and not owner.is_admin:
        raise InsufficientScope(decision, detail=(
            f"The scope {decision} only works while the token's owner is an administrator."))


def authenticate_personal_token() -> None:
    """before_request: resolve a personal token sent as the bearer token, if any."""
    secret = _sent_personal_token()
    if secret is None or request.routing_exception is not None:
        return
    decision = scopes.decision_for(current_app, request.endpoint, request.method)
    if decision == scopes.OPEN:
        return
    token, owner = resolve(secret)
    authorize(token, owner, decision)
    admit(token.id, owner)


def admit(key: int | str, owner: User) -> None:
    """Let this request through as `owner`, for a bearer token resolved before the view.

    `key` names what was resolved (a personal token's id; app.oauth_server passes its own
    keys): the request then carries a short-lived internal access token naming it, so
    `jwt_required` and `current_user` work as for a sign-in.
    """
    request.environ[RESOLVED] = (key, owner)
    internal = create_access_token(identity=str(owner.id), additional_claims={CLAIM: key},
                                   expires_delta=INTERNAL_TOKEN_LIFETIME)
    request.environ["HTTP_AUTHORIZATION"] = f"Bearer {internal}"


def personal_token_owner(payload: dict) -> User | None:
    """The owner, when `payload` is the internal token of the personal token resolved here.

    None for anything else: a token with a `pat` claim that this request did not resolve
    (signed elsewhere with the key) never gets in.
    """
    resolved = request.environ.get(RESOLVED)
    if resolved is None or resolved[0] != payload.get(CLAIM):
        return None
    return resolved[1]


def _sent_personal_token() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value.startswith(PREFIX):
        return value
    return None


def init_personal_tokens(app) -> None:
    """Resolve personal tokens before any view (and Flask-JWT-Extended) runs."""
    app.before_request(authenticate_personal_token)
    # The internal token is minted anew for every request: not worth remembering.
    jwt.never_remember(CLAIM)
