"""GET /users, PATCH /users/{id}, DELETE /users/{id}: admin only, audited, last admin kept."""

from __future__ import annotations

import base64
import logging
from datetime import datetime

import pytest
from sqlalchemy import select

from app.pagination import encode_cursor
from app.users import search
from app.users.models import User
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem

USERS = "/api/v1/users"


def fresh(db, user_id: int) -> User:
    """The committed row, not this session's cached object."""
    db.session.rollback()
    return db.session.scalar(
        select(User).where(User.id == user_id).execution_options(populate_existing=True))


def ids(response) -> list[int]:
    return [item["id"] for item in response.get_json()["items"]]


# --- access --------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("get", USERS), ("patch", f"{USERS}/1"), ("delete", f"{USERS}/1")])
def test_anonymous_is_401_and_non_admin_is_403(client, user, auth_headers, method, path):
    assert_problem(getattr(client, method)(path, json={}), 401)
    assert_problem(getattr(client, method)(path, json={}, headers=auth_headers(user)), 403)


# --- list ----------------------------------------------------------------------------------

def test_list_is_newest_first_with_an_opaque_cursor(client, admin, users, auth_headers):
    created = [users.create().id for _ in range(4)]
    expected = sorted([*created, admin.id], reverse=True)

    first = client.get(f"{USERS}?limit=2", headers=auth_headers(admin))
    assert first.status_code == 200
    body = first.get_json()
    assert ids(first) == expected[:2]
    assert set(body["items"][0]) == {
        "id", "name", "email", "isActive", "role", "profileImageId", "profileImageUrl",
        "createdBy", "updatedBy", "createdAt", "updatedAt", "emailVerified", "mfaEnabled",
        "hasPassword", "storageUsed", "storageQuota"}
    cursor = body["nextCursor"]
    assert isinstance(cursor, str) and str(expected[1]) not in cursor

    second = client.get(f"{USERS}?limit=2&cursor={cursor}", headers=auth_headers(admin))
    third = client.get(f"{USERS}?limit=2&cursor={second.get_json()['nextCursor']}",
                       headers=auth_headers(admin))
    assert ids(second) == expected[2:4]
    assert ids(third) == expected[4:]
    assert third.get_json()["nextCursor"] is None


def test_default_limit_is_20(client, admin, users, auth_headers):
    for _ in range(21):
        users.create()
    body = client.get(USERS, headers=auth_headers(admin)).get_json()
    assert len(body["items"]) == 20
    assert body["nextCursor"] is not None


def test_last_page_exactly_full_has_no_cursor(client, admin, users, auth_headers):
    users.create()
    body = client.get(f"{USERS}?limit=2", headers=auth_headers(admin)).get_json()
    assert len(body["items"]) == 2
    assert body["nextCursor"] is None


def test_pages_are_stable_while_users_are_inserted(client, admin, users, auth_headers):
    before = sorted([admin.id, *(users.create().id for _ in range(5))], reverse=True)
    seen: list[int] = []
    response = client.get(f"{USERS}?limit=2", headers=auth_headers(admin))
    while True:
        seen += ids(response)
        users.create()  # a newer row arrives between every two pages
        cursor = response.get_json()["nextCursor"]
        if cursor is None:
            break
        response = client.get(f"{USERS}?limit=2&cursor={cursor}", headers=auth_headers(admin))
    assert seen == before  # nothing repeated, nothing skipped, nothing from after the start


@pytest.mark.parametrize("query", [
    "limit=0", "limit=101", "limit=-1", "limit=abc", "cursor=not-a-cursor",
    f"cursor={encode_cursor(5)[:-2]}", "cursor=eyJ2IjoxLCJpZCI6ImEifQ", "role=owner",
    "isActive=maybe", "q=", f"cursor={encode_cursor(2**31)}", f"cursor={encode_cursor(10**20)}",
    # 1,600 characters (fits a request line) of base64 "[[[[...": a RecursionError once.
    f"cursor={base64.urlsafe_b64encode(b'[' * 1200).decode()}",
    f"cursor={encode_cursor(5) * 3}", "cursor=%C3%A9t%C3%A9",
], ids=["limit-0", "limit-101", "limit-negative", "limit-text", "cursor-garbage",
        "cursor-truncated", "cursor-id-not-int", "role-unknown", "isActive-bad", "q-empty",
        "cursor-id-beyond-int", "cursor-id-huge", "cursor-json-nested-too-deeply",
        "cursor-too-long", "cursor-not-base64url"])
def test_bad_query_parameters_are_422(client, admin, auth_headers, query):
    body = assert_problem(client.get(f"{USERS}?{query}", headers=auth_headers(admin)), 422)
    assert query.split("=")[0] in body["errors"]


@pytest.mark.parametrize("limit", [1, 100])
def test_limit_bounds_are_accepted(client, admin, auth_headers, limit):
    assert client.get(f"{USERS}?limit={limit}", headers=auth_headers(admin)).status_code == 200


def test_filters_role_and_is_active(client, admin, users, auth_headers):
    other_admin = users.create(role="admin")
    inactive = users.create(is_active=False)
    regular = users.create()
    headers = auth_headers(admin)

    assert ids(client.get(f"{USERS}?role=admin", headers=headers)) == [other_admin.id, admin.id]
    assert ids(client.get(f"{USERS}?role=user", headers=headers)) == [regular.id, inactive.id]
    assert ids(client.get(f"{USERS}?isActive=false", headers=headers)) == [inactive.id]
    assert ids(client.get(f"{USERS}?isActive=true&role=user", headers=headers)) == [regular.id]


# q= reads a window of the newest ids first, then the indexes below it (app/users/search.py):
# the q= tests run with the window above every id, and with windows that cut through them.
@pytest.fixture
def window(monkeypatch, request) -> int:
    monkeypatch.setattr(search, "SEARCH_WINDOW", request.param)
    return request.param


@pytest.mark.parametrize("window", [search.SEARCH_WINDOW, 1, 3], indirect=True)
def test_q_matches_a_prefix_of_name_or_email(client, admin, users, auth_headers, window):
    ann = users.create(name="Annabel Lee", email="poe@example.com")
    anne = users.create(name="Zed", email="anne@example.org")
    users.create(name="Joanna", email="jo@example.com")  # contains "ann", no prefix
    percent = users.create(name="100% Sure", email="sure@example.com")
    headers = auth_headers(admin)

    assert ids(client.get(f"{USERS}?q=ann", headers=headers)) == [anne.id, ann.id]
    assert ids(client.get(f"{USERS}?q=ANN", headers=headers)) == [anne.id, ann.id]
    assert ids(client.get(f"{USERS}?q=poe@", headers=headers)) == [ann.id]
    # LIKE wildcards in q are literal characters.
    assert ids(client.get(f"{USERS}?q=100%25", headers=headers)) == [percent.id]
    assert ids(client.get(f"{USERS}?q=%25", headers=headers)) == []
    assert ids(client.get(f"{USERS}?q=_", headers=headers)) == []


@pytest.mark.parametrize("window", [search.SEARCH_WINDOW, 1, 3], indirect=True)
def test_filters_keep_their_cursor(client, admin, users, auth_headers, window):
    made = [users.create(name=f"Page {n}").id for n in range(3)]
    users.create(name="Other")
    headers = auth_headers(admin)
    first = client.get(f"{USERS}?q=page&limit=2", headers=headers)
    second = client.get(f"{USERS}?q=page&limit=2&cursor={first.get_json()['nextCursor']}",
                        headers=headers)
    assert ids(first) + ids(second) == made[::-1]



@pytest.mark.parametrize("window", [search.SEARCH_WINDOW, 1, 3], indirect=True)
def test_q_pages_through_name_and_email_matches_once_each(client, admin, users, auth_headers,
                                                         window):
    # q= runs one newest-first query per column and merges them (app/users/admin.py):
    # matches of both columns interleave by id, and a user matching twice shows once.
    by_name = users.create(name="Kit Marlowe", email="a1@example.com")
    both = users.create(name="Kit Both", email="kit@example.com")
    by_email = users.create(name="Someone", email="kit.e@example.com")
    users.create(name="Other", email="other@example.com")
    also_by_name = users.create(name="kit lower", email="a2@example.com")
    headers = auth_headers(admin)

    pages, cursor = [], None
    while True:
        response = client.get(f"{USERS}?q=Kit&limit=2" + (f"&cursor={cursor}" if cursor else ""),
                              headers=headers)
        pages.append(ids(response))
        cursor = response.get_json()["nextCursor"]
        if cursor is None:
            break

    assert pages == [[also_by_name.id, by_email.id], [both.id, by_name.id]]


@pytest.mark.parametrize("window", [search.SEARCH_WINDOW, 1, 3], indirect=True)
def test_q_with_filters_finds_older_matches_behind_filtered_ones(client, admin, users,
                                                                auth_headers, window):
    old_admin = users.create(name="Mia Old", email="mia.old@example.com", role="admin")
    # Newer matches than a page, none of them admins: the filter must apply before the
    # page is cut, not after.
    for n in range(4):
        users.create(name=f"Mia {n}", email=f"mia{n}@example.com")
    inactive = users.create(name="Mia Gone", email="gone@example.com", is_active=False)
    headers = auth_headers(admin)

    assert ids(client.get(f"{USERS}?q=mia&role=admin&limit=2", headers=headers)) == \
        [old_admin.id]
    assert ids(client.get(f"{USERS}?q=mia&isActive=false&limit=2", headers=headers)) == \
        [inactive.id]

# --- patch ---------------------------------------------------------------------------------

def test_admin_patches_name_role_and_activity(client, db, admin, user, auth_headers, caplog):
    before = fresh(db, user.id).updated_at
    caplog.set_level(logging.INFO, logger="app.audit")

    response = client.patch(f"{USERS}/{user.id}", headers=auth_headers(admin),
                            json={"name": "  Countess  ", "role": "admin", "isActive": True})

    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["role"], body["isActive"]) == ("Countess", "admin", True)
    assert body["updatedBy"] == admin.id
    row = fresh(db, user.id)
    assert (row.name, row.role.value, row.updated_by) == ("Countess", "admin", admin.id)
    assert row.updated_at >= before
    assert datetime.fromisoformat(body["updatedAt"]) == row.updated_at
    record = next(r for r in caplog.records if r.name == "app.audit")
    assert record.getMessage().startswith(
        f"admin.user_updated actor={admin.id} subject={user.id} ")
    assert "Countess" in record.getMessage()


def test_patch_accepts_an_html_form(client, db, admin, user, auth_headers):
    response = client.patch(f"{USERS}/{user.id}", headers=auth_headers(admin),
                            data={"isActive": "false"})
    assert response.status_code == 200
    assert fresh(db, user.id).is_active is False


def test_patch_without_changes_writes_nothing(client, db, admin, user, auth_headers):
    before = fresh(db, user.id)
    response = client.patch(f"{USERS}/{user.id}", headers=auth_headers(admin),
                            json={"name": user.name})
    assert response.status_code == 200
    after = fresh(db, user.id)
    assert (after.updated_by, after.updated_at) == (before.updated_by, before.updated_at)


@pytest.mark.parametrize(("payload", "field"), [
    ({"name": "   "}, "name"), ({"name": "x" * 256}, "name"), ({"role": "root"}, "role"),
    ({"isActive": "perhaps"}, "isActive"),
], ids=["blank-name", "long-name", "bad-role", "bad-bool"])
def test_patch_field_errors_are_422(client, admin, user, auth_headers, payload, field):
    body = assert_problem(client.patch(f"{USERS}/{user.id}", headers=auth_headers(admin),
                                       json=payload), 422)
    assert field in body["errors"]


def test_patch_and_delete_of_unknown_user_are_404(client, admin, auth_headers):
    assert_problem(client.patch(f"{USERS}/999999", headers=auth_headers(admin),
                                json={"name": "x"}), 404)
    assert_problem(client.delete(f"{USERS}/999999", headers=auth_headers(admin)), 404)


def test_role_change_takes_effect_on_the_next_request(client, admin, user, auth_headers):
    user_headers = auth_headers(user)
    assert_problem(client.get(USERS, headers=user_headers), 403)
    client.patch(f"{USERS}/{user.id}", headers=auth_headers(admin), json={"role": "admin"})
    assert client.get(USERS, headers=user_headers).status_code == 200


# --- last active admin ---------------------------------------------------------------------

@pytest.mark.parametrize(("method", "payload"), [
    ("patch", {"role": "user"}), ("patch", {"isActive": False}), ("delete", None)],
    ids=["demote", "deactivate", "delete"])
def test_last_active_admin_cannot_be_removed(client, db, admin, users, auth_headers,
                                             method, payload):
    users.create(role="admin", is_active=False)  # an inactive admin does not count
    response = getattr(client, method)(f"{USERS}/{admin.id}", headers=auth_headers(admin),
                                       json=payload)
    body = assert_problem(response, 409)
    assert "last active admin" in body["detail"]
    row = fresh(db, admin.id)
    assert (row.role.value, row.is_active) == ("admin", True)


def test_an_admin_may_go_when_another_active_admin_stays(client, db, admin, users,
                                                          auth_headers):
    other = users.create(role="admin")
    assert client.patch(f"{USERS}/{other.id}", headers=auth_headers(admin),
                        json={"role": "user"}).status_code == 200
    # Now `admin` is the last one: demoting itself is refused.
    assert_problem(client.patch(f"{USERS}/{admin.id}", headers=auth_headers(admin),
                                json={"role": "user"}), 409)


def test_last_admin_may_still_rename_itself(client, admin, auth_headers):
    response = client.patch(f"{USERS}/{admin.id}", headers=auth_headers(admin),
                            json={"name": "Still In Charge", "role": "admin"})
    assert response.status_code == 200


# --- delete (deactivate) -------------------------------------------------------------------

def test_delete_deactivates_keeps_data_and_refuses_tokens(client, db, admin, user,
                                                          auth_headers, caplog):
    caplog.set_level(logging.INFO, logger="app.audit")
    user_headers = auth_headers(user)
    assert client.get("/api/v1/auth/me", headers=user_headers).status_code == 200

    response = client.delete(f"{USERS}/{user.id}", headers=auth_headers(admin))

    assert response.status_code == 204
    assert response.get_data() == b""
    row = fresh(db, user.id)
    assert (row.is_active, row.updated_by, row.email) == (False, admin.id, user.email)
    assert_problem(client.get("/api/v1/auth/me", headers=user_headers), 401)
    assert_problem(client.post("/api/v1/auth/login", json={
        "email": user.email, "password": DEFAULT_PASSWORD}), 403)
    assert any("isActive" in r.getMessage() for r in caplog.records
               if r.name == "app.audit")
    # Deleting again is harmless.
    assert client.delete(f"{USERS}/{user.id}", headers=auth_headers(admin)).status_code == 204


def test_reactivation_does_not_revive_old_tokens(client, admin, user, auth_headers):
    old_headers = auth_headers(user)
    client.delete(f"{USERS}/{user.id}", headers=auth_headers(admin))
    client.patch(f"{USERS}/{user.id}", headers=auth_headers(admin), json={"isActive": True})
    assert_problem(client.get("/api/v1/auth/me", headers=old_headers), 401)
    assert client.get("/api/v1/auth/me", headers=auth_headers(user)).status_code == 200
