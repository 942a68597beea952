"""The browser flow's state: state, nonce and PKCE verifier bound to one browser, used once.

`start` puts them in a signed, HttpOnly cookie of this browser (SameSite=Lax: it comes
back on the provider's top-level redirect) and keeps only the SHA-256 of `state` in the
database. `finish` takes the row away before anything else: a state signs in once, within
FLOW_SECONDS, and only in the browser that started it (a stolen callback URL lacks the
cookie; a replayed one finds no row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from authlib.common.security import generate_token
from flask import Response, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete

from app.db_types import utcnow
from app.exceptions import ProviderSignInFailed
from app.extensions import db
from app.federation.client import authorization_url
from app.federation.models import ProviderFlow
from app.federation.settings import Provider
from app.hashing import token_hash
from app.settings import settings
from app.transactions import transaction

FLOW_SECONDS = 600
COOKIE = "signet_provider_flow"
SALT = "signet provider flow"
EXPIRED = ("This sign-in with the provider has expired or was already used, or it was "
           "started in another browser: start again.")


@dataclass(frozen=True)
class Flow:
    """One started sign-in (or link): what the callback needs to finish it."""

    provider_id: str
    state: str
    nonce: str
    code_verifier: str
    next_path: str
    link_user_id: int | None = None


def redirect_uri(provider: Provider) -> str:
    """`{PUBLIC_BASE_URL}/api/v1/auth/providers/{id}/callback`: what the provider allows."""
    path = url_for("federation.ProviderCallback", provider_id=provider.id)
    return (settings().web.public_base_url or "") + path


def start_flow(provider: Provider, *, next_path: str, link_user_id: int | None = None
               ) -> tuple[str, str]:
    """Begin a flow: the provider URL to send the browser to, and the cookie value."""
    flow = Flow(provider_id=provider.id, state=generate_token(43), nonce=generate_token(43),
                code_verifier=generate_token(64), next_path=next_path,
                link_user_id=link_user_id)
    url = authorization_url(provider, redirect_uri=redirect_uri(provider), state=flow.state,
                            nonce=flow.nonce, code_verifier=flow.code_verifier)
    with transaction():
        # Flows nobody finished go here, a few at a time, instead of in a cron job.
        db.session.execute(delete(ProviderFlow).where(ProviderFlow.expires_at < utcnow()))
        db.session.add(ProviderFlow(state_hash=token_hash(flow.state),
                                    expires_at=utcnow() + timedelta(seconds=FLOW_SECONDS)))
    cookie = _serializer().dumps([flow.provider_id, flow.state, flow.nonce,
                                  flow.code_verifier, flow.next_path, flow.link_user_id])
    return url, cookie


def finish_flow(provider: Provider, state: str | None) -> Flow:
    """The flow this browser started for `state`, taken away (single use); else 401."""
    flow = _flow_from_cookie()
    if flow is None or not state or flow.state != state or flow.provider_id != provider.id:
        raise ProviderSignInFailed(EXPIRED)
    with transaction():
        taken = db.session.execute(delete(ProviderFlow).where(
            ProviderFlow.state_hash == token_hash(state),
            ProviderFlow.expires_at >= utcnow())).rowcount
    if taken != 1:
        raise ProviderSignInFailed(EXPIRED)
    return flow


def _flow_from_cookie() -> Flow | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        fields = _serializer().loads(raw, max_age=FLOW_SECONDS)
        return Flow(*fields)
    except (BadSignature, TypeError, ValueError):
        return None


def set_flow_cookie(response: Response, value: str) -> None:
    """Bind the flow to this browser (HttpOnly, sent back only to the callback's path)."""
    response.set_cookie(COOKIE, value, max_age=FLOW_SECONDS, httponly=True,
                        secure=settings().tokens.cookie_secure,
                        samesite="Lax", path=_cookie_path())


def clear_flow_cookie(response: Response) -> None:
    """Forget the flow in this browser (after the callback, whatever its outcome)."""
    response.delete_cookie(COOKIE, path=_cookie_path(), httponly=True, samesite="Lax",
                           secure=settings().tokens.cookie_secure)


def _cookie_path() -> str:
    return url_for("federation.Providers")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().web.secret_key, salt=SALT)
