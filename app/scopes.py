"""Personal access token scopes, and each endpoint's decision about personal tokens.

Every view method declares, with `@blp.token_scope(...)` (app.api), what a personal access
token needs in order to call it:
  - a `Scope`: the token must hold it (and `users:*` only work while the owner is an admin);
  - `NEVER`: account security (password, email, sessions, tokens, MFA, deletion, export) is
    for a person signed in with their password, never for a script's token;
  - `OPEN`: the endpoint reads no bearer token at all (login, health, pages), so a personal
    token sent there is ignored.
An endpoint without a decision refuses personal tokens (fail closed), and the scope matrix
test (tests/tokens/test_token_scopes.py) fails for it, so each new endpoint gets one.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from flask import Flask


class Scope(enum.StrEnum):
    """What a personal access token may be granted."""

    PROFILE_READ = "profile:read"
    PROFILE_WRITE = "profile:write"
    FILES_READ = "files:read"
    FILES_WRITE = "files:write"
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"


# Granted only to admins, and honoured only while the owner still is one.
ADMIN_SCOPES = frozenset({Scope.USERS_READ, Scope.USERS_WRITE})


class Rule(enum.StrEnum):
    """A decision that is not a scope: what happens to a personal access token here."""

    NEVER = "never"  # refused (403): account security needs a real sign-in
    OPEN = "open"  # not read at all: the endpoint takes no bearer token
    MISSING = "missing"  # the view declared nothing: refused, and the scope test fails


NEVER, OPEN, MISSING = Rule.NEVER, Rule.OPEN, Rule.MISSING
TOKEN_SCOPE_ATTRIBUTE = "token_scope"  # noqa: S105 - an attribute name
# Views that are not ours to decorate (smorest's documentation, static files): no token.
OPEN_BLUEPRINTS = frozenset({"api-docs", "docs_assets"})
OPEN_ENDPOINTS = frozenset({"static"})

# What a view declares: the scope a token needs, or a rule.
Decision = Scope | Rule


def mark(view: Callable, decision: Decision) -> Callable:
    """Record `decision` on a view function (see app.api.Blueprint.token_scope)."""
    if decision not in (NEVER, OPEN):  # MISSING is what no declaration means
        decision = Scope(decision)
    setattr(view, TOKEN_SCOPE_ATTRIBUTE, decision)
    return view


def decision_for(app: Flask, endpoint: str | None, method: str) -> Decision:
    """The decision of the view serving `method` at `endpoint`, or MISSING."""
    if endpoint is None:
        return MISSING
    if endpoint in OPEN_ENDPOINTS or endpoint.partition(".")[0] in OPEN_BLUEPRINTS:
        return OPEN
    view = app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = method.lower()
        if method == "options":
            return OPEN
        handler = getattr(view_class, method, None)
        if handler is None and method == "head":
            handler = getattr(view_class, "get", None)
        view = handler
    return getattr(view, TOKEN_SCOPE_ATTRIBUTE, MISSING)
