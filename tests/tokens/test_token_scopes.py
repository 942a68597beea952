"""The personal token scope matrix, generated from the app's URL map.

Every endpoint of the app, called with a personal access token that holds exactly one
scope, for every scope: the endpoint's declared decision (app.scopes) says whether the
call goes through (200/201/204, or a page's 303) or is a 403 `insufficient_scope`. A new
endpoint without a decision fails `test_every_endpoint_has_a_scope_decision` and every
one of its rows here.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db as _db
from app.mail.compose import enqueue_message
from app.scopes import MISSING, NEVER, OPEN, Scope, decision_for
from app.settings import settings_of
from app.tokens.personal_tokens import create_token
from app.users.models import User
from tests.account.email.mailbox import Mailbox
from tests.factories import DEFAULT_PASSWORD

SKIPPED_ENDPOINTS = re.compile(r"^(static|docs_assets\..*)$")
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}
ALLOWED = {200, 201, 202, 204, 303}
# Bodies that make each write succeed; everything else is sent without one.
BODIES = {
    ("POST", "/api/v1/auth/register"): lambda w: {"json": {
        "name": "New", "email": "new@example.com", "password": DEFAULT_PASSWORD}},
    ("POST", "/api/v1/auth/login"): lambda w: {"json": {
        "email": w["other"].email, "password": DEFAULT_PASSWORD}},
    ("PATCH", "/api/v1/auth/me"): lambda w: {"json": {"name": "Renamed"}},
    ("PATCH", "/api/v1/users/<user_id>"): lambda w: {"json": {"name": "Renamed"}},
    ("POST", "/api/v1/files"): lambda w: {"data": {
        "file": (io.BytesIO(b"hello"), "notes.txt")}, "content_type": "multipart/form-data"},
    ("POST", "/api/v1/auth/password/forgot"): lambda w: {"json": {"email": "x@example.com"}},
    ("POST", "/api/v1/users/invitations"): lambda w: {"json": {
        "name": "Invited", "email": "invited@example.com"}},
}
# Calls that only a mailed token, an mfa_token or an authenticator could complete: with the
# scope gate passed they answer 4xx for the missing proof, which is all the matrix checks.
NEEDS_PROOF = {
    ("POST", "/api/v1/auth/verify-email"), ("POST", "/api/v1/auth/password/reset"),
    ("POST", "/api/v1/auth/email/change/confirm"), ("POST", "/api/v1/auth/login/mfa"),
    ("POST", "/api/v1/auth/passkeys/login/verify"),
    # ... or a provider's sign-in (none is configured here: 404 after the scope gate).
    ("GET", "/api/v1/auth/providers/<provider_id>/start"),
    ("GET", "/api/v1/auth/providers/<provider_id>/callback"),
    ("POST", "/api/v1/auth/providers/<provider_id>/id-token"),
    # The OpenID Provider's protocol endpoints need a client, a code or an app's token.
    ("GET", "/oauth/authorize"), ("POST", "/oauth/authorize"), ("POST", "/oauth/token"),
    ("GET", "/oauth/userinfo"), ("POST", "/oauth/userinfo"), ("POST", "/oauth/revoke"),
    ("POST", "/oauth/introspect"), ("POST", "/profile/applications/<grant_id>/revoke"),
}


def _operations() -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) for every route of the app, as the URL map has them."""
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules() if not SKIPPED_ENDPOINTS.match(rule.endpoint)
        for method in (rule.methods or set()) - IMPLICIT_METHODS)


OPERATIONS = _operations()


def test_every_endpoint_has_a_scope_decision(app):
    missing = [f"{method} {rule}" for endpoint, method, rule in OPERATIONS
               if decision_for(app, endpoint, method) == MISSING]
    assert not missing, f"endpoints without @blp.token_scope(...): {missing}"


def test_a_view_without_a_decision_is_caught_and_refuses_personal_tokens(app, client, admin):
    app.add_url_rule("/_undecided", "undecided", lambda: "x")
    assert decision_for(app, "undecided", "GET") == MISSING
    secret = create_token(user=admin, name="t", scopes=list(Scope),
                          expires_in_days=1,
                          current_password=DEFAULT_PASSWORD).secret
    response = client.get("/_undecided", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403


@pytest.fixture
def world(app, client, admin, users, auth_headers):
    """An admin who owns the token, a file and a second session; another user."""
    other = users.create(name="Other")
    headers = auth_headers(admin)
    file_id = client.post("/api/v1/files", headers=headers, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(b"bytes"), "a.txt")}).get_json()["id"]
    sessions = client.get("/api/v1/auth/sessions", headers=headers).get_json()["items"]
    spare = create_token(user=admin, name="spare", scopes=["profile:read"], expires_in_days=1,
                          current_password=DEFAULT_PASSWORD)
    return {"admin": admin, "other": other, "file_id": file_id,
            "session_id": sessions[0]["id"], "token_id": spare.id,
            "message": _message_in_inbox(app, other)}


# (file name, bytes) of the message the first world of this process had delivered.
_DELIVERED: list[tuple[str, bytes]] = []


def _message_in_inbox(app, recipient) -> str:
    """The name of a message in the development inbox (/dev/mail/<name>).

    The first world has one delivered for real; later worlds get a copy of that file (the
    inbox reads files only): delivering costs 40 % of a world, and there are 400 worlds.
    """
    folder = Path(settings_of(app).mail.file_dir)
    if not _DELIVERED:
        enqueue_message(to=recipient.email, template="test_message", context={})
        _db.session.commit()
        Mailbox(app).new()
        [message] = folder.glob("*.eml")
        _DELIVERED.append((message.name, message.read_bytes()))
    [(name, data)] = _DELIVERED
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return Path(name).stem


def _url(rule: str, world: dict) -> str:
    values = {"user_id": world["other"].id, "file_id": world["file_id"],
              "session_id": world["session_id"], "token_id": world["token_id"],
              "passkey_id": 1, "name": world["message"], "identity_id": 1,
              "provider_id": "not-configured", "grant_id": 1, "client_id": "none"}
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule)


@pytest.mark.parametrize("scope", list(Scope), ids=str)
@pytest.mark.parametrize(("endpoint", "method", "rule"), OPERATIONS,
                         ids=[f"{m} {r}" for _, m, r in OPERATIONS])
def test_scope_matrix(app, client, world, endpoint, method, rule, scope):
    decision = decision_for(app, endpoint, method)
    assert decision != MISSING, "no scope decision: add @blp.token_scope(...) to the view"
    secret = create_token(user=world["admin"], name="matrix", scopes=[scope],
                          expires_in_days=1,
                          current_password=DEFAULT_PASSWORD).secret
    key = (method, re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"<\1>", rule))
    body = BODIES.get(key, lambda w: {})(world)

    response = client.open(_url(rule, world), method=method,
                           headers={"Authorization": f"Bearer {secret}"}, **body)

    if decision in (OPEN, scope) and key in NEEDS_PROOF:
        challenge = response.headers.get("WWW-Authenticate", "")
        assert "insufficient_scope" not in challenge and response.status_code < 500, (
            decision, response.get_data(as_text=True))
    elif decision in (OPEN, scope):
        assert response.status_code in ALLOWED, (decision, response.get_data(as_text=True))
    else:
        assert response.status_code == 403, (decision, response.get_data(as_text=True))
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer error="insufficient_scope"')
        if decision != NEVER:
            assert f'scope="{decision}"' in challenge


def test_the_matrix_covers_every_scope_and_decision_kind():
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    decisions = {decision_for(app, e, m) for e, m, _ in OPERATIONS}
    assert set(Scope) | {NEVER, OPEN} <= decisions


def test_personal_token_of_an_owner_demoted_since_is_refused_admin_scopes(
        client, world, db):
    secret = create_token(user=world["admin"], name="t", scopes=["users:write"],
                          expires_in_days=1,
                          current_password=DEFAULT_PASSWORD).secret
    admin = db.session.get(User, world["admin"].id)
    admin.role = "user"
    db.session.commit()
    response = client.patch(f"/api/v1/users/{world['other'].id}", json={"name": "X"},
                            headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403
