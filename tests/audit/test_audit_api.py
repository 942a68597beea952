"""GET /audit (admin) and GET /auth/me/audit (your own): keyset pages, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.audit import record_event
from app.audit.models import AuditEvent
from app.extensions import db as _db
from app.pagination import encode_cursor
from app.settings import ConfigError, replace_settings
from tests.helpers import assert_problem

AUDIT = "/api/v1/audit"
OWN = "/api/v1/auth/me/audit"


def seed(*triples) -> None:
    """Commit events given as (action, actor_id, subject_id), oldest first."""
    for action, actor, subject in triples:
        record_event(action, actor_id=actor, subject_id=subject)
    _db.session.commit()


def actions(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["action"] for item in response.get_json()["items"]]


@pytest.mark.parametrize("path", [AUDIT, OWN])
def test_anonymous_is_401(client, path):
    assert_problem(client.get(path), 401)


def test_non_admin_is_403_on_the_full_trail(client, user, auth_headers):
    assert_problem(client.get(AUDIT, headers=auth_headers(user)), 403)


def test_admin_lists_every_event_newest_first_with_its_fields(client, admin, user,
                                                              auth_headers):
    seed(("auth.login", user.id, user.id), ("admin.user_updated", admin.id, user.id))

    response = client.get(AUDIT, headers=auth_headers(admin))

    assert actions(response) == ["admin.user_updated", "auth.login"]
    item = response.get_json()["items"][0]
    assert set(item) == {"id", "action", "actorId", "subjectId", "ip", "requestId",
                         "details", "createdAt"}
    assert (item["actorId"], item["subjectId"], item["details"]) == (admin.id, user.id, {})
    assert datetime.fromisoformat(item["createdAt"]).tzinfo is not None
    assert response.get_json()["nextCursor"] is None


@pytest.mark.parametrize(("query", "expected"), [
    ("action=auth.login", ["auth.login", "auth.login"]),
    ("actorId={a}", ["admin.user_updated", "auth.login"]),
    ("subjectId={u}", ["admin.user_updated", "auth.logout", "auth.login"]),
    ("action=auth.login&subjectId={a}", ["auth.login"]),
    ("action=token.created", []),
])
def test_admin_filters_combine(client, admin, user, auth_headers, query, expected):
    seed(("auth.login", admin.id, admin.id), ("auth.login", user.id, user.id),
         ("auth.logout", user.id, user.id), ("admin.user_updated", admin.id, user.id))

    response = client.get(f"{AUDIT}?{query.format(a=admin.id, u=user.id)}",
                          headers=auth_headers(admin))

    assert actions(response) == expected


def test_pages_follow_the_cursor_without_gaps_or_repeats(client, admin, auth_headers):
    seed(*[("auth.login", admin.id, admin.id)] * 5)
    seen, cursor = [], None
    while True:
        url = f"{AUDIT}?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=auth_headers(admin)).get_json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["nextCursor"]
        if cursor is None:
            break

    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 5


@pytest.mark.parametrize("query", [
    "limit=0", "limit=101", "cursor=nope!", f"cursor={encode_cursor(1)}x==",
    "actorId=0", "subjectId=-1", "actorId=abc", "action=DROP%20TABLE", "action=" + "a" * 65,
])
def test_bad_query_parameters_are_422(client, admin, auth_headers, query):
    assert_problem(client.get(f"{AUDIT}?{query}", headers=auth_headers(admin)), 422)


def test_own_trail_holds_events_as_actor_or_subject_only(client, admin, user, users,
                                                         auth_headers):
    other = users.create()
    seed(("auth.login", user.id, user.id), ("admin.user_updated", admin.id, user.id),
         ("auth.login", other.id, other.id), ("admin.user_updated", user.id, other.id))

    response = client.get(OWN, headers=auth_headers(user))

    assert actions(response) == ["admin.user_updated", "admin.user_updated", "auth.login"]
    assert {item["subjectId"] for item in response.get_json()["items"]} == {user.id, other.id}


def test_own_trail_pages_with_the_shared_cursor(client, user, auth_headers):
    seed(*[("auth.login", user.id, user.id)] * 3)

    first = client.get(f"{OWN}?limit=2", headers=auth_headers(user)).get_json()
    second = client.get(f"{OWN}?limit=2&cursor={first['nextCursor']}",
                        headers=auth_headers(user)).get_json()

    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert second["nextCursor"] is None
    assert_problem(client.get(f"{OWN}?cursor=garbage!", headers=auth_headers(user)), 422)


def test_own_trail_pages_through_actor_and_subject_events_once_each(client, admin, user,
                                                                    auth_headers):
    # One newest-first query per column, merged (app/audit/service.py): events of either
    # column interleave by id across pages, and one naming the user twice shows once.
    seed(("auth.login", user.id, user.id), ("admin.user_updated", admin.id, user.id),
         ("auth.login", admin.id, admin.id), ("admin.user_updated", user.id, admin.id),
         ("auth.logout", user.id, user.id), ("admin.user_updated", admin.id, user.id))
    expected = [e.id for e in _db.session.scalars(
        _db.select(AuditEvent).order_by(AuditEvent.id.desc()))
        if user.id in (e.actor_id, e.subject_id)]

    pages, cursor = [], None
    while True:
        body = client.get(f"{OWN}?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                          headers=auth_headers(user)).get_json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["nextCursor"]
        if cursor is None:
            break

    assert len(expected) == 5
    assert pages == [expected[:2], expected[2:4], expected[4:]]


def test_purge_deletes_only_events_past_the_retention(app, db, user):
    replace_settings(app, AUDIT_RETENTION_DAYS=30)
    seed(("auth.login", user.id, user.id), ("auth.logout", user.id, user.id))
    old = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).first()
    old.created_at = datetime.now(UTC) - timedelta(days=31)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["audit", "purge"])

    assert result.exit_code == 0, result.output
    assert "Purged 1 audit event(s) older than 30 days." in result.output
    db.session.rollback()
    assert [e.action for e in db.session.scalars(db.select(AuditEvent))] == ["auth.logout"]


@pytest.mark.parametrize("days", [0, -5])
def test_a_retention_that_would_empty_the_trail_is_refused(app, db, user, days):
    seed(("auth.login", user.id, user.id))

    with pytest.raises(ConfigError, match=f"AUDIT_RETENTION_DAYS={str(days)!r} is refused"):
        replace_settings(app, AUDIT_RETENTION_DAYS=str(days))

    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == 1
