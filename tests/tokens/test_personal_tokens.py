"""Personal access tokens: creation, listing, deletion, use and refusal (one process)."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from app.db_types import utcnow
from app.extensions import db as _db
from app.settings import replace_settings
from app.tokens.models import PersonalAccessToken
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem, row_count

TOKENS = "/api/v1/auth/tokens"
ME = "/api/v1/auth/me"
TOKEN_KEYS = {"id", "name", "scopes", "createdAt", "expiresAt", "lastUsedAt"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def create(client, headers: dict, **body) -> dict:
    body = {"name": "ci script", "scopes": ["profile:read"],
            "current_password": DEFAULT_PASSWORD, **body}
    response = client.post(TOKENS, headers=headers, json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def token_row(db, token_id: int) -> PersonalAccessToken | None:
    db.session.rollback()
    return db.session.get(PersonalAccessToken, token_id, populate_existing=True)


def test_create_shows_the_secret_once_and_stores_only_its_hash(client, db, user,
                                                              auth_headers):
    body = create(client, auth_headers(user), name="  backup job ",
                  scopes=["files:read", "profile:read", "files:read"])

    assert set(body) == TOKEN_KEYS | {"token"}
    assert body["token"].startswith("sgn_pat_") and len(body["token"]) >= 8 + 43
    assert body["name"] == "backup job"
    assert body["scopes"] == ["files:read", "profile:read"]
    assert body["lastUsedAt"] is None
    created, expires = (utcnow().fromisoformat(body[k]) for k in ("createdAt", "expiresAt"))
    assert expires - created == timedelta(days=90)
    row = token_row(db, body["id"])
    assert row.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in {row.name, row.scopes, row.token_hash}

    listed = client.get(TOKENS, headers=auth_headers(user))
    assert listed.status_code == 200
    assert listed.get_json()["items"] == [{k: v for k, v in body.items() if k != "token"}]
    assert body["token"] not in listed.get_data(as_text=True)


def test_create_accepts_an_html_form_with_repeated_scopes(client, user, auth_headers):
    response = client.post(TOKENS, headers=auth_headers(user), data={
        "name": "form", "scopes": ["files:read", "files:write"], "expires_in_days": "7",
        "current_password": DEFAULT_PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["scopes"] == ["files:read", "files:write"]


@pytest.mark.parametrize(("payload", "field"), [
    ({"scopes": ["profile:read"]}, "name"),
    ({"name": "", "scopes": ["profile:read"]}, "name"),
    ({"name": "x" * 101, "scopes": ["profile:read"]}, "name"),
    ({"name": "a\nb", "scopes": ["profile:read"]}, "name"),
    ({"name": "x"}, "scopes"),
    ({"name": "x", "scopes": []}, "scopes"),
    ({"name": "x", "scopes": ["root"]}, "scopes"),
    ({"name": "x", "scopes": ["profile:read"] * 7}, "scopes"),
    ({"name": "x", "scopes": ["profile:read"], "expires_in_days": 0}, "expires_in_days"),
    ({"name": "x", "scopes": ["profile:read"], "expires_in_days": 366}, "expires_in_days"),
])
def test_create_field_errors_are_422(client, user, auth_headers, payload, field):
    body = assert_problem(client.post(TOKENS, headers=auth_headers(user), json=payload), 422)
    assert field in body["errors"]
    assert row_count("personal_access_tokens") == 0


def test_expires_in_days_up_to_365(client, user, auth_headers):
    body = create(client, auth_headers(user), expires_in_days=365)
    created, expires = (utcnow().fromisoformat(body[k]) for k in ("createdAt", "expiresAt"))
    assert expires - created == timedelta(days=365)


@pytest.mark.parametrize("scope", ["users:read", "users:write"])
def test_admin_scopes_are_refused_to_non_admins(client, user, admin, auth_headers, scope):
    body = assert_problem(client.post(TOKENS, headers=auth_headers(user), json={
        "name": "x", "scopes": [scope], "current_password": DEFAULT_PASSWORD}), 403)
    assert "scopes" in body["errors"]
    assert create(client, auth_headers(admin), scopes=[scope])["scopes"] == [scope]


def test_tokens_per_user_are_bounded(app, client, user, auth_headers):
    replace_settings(app, PERSONAL_TOKENS_PER_USER=2)
    create(client, auth_headers(user))
    create(client, auth_headers(user))
    assert_problem(client.post(TOKENS, headers=auth_headers(user), json={
        "name": "third", "scopes": ["profile:read"], "current_password": DEFAULT_PASSWORD}), 409)


def test_a_token_reads_the_profile_and_sets_current_user(client, user, auth_headers):
    secret = create(client, auth_headers(user))["token"]

    response = client.get(ME, headers=bearer(secret))

    assert response.status_code == 200
    assert response.get_json()["id"] == user.id


def test_a_token_is_resolved_in_one_statement(app, client, user, auth_headers):
    secret = create(client, auth_headers(user))["token"]
    client.get(ME, headers=bearer(secret))  # stamps lastUsedAt: not part of the count
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        assert client.get(ME, headers=bearer(secret)).status_code == 200
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, statements
    assert "personal_access_tokens" in selects[0] and "users" in selects[0]


def test_deleted_token_is_refused_at_once(client, user, auth_headers):
    body = create(client, auth_headers(user))
    assert client.get(ME, headers=bearer(body["token"])).status_code == 200

    response = client.delete(f"{TOKENS}/{body['id']}", headers=auth_headers(user))

    assert response.status_code == 204
    assert_problem(client.get(ME, headers=bearer(body["token"])), 401)
    assert client.get(TOKENS, headers=auth_headers(user)).get_json() == {"items": []}
    assert_problem(client.delete(f"{TOKENS}/{body['id']}", headers=auth_headers(user)), 404)


def test_another_users_token_is_a_404_and_keeps_working(client, user, users, auth_headers):
    stranger = users.create()
    theirs = create(client, auth_headers(stranger))

    assert_problem(client.delete(f"{TOKENS}/{theirs['id']}", headers=auth_headers(user)), 404)

    assert client.get(ME, headers=bearer(theirs["token"])).status_code == 200
    assert client.get(TOKENS, headers=auth_headers(user)).get_json() == {"items": []}


def test_expired_token_is_refused(client, db, user, auth_headers):
    body = create(client, auth_headers(user))
    db.session.execute(update(PersonalAccessToken).where(PersonalAccessToken.id == body["id"])
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    detail = assert_problem(client.get(ME, headers=bearer(body["token"])), 401)["detail"]

    assert "expired" in detail


def test_token_of_a_deactivated_owner_is_refused(client, user, admin, auth_headers):
    secret = create(client, auth_headers(user))["token"]
    assert client.delete(f"/api/v1/users/{user.id}",
                         headers=auth_headers(admin)).status_code == 204
    assert_problem(client.get(ME, headers=bearer(secret)), 401)


def test_token_is_refused_after_the_owner_changes_password(client, user, auth_headers):
    headers = auth_headers(user)
    secret = create(client, headers)["token"]
    assert client.post("/api/v1/auth/password", headers=headers, json={
        "current_password": DEFAULT_PASSWORD, "new_password": "another long secret"},
    ).status_code == 204
    assert_problem(client.get(ME, headers=bearer(secret)), 401)


@pytest.mark.parametrize("secret", [
    "sgn_pat_", "sgn_pat_unknown", "sgn_pat_" + "A" * 500,
], ids=["empty", "unknown", "overlong"])
def test_unknown_or_malformed_tokens_are_401(client, secret):
    response = client.get(ME, headers=bearer(secret))
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_users_scopes_work_only_while_the_owner_is_an_admin(client, db, admin, users,
                                                            auth_headers):
    other_admin = users.create(role="admin")
    secret = create(client, auth_headers(admin), scopes=["users:read"])["token"]
    assert client.get("/api/v1/users", headers=bearer(secret)).status_code == 200

    assert client.patch(f"/api/v1/users/{admin.id}", headers=auth_headers(other_admin),
                        json={"role": "user"}).status_code == 200

    response = client.get("/api/v1/users", headers=bearer(secret))
    assert_problem(response, 403)
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="users:read"')


def test_last_used_is_stamped_at_most_once_a_minute(client, db, user, auth_headers):
    body = create(client, auth_headers(user))
    client.get(ME, headers=bearer(body["token"]))
    first = token_row(db, body["id"]).last_used_at
    assert first is not None

    stale = utcnow() - timedelta(seconds=30)
    db.session.execute(update(PersonalAccessToken).where(PersonalAccessToken.id == body["id"])
                       .values(last_used_at=stale))
    db.session.commit()
    client.get(ME, headers=bearer(body["token"]))
    assert token_row(db, body["id"]).last_used_at == stale  # less than a minute: no write

    older = utcnow() - timedelta(seconds=61)
    db.session.execute(update(PersonalAccessToken).where(PersonalAccessToken.id == body["id"])
                       .values(last_used_at=older))
    db.session.commit()
    client.get(ME, headers=bearer(body["token"]))
    assert token_row(db, body["id"]).last_used_at > older


def test_the_secret_never_reaches_a_log_line(client, user, auth_headers, caplog):
    with caplog.at_level(logging.DEBUG):
        secret = create(client, auth_headers(user))["token"]
        client.get(ME, headers=bearer(secret))
        client.get(ME, headers=bearer(secret[:-1] + ("A" if secret[-1] != "A" else "B")))
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert secret not in text and secret[8:] not in text
    # The refused (altered) secret is named by its first 12 characters, as the secret is.
    assert f"unknown or revoked personal token {secret[:12]}..." in text


def test_a_forged_jwt_naming_a_personal_token_is_refused(app, client, user, auth_headers):
    from flask_jwt_extended import create_access_token

    create(client, auth_headers(user))
    with app.test_request_context():
        forged = create_access_token(identity=str(user.id), additional_claims={"pat": 1})
    assert_problem(client.get(ME, headers=bearer(forged)), 401)


def test_deleting_a_user_deletes_their_tokens(client, db, user, auth_headers):
    create(client, auth_headers(user))
    db.session.delete(db.session.get(type(user), user.id))
    db.session.commit()
    assert db.session.scalar(select(PersonalAccessToken)) is None


def test_a_forged_jwt_is_refused_even_right_after_the_real_token_was_used(app, client, user,
                                                                          auth_headers):
    from flask_jwt_extended import create_access_token

    body = create(client, auth_headers(user))
    assert client.get(ME, headers=bearer(body["token"])).status_code == 200
    with app.test_request_context():
        forged = create_access_token(identity=str(user.id),
                                     additional_claims={"pat": body["id"]})
    assert_problem(client.get(ME, headers=bearer(forged)), 401)
