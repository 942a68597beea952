"""Sign-in sessions: rows, rotation, reuse detection, listing and ending (one process)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_jwt_extended import decode_token
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.db_types import utcnow
from app.sessions import service as sessions_module
from app.sessions.models import UserSession
from app.settings import replace_settings
from app.tokens.models import RevokedToken
from app.tokens.personal_tokens import create_token
from app.users.models import User
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem, row_count

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"
SESSIONS = "/api/v1/auth/sessions"
SESSION_KEYS = {"id", "createdAt", "lastUsedAt", "ip", "userAgent", "current"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(client, email: str, *, agent: str = "pytest-agent/1.0", **environ) -> dict:
    response = client.post(LOGIN, json={"email": email, "password": DEFAULT_PASSWORD},
                           headers={"User-Agent": agent}, environ_base=environ)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def sid(tokens: dict) -> int:
    return decode_token(tokens["access_token"])["sid"]


def session_row(db, session_id: int) -> UserSession:
    db.session.rollback()
    return db.session.get(UserSession, session_id, populate_existing=True)


def refresh(client, tokens: dict):
    return client.post(REFRESH, headers=bearer(tokens["refresh_token"]))


# --- a sign-in is a session ---------------------------------------------------------------

def test_login_creates_a_session_that_both_tokens_name(client, db, user):
    tokens = login(client, user.email, agent="Firefox/140", REMOTE_ADDR="203.0.113.9")

    access, refresh_claims = (decode_token(tokens[k]) for k in ("access_token", "refresh_token"))
    assert access["sid"] == refresh_claims["sid"]
    row = session_row(db, access["sid"])
    assert row.user_id == user.id
    assert row.ip == "203.0.113.9"
    assert row.user_agent == "Firefox/140"
    assert row.refresh_jti == refresh_claims["jti"]
    assert row.ended_at is None
    assert row.auth_methods == "pwd"
    assert timedelta(days=29, hours=23) < row.expires_at - utcnow() <= timedelta(days=30,
                                                                                 seconds=3)


def test_user_agent_is_cut_to_255_characters(client, db, user):
    tokens = login(client, user.email, agent="A" * 1000)
    assert session_row(db, sid(tokens)).user_agent == "A" * 255


@pytest.mark.parametrize(("hops", "forwarded", "seen"), [
    (0, "198.51.100.1", "127.0.0.1"),
    (1, "198.51.100.1, 192.0.2.7", "192.0.2.7"),
], ids=["no-proxy-trusted", "one-proxy"])
def test_session_ip_is_the_address_after_trusted_proxies(app_config, db, users, hops,
                                                         forwarded, seen):
    from app import create_app

    app = create_app({**app_config, "TRUSTED_PROXY_COUNT": hops})
    account = users.create()
    with app.test_client() as client:
        response = client.post(LOGIN, json={"email": account.email,
                                            "password": DEFAULT_PASSWORD},
                               headers={"X-Forwarded-For": forwarded})
    assert response.status_code == 200
    assert session_row(db, sid(response.get_json())).ip == seen


# --- refresh rotates within the session ---------------------------------------------------

def test_refresh_rotates_within_the_session(client, db, user):
    first = login(client, user.email)

    second = refresh(client, first).get_json()

    assert sid(second) == sid(first)
    row = session_row(db, sid(first))
    new_jti = decode_token(second["refresh_token"])["jti"]
    assert row.refresh_jti == new_jti != decode_token(first["refresh_token"])["jti"]
    assert row.previous_refresh_jti == decode_token(first["refresh_token"])["jti"]
    assert refresh(client, second).status_code == 200


def test_replaying_a_rotated_refresh_token_ends_the_session(app, client, db, user, caplog):
    replace_settings(app, REFRESH_REUSE_GRACE_SECONDS=0)
    first = login(client, user.email)
    second = refresh(client, first).get_json()
    other = login(client, user.email)

    with caplog.at_level(logging.INFO, logger="app.audit"):
        body = assert_problem(refresh(client, first), 401)

    assert "ended" in body["detail"]
    row = session_row(db, sid(first))
    assert row.ended_at is not None
    # Every token of the session is refused, the ones rotated from the replayed one too.
    for token in (second["access_token"], first["access_token"]):
        assert_problem(client.get(ME, headers=bearer(token)), 401)
    assert_problem(refresh(client, second), 401)
    assert client.get(ME, headers=bearer(other["access_token"])).status_code == 200
    reuse = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "auth.refresh_reuse")).all()
    assert [(e.actor_id, e.subject_id, e.details) for e in reuse] == [
        (user.id, user.id, {"session": sid(first)})]
    lines = [r.getMessage() for r in caplog.records
             if r.name == "app.audit" and "auth.refresh_reuse" in r.getMessage()]
    assert len(lines) == 1


def test_a_token_older_than_the_previous_one_ends_the_session_even_in_the_grace(
        client, db, user):
    first = login(client, user.email)
    second = refresh(client, first).get_json()
    third = refresh(client, second).get_json()

    assert_problem(refresh(client, first), 401)

    assert session_row(db, sid(first)).ended_at is not None
    assert_problem(refresh(client, third), 401)


def test_the_previous_token_within_the_grace_is_a_lost_race_not_a_reuse(client, db, user):
    first = login(client, user.email)
    second = refresh(client, first).get_json()

    body = assert_problem(refresh(client, first), 401)

    assert "already been used" in body["detail"]
    assert session_row(db, sid(first)).ended_at is None
    assert client.get(ME, headers=bearer(second["access_token"])).status_code == 200
    assert refresh(client, second).status_code == 200


def test_the_previous_token_after_the_grace_ends_the_session(client, db, user):
    first = login(client, user.email)
    second = refresh(client, first).get_json()
    db.session.execute(update(UserSession).where(UserSession.id == sid(first))
                       .values(rotated_at=utcnow() - timedelta(seconds=11)))
    db.session.commit()

    assert_problem(refresh(client, first), 401)

    assert session_row(db, sid(first)).ended_at is not None
    assert_problem(client.get(ME, headers=bearer(second["access_token"])), 401)


# --- listing ------------------------------------------------------------------------------

def test_sessions_are_listed_newest_first_with_the_current_one_marked(client, user, users):
    first = login(client, user.email, agent="Laptop")
    second = login(client, user.email, agent="Phone")
    ended = login(client, user.email, agent="Gone")
    client.post(LOGOUT, headers=bearer(ended["access_token"]))
    login(client, users.create().email)  # someone else's

    response = client.get(SESSIONS, headers=bearer(first["access_token"]))

    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["id"] for i in items] == [sid(second), sid(first)]
    assert all(set(i) == SESSION_KEYS for i in items)
    assert [i["current"] for i in items] == [False, True]
    assert [i["userAgent"] for i in items] == ["Phone", "Laptop"]
    assert items[0]["ip"] == "127.0.0.1"
    assert items[0]["createdAt"].endswith("+00:00")


def test_expired_sessions_are_not_listed(client, db, user):
    old = login(client, user.email)
    current = login(client, user.email)
    db.session.execute(update(UserSession).where(UserSession.id == sid(old))
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    items = client.get(SESSIONS, headers=bearer(current["access_token"])).get_json()["items"]

    assert [i["id"] for i in items] == [sid(current)]


# --- ending -------------------------------------------------------------------------------

def test_ending_a_session_refuses_its_access_and_refresh_tokens(client, db, user):
    mine = login(client, user.email)
    other = login(client, user.email)

    response = client.delete(f"{SESSIONS}/{sid(other)}", headers=bearer(mine["access_token"]))

    assert response.status_code == 204
    assert_problem(client.get(ME, headers=bearer(other["access_token"])), 401)
    assert_problem(refresh(client, other), 401)
    assert client.get(ME, headers=bearer(mine["access_token"])).status_code == 200
    db.session.rollback()
    key = db.session.scalar(select(RevokedToken).where(
        RevokedToken.jti == f"sid:{sid(other)}"))
    assert key.expires_at == session_row(db, sid(other)).expires_at
    # Already ended: gone from the list, and a second DELETE is a 404.
    assert_problem(client.delete(f"{SESSIONS}/{sid(other)}",
                                 headers=bearer(mine["access_token"])), 404)


def test_another_users_session_is_a_404_and_stays(client, user, users):
    stranger = users.create()
    theirs = login(client, stranger.email)
    mine = login(client, user.email)

    body = assert_problem(client.delete(f"{SESSIONS}/{sid(theirs)}",
                                        headers=bearer(mine["access_token"])), 404)

    assert "session" in body["detail"]
    assert client.get(ME, headers=bearer(theirs["access_token"])).status_code == 200


def test_ending_every_other_session_keeps_this_one(client, user, users):
    mine = login(client, user.email)
    others = [login(client, user.email) for _ in range(3)]
    stranger = login(client, users.create().email)

    assert client.delete(SESSIONS, headers=bearer(mine["access_token"])).status_code == 204

    for tokens in others:
        assert_problem(client.get(ME, headers=bearer(tokens["access_token"])), 401)
        assert_problem(refresh(client, tokens), 401)
    assert client.get(ME, headers=bearer(mine["access_token"])).status_code == 200
    assert client.get(ME, headers=bearer(stranger["access_token"])).status_code == 200
    items = client.get(SESSIONS, headers=bearer(mine["access_token"])).get_json()["items"]
    assert [i["id"] for i in items] == [sid(mine)]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", SESSIONS), ("DELETE", SESSIONS), ("DELETE", f"{SESSIONS}/1"),
    ("GET", "/api/v1/users/1/sessions"), ("DELETE", "/api/v1/users/1/sessions"),
])
def test_sessions_endpoints_without_a_token_are_401(client, method, path):
    assert_problem(client.open(path, method=method), 401)


def test_sessions_endpoints_refuse_a_refresh_token(client, user):
    tokens = login(client, user.email)
    assert_problem(client.get(SESSIONS, headers=bearer(tokens["refresh_token"])), 401)


# --- admin --------------------------------------------------------------------------------

def test_admin_lists_and_ends_a_users_sessions(client, user, admin):
    one, two = login(client, user.email), login(client, user.email)
    admin_tokens = login(client, admin.email)
    url = f"/api/v1/users/{user.id}/sessions"

    listed = client.get(url, headers=bearer(admin_tokens["access_token"]))
    assert listed.status_code == 200
    assert [i["id"] for i in listed.get_json()["items"]] == [sid(two), sid(one)]
    assert not any(i["current"] for i in listed.get_json()["items"])

    assert client.delete(url, headers=bearer(admin_tokens["access_token"])).status_code == 204

    for tokens in (one, two):
        assert_problem(client.get(ME, headers=bearer(tokens["access_token"])), 401)
        assert_problem(refresh(client, tokens), 401)
    assert client.get(url, headers=bearer(admin_tokens["access_token"])).get_json() == {
        "items": []}
    assert client.get(ME, headers=bearer(admin_tokens["access_token"])).status_code == 200


def test_admin_session_endpoints_are_for_admins_only(client, user, admin):
    tokens = login(client, user.email)
    for method in ("GET", "DELETE"):
        assert_problem(client.open(f"/api/v1/users/{admin.id}/sessions", method=method,
                                   headers=bearer(tokens["access_token"])), 403)


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_an_admins_personal_token_never_reaches_a_users_sessions(client, user, admin, method):
    # Personal tokens never reach sessions (contract), users:read included (issue 20, #11).
    login(client, user.email)
    secret = create_token(user=admin, name="script", scopes=["users:read", "users:write"],
                          expires_in_days=1, current_password=DEFAULT_PASSWORD).secret
    response = client.open(f"/api/v1/users/{user.id}/sessions", method=method,
                           headers=bearer(secret))
    assert_problem(response, 403)
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="insufficient_scope"')


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_admin_session_endpoints_404_for_an_unknown_user(client, admin, method):
    tokens = login(client, admin.email)
    assert_problem(client.open("/api/v1/users/987654/sessions", method=method,
                               headers=bearer(tokens["access_token"])), 404)


# --- lastUsedAt ---------------------------------------------------------------------------

def test_last_used_is_stamped_at_most_once_a_minute(client, db, user, monkeypatch):
    tokens = login(client, user.email)
    session_id = sid(tokens)
    stale = utcnow() - timedelta(minutes=5)
    db.session.execute(update(UserSession).where(UserSession.id == session_id)
                       .values(last_used_at=stale))
    db.session.commit()
    clock = [1000.0]
    monkeypatch.setattr(sessions_module.time, "monotonic", lambda: clock[0])
    sessions_module._touched.pop(session_id, None)

    for _ in range(5):
        assert client.get(ME, headers=bearer(tokens["access_token"])).status_code == 200
    first_stamp = session_row(db, session_id).last_used_at
    assert first_stamp > stale
    # Within the minute nothing is written, even when the row is made stale again.
    db.session.execute(update(UserSession).where(UserSession.id == session_id)
                       .values(last_used_at=stale))
    db.session.commit()
    clock[0] += 59
    client.get(ME, headers=bearer(tokens["access_token"]))
    assert session_row(db, session_id).last_used_at == stale
    clock[0] += 2
    client.get(ME, headers=bearer(tokens["access_token"]))
    assert session_row(db, session_id).last_used_at > stale


def test_deleting_a_user_deletes_their_sessions(client, db, user):
    login(client, user.email)
    db.session.delete(db.session.get(type(user), user.id))
    db.session.commit()
    assert row_count("sessions") == 0


def test_a_password_change_ends_every_session_in_the_list(client, user):
    old = login(client, user.email)
    assert client.post("/api/v1/auth/password", headers=bearer(old["access_token"]), json={
        "current_password": DEFAULT_PASSWORD, "new_password": "a brand new secret"},
    ).status_code == 204
    fresh = client.post(LOGIN, json={"email": user.email,
                                     "password": "a brand new secret"}).get_json()

    items = client.get(SESSIONS, headers=bearer(fresh["access_token"])).get_json()["items"]

    assert [i["id"] for i in items] == [sid(fresh)]
    assert_problem(refresh(client, old), 401)


def test_purge_deletes_expired_sessions_only(app, client, db, user):
    expired, live = login(client, user.email), login(client, user.email)
    db.session.execute(update(UserSession).where(UserSession.id == sid(expired))
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["tokens", "purge"])

    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert db.session.scalars(select(UserSession.id)).all() == [sid(live)]


def test_a_revoked_session_of_a_deleted_account_never_lends_its_id(client, db, user, users):
    # Its revocation (`sid:<id>`) outlives the row: a sign-in given that id again
    # (SQLite's rowid reuse) would be refused as revoked from its first request.
    leaving = users.create(name="Leaving", email="leaving@example.com")
    tokens = login(client, leaving.email)
    assert client.post(LOGOUT, headers=bearer(tokens["access_token"])).status_code == 204
    db.session.delete(db.session.get(User, leaving.id))
    db.session.commit()

    fresh = login(client, user.email)

    assert sid(fresh) > sid(tokens)
    assert client.get(ME, headers=bearer(fresh["access_token"])).status_code == 200
