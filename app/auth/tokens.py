"""JWT issuing and the Flask-JWT-Extended callbacks that check every token."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import request
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token
from flask_jwt_extended.exceptions import JWTDecodeError

from app.db_types import MAX_ID
from app.errors import problem
from app.sessions.service import start_session, touch_session
from app.settings import settings
from app.tokens import revocation
from app.tokens.personal_tokens import CLAIM as PERSONAL_TOKEN_CLAIM
from app.tokens.personal_tokens import personal_token_owner
from app.transactions import transaction
from app.users.models import User

TOKEN_TYPE = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
# Per request (the WSGI environ), unlike flask.g, which an app context may share.
ISSUED_TOKENS = "signet.issued_tokens"
USER_ID = re.compile(r"[1-9][0-9]{0,9}")
# The revocation store keys a token by its id (a UUID, 36 characters) in a 64-character
# column: a longer one, even correctly signed, was a database error on MariaDB.
MAX_TOKEN_ID_LENGTH = 64
# 9999-12-31T23:59:59Z: the last instant a datetime holds; expiry arithmetic fails beyond.
MAX_TIMESTAMP = 253402300799
# Where the token check leaves its one lookup for the user loader that runs after it
# (in the WSGI environ: per request, unlike flask.g, which an app context may share).
KEPT_LOOKUPS = "signet.token_lookups"


def issue_token_pair(user: User, *, auth_methods: tuple[str, ...] = ("pwd",),
                     before_commit: Callable[[], None] | None = None) -> dict:
    """Sign `user` in: start a session and return its first token pair. Commits.

    Every place that hands out a new pair without a refresh token (login, and any other
    sign-in) comes through here, so every pair belongs to a session row. It ends the
    sign-in's unit of work: `before_commit()` adds what belongs to it (the audit line, a
    spent code) in the same transaction, so a sign-in commits once, all or nothing.
    `auth_methods` says how the user proved who they are (OpenID `amr`: pwd, otp, hwk, fed).
    """
    with transaction():
        if before_commit is not None:
            before_commit()
        session = start_session(user, auth_methods=auth_methods)
    return session_token_pair(user, session_id=session.id, refresh_jti=session.refresh_jti)


def session_token_pair(user: User, *, session_id: int, refresh_jti: str) -> dict:
    """Return the login body for a session whose current refresh token id is `refresh_jti`.

    Both tokens carry the session (`sid`: ending it refuses them) and the user's token
    version (`ver`: a password change bumps it).
    """
    claims = {"ver": user.token_version, "sid": session_id}
    refresh = create_refresh_token(
        identity=str(user.id), additional_claims={**claims, "jti": refresh_jti}
    )
    access = create_access_token(identity=str(user.id), additional_claims=claims)
    body = {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": TOKEN_TYPE,
        "expires_in": settings().tokens.access_expires,
    }
    # Handed to the browser layer (app.web.forms), which turns them into cookies for a
    # form post, whichever endpoint issued them and whatever its JSON body looks like.
    if request:
        request.environ[ISSUED_TOKENS] = body
    return body


def issued_tokens() -> dict | None:
    """The token pair issued while handling this request, if any."""
    return request.environ.get(ISSUED_TOKENS)


def check_claims(payload: dict) -> None:
    """Refuse a correctly signed token whose claims are not the shapes this service issues.

    Anyone holding the key (a sibling service sharing it, say) can sign `sub: "ada@x"` or
    leave out `exp`: such a token is a 401, never a crash in the code that trusts them.
    """
    sub, sid = payload.get("sub"), payload.get("sid")
    if not (isinstance(sub, str) and USER_ID.fullmatch(sub) and int(sub) <= MAX_ID
            and _is_token_id(payload.get("jti"))
            and type(sid) is int and 1 <= sid <= MAX_ID
            and _is_timestamp(payload.get("exp")) and _is_timestamp(payload.get("iat"))):
        raise JWTDecodeError("The token's claims are not ones this service issues.")


def revocation_keys(payload: dict) -> list[str]:
    """The revocation-store keys that refuse this token: its jti, and its session's."""
    sid = payload.get("sid")
    return [payload["jti"]] if sid is None else [payload["jti"], revocation.session_key(sid)]


def _look_up_and_keep(payload: dict) -> revocation.TokenLookup:
    """The one lookup of a request (user row plus revocation of the token's keys), kept
    for the user loader that runs next."""
    found = revocation.lookup(int(payload["sub"]), revocation_keys(payload))
    request.environ.setdefault(KEPT_LOOKUPS, {})[payload["jti"]] = found
    return found


def _take_kept_lookup(payload: dict) -> revocation.TokenLookup:
    """The lookup the blocklist check kept for this token (taken once), else a new one."""
    found = request.environ.get(KEPT_LOOKUPS, {}).pop(payload["jti"], None)
    return found if found is not None else _look_up_and_keep(payload)


def _is_token_id(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_TOKEN_ID_LENGTH


def _is_timestamp(value) -> bool:
    return type(value) is int and 0 <= value <= MAX_TIMESTAMP


# Flask-JWT-Extended's WrongTokenError reasons, said as what to send instead.
WRONG_KIND = {
    "Only non-refresh tokens are allowed": (
        "This endpoint takes an access token, not a refresh token: send the access_token."),
    "Only refresh tokens are allowed": (
        "This endpoint takes a refresh token, not an access token: send the refresh_token."),
}


def _unauthorized(detail: str):
    return problem(401, detail, headers={"WWW-Authenticate": TOKEN_TYPE})


def register_jwt_callbacks(jwt: JWTManager) -> None:
    """Make every token failure a 401 problem and load the user fresh on each request."""

    @jwt.user_lookup_loader
    def load_user(_header: dict, payload: dict) -> User | None:
        if PERSONAL_TOKEN_CLAIM in payload:  # resolved with its owner in one statement
            return personal_token_owner(payload)
        # Role and isActive come from the store's lookup (database row, or a cache entry
        # invalidated by every change), never from the token. The blocklist check below
        # ran first and made that lookup; this reuses it.
        user = _take_kept_lookup(payload).user
        if user is None or not user.is_active:
            return None
        if payload.get("ver") != user.token_version:
            return None
        touch_session(payload["sid"])
        return user

    @jwt.token_in_blocklist_loader
    def token_revoked(_header: dict, payload: dict) -> bool:
        # The first of our callbacks to see a decoded token: check its claims before any
        # store, query or user lookup relies on them (JWTDecodeError answers 401). One
        # lookup answers both this and the user loader: user row plus revocation keys.
        if PERSONAL_TOKEN_CLAIM in payload:
            if personal_token_owner(payload) is None:
                raise JWTDecodeError("A personal token claim this request did not resolve.")
            return False  # checked by app.tokens.personal_tokens before the view
        check_claims(payload)
        return _look_up_and_keep(payload).revoked

    @jwt.unauthorized_loader
    def missing_token(reason: str):
        # Flask-JWT-Extended reports a failed cookie CSRF double submit through this loader.
        if "CSRF" in reason:
            return _unauthorized("The CSRF token is missing or does not match the session "
                                 "cookie: reload the page and try again.")
        return _unauthorized("Missing or malformed Authorization header: send 'Bearer <token>'.")

    @jwt.invalid_token_loader
    def invalid_token(reason: str):
        # Flask-JWT-Extended reports a token of the wrong kind (WrongTokenError) here too.
        return _unauthorized(WRONG_KIND.get(reason, "The token is invalid."))

    @jwt.expired_token_loader
    def expired_token(_header: dict, _payload: dict):
        return _unauthorized("The token has expired.")

    @jwt.revoked_token_loader
    def revoked_token(_header: dict, _payload: dict):
        return _unauthorized("The token has been revoked.")

    @jwt.user_lookup_error_loader
    def user_gone(_header: dict, _payload: dict):
        return _unauthorized("The token is no longer valid for this account.")

    @jwt.token_verification_failed_loader
    def verification_failed(_header: dict, _payload: dict):
        return _unauthorized("The token is invalid.")

    @jwt.needs_fresh_token_loader
    def needs_fresh(_header: dict, _payload: dict):
        return _unauthorized("A fresh token is required.")
