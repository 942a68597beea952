"""Applications call Signet's API with their access token, under personal-token rules.

An access token (`sgn_oat_...`) granted `files:read` reads files as a personal token with
that scope would: the endpoint's decision (app.scopes) is checked the same way, and
account-security endpoints (NEVER) refuse it. Resolved before the view, like personal
tokens, then admitted with app.tokens.personal_tokens.admit.
"""

from __future__ import annotations

from flask import current_app, request

from app import scopes
from app.exceptions import InsufficientScope, Unauthorized
from app.oauth_server.tokens import ACCESS_PREFIX, find_access_token
from app.tokens.personal_tokens import admit


def authenticate_app_token() -> None:
    """before_request: resolve an application's access token sent as the bearer token."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value.startswith(ACCESS_PREFIX):
        return
    if request.routing_exception is not None:
        return
    decision = scopes.decision_for(current_app, request.endpoint, request.method)
    if decision == scopes.OPEN:
        return
    token = find_access_token(value)
    if token is None:
        raise Unauthorized("The access token is invalid, expired or was revoked.")
    if decision in (scopes.NEVER, scopes.MISSING):
        raise InsufficientScope(detail="Applications' access tokens cannot do this.")
    if decision not in token.get_scope().split():
        raise InsufficientScope(decision, detail=f"This access token was not granted {decision}.")
    if decision in scopes.ADMIN_SCOPES and not token.user.is_admin:
        raise InsufficientScope(decision, detail=(
            f"The scope {decision} only works while the user is an administrator."))
    admit(f"oauth:{token.row.id}", token.user)
