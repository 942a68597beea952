"""DELETE /auth/me: the account and everything it owns are gone, rows and bytes."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.extensions import db as _db
from tests.factories import DEFAULT_PASSWORD, image_bytes
from tests.helpers import assert_problem, row_count

ME = "/api/v1/auth/me"
# Every test here runs on the local disk and on S3 (moto over HTTP).
pytestmark = pytest.mark.all_storage_backends


def delete_me(client, headers, password=DEFAULT_PASSWORD, encoding="json"):
    if encoding == "json":
        return client.delete(ME, headers=headers, json={"current_password": password})
    if encoding == "urlencoded":
        return client.delete(ME, headers=headers, data={"current_password": password})
    return client.delete(ME, headers=headers, data={"current_password": password},
                         content_type="multipart/form-data")


def user_row(user_id: int) -> dict | None:
    with _db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT * FROM users WHERE id = :id"),
                            {"id": user_id}).mappings().first()


def files_of(user_id: int) -> int:
    with _db.engine.connect() as conn:
        return conn.execute(sa.text('SELECT COUNT(*) FROM files WHERE "ownerId" = :id'
                                    if conn.dialect.name == "sqlite" else
                                    "SELECT COUNT(*) FROM files WHERE ownerId = :id"),
                            {"id": user_id}).scalar_one()


def rows_naming(user_id: int) -> dict[str, int]:
    """Rows of every table whose foreign keys to users.id still hold `user_id`.

    Read from the schema, so tables added later (sessions, personal tokens, ...) are
    checked too.
    """
    found = {}
    with _db.engine.connect() as conn:
        for table in _db.metadata.sorted_tables:
            for key in table.foreign_keys:
                if key.column.table.name == "users" and key.column.name == "id":
                    count = conn.scalar(sa.select(sa.func.count()).select_from(table)
                                        .where(key.parent == user_id))
                    if count:
                        found[f"{table.name}.{key.parent.name}"] = count
    return found


def audit_actions(user_id: int) -> list[str]:
    _db.session.rollback()
    return list(_db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.subject_id == user_id).order_by(AuditEvent.id)))


@pytest.mark.parametrize("encoding", ["json", "urlencoded", "multipart"])
def test_delete_removes_the_user_its_files_and_their_bytes(client, user, users,
                                                           auth_headers, upload, blobs,
                                                           encoding):
    other = users.create()
    assert upload(other, b"someone else's\n", "other.txt").status_code == 201
    others_blobs = blobs()
    for name, data in (("a.txt", b"alpha\n"), ("b.png", image_bytes())):
        assert upload(user, data, name).status_code == 201
    response = client.patch(ME, headers=auth_headers(user),
                            data={"profile_image": (io.BytesIO(image_bytes()), "me.png")},
                            content_type="multipart/form-data")
    assert response.status_code == 200
    assert len(blobs()) == len(others_blobs) + 3
    headers, user_id = auth_headers(user), user.id

    response = delete_me(client, headers, encoding=encoding)

    assert response.status_code == 204, response.get_data(as_text=True)
    assert response.get_data() == b""
    assert user_row(user_id) is None
    assert files_of(user_id) == 0
    assert rows_naming(user_id) == {}
    assert row_count("files") == 1
    assert blobs() == others_blobs
    assert_problem(client.get(ME, headers=headers), 401)
    assert_problem(client.post("/api/v1/auth/login", json={
        "email": "ada@example.com", "password": DEFAULT_PASSWORD}), 401)
    assert audit_actions(user_id)[-1] == "account.deleted"


def test_others_created_by_and_updated_by_become_null(client, users, auth_headers):
    leaving = users.create(role="admin")
    staying = users.create(role="admin")
    leaving_id = leaving.id
    response = client.post("/api/v1/auth/register", headers=auth_headers(leaving), json={
        "name": "Created", "email": "created@example.com", "password": "long enough pw"})
    assert response.status_code == 201
    created = response.get_json()["id"]
    assert client.patch(f"/api/v1/users/{staying.id}", headers=auth_headers(leaving),
                        json={"name": "Edited"}).status_code == 200
    before = user_row(created)

    assert delete_me(client, auth_headers(leaving)).status_code == 204

    assert (user_row(created)["createdBy"], user_row(created)["updatedBy"]) == (None, None)
    assert rows_naming(leaving_id) == {}
    assert user_row(staying.id)["updatedBy"] is None
    assert user_row(created)["updatedAt"] == before["updatedAt"]
    # Events keep the numeric id of the account that is gone.
    _db.session.rollback()
    actors = set(_db.session.scalars(sa.select(AuditEvent.actor_id).where(
        AuditEvent.action.in_(["admin.user_updated", "account.deleted"]))))
    assert actors == {leaving_id}


def test_wrong_password_is_401_and_changes_nothing(client, user, auth_headers, upload,
                                                   blobs):
    assert upload(user, b"keep me\n", "keep.txt").status_code == 201
    before = blobs()

    assert_problem(delete_me(client, auth_headers(user), password="not it at all"), 401)

    assert user_row(user.id) is not None and files_of(user.id) == 1
    assert blobs() == before
    assert "account.deleted" not in audit_actions(user.id)


@pytest.mark.parametrize("body", [{}, {"current_password": ""},
                                  {"current_password": "x" * 1025}])
def test_a_missing_or_oversized_password_is_422(client, user, auth_headers, body):
    assert_problem(client.delete(ME, headers=auth_headers(user), json=body), 422)
    assert user_row(user.id) is not None


def test_anonymous_is_401(client):
    assert_problem(client.delete(ME, json={"current_password": DEFAULT_PASSWORD}), 401)


def test_the_last_active_admin_cannot_leave(client, admin, users, auth_headers):
    users.create(role="admin", is_active=False)

    assert_problem(delete_me(client, auth_headers(admin)), 409)

    assert user_row(admin.id) is not None
    assert "account.deleted" not in audit_actions(admin.id)
    users.create(role="admin")
    assert delete_me(client, auth_headers(admin)).status_code == 204


def test_a_deleted_id_is_never_given_to_a_new_account(client, users, auth_headers):
    users.create()
    leaving = users.create()  # the highest id: SQLite would hand it out again by default
    old_headers, leaving_id = auth_headers(leaving), leaving.id
    assert delete_me(client, old_headers).status_code == 204

    newcomer = users.create()

    assert newcomer.id > leaving_id
    assert_problem(client.get(ME, headers=old_headers), 401)


def test_gc_finds_nothing_left_after_a_deletion(app, client, user, auth_headers, upload):
    assert upload(user, b"to be deleted\n", "x.txt").status_code == 201
    assert delete_me(client, auth_headers(user)).status_code == 204

    result = app.test_cli_runner().invoke(args=["files", "gc", "--dry-run",
                                                "--grace-seconds", "0"])

    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == [
        "0 orphan blob(s) would be removed, 0 recent orphan blob(s) kept, "
        "0 row(s) without bytes, 0 row(s) deleted."]


def test_gc_finishes_a_cleanup_cut_short_after_the_commit(app, client, user, auth_headers,
                                                          upload, blobs, monkeypatch):
    assert upload(user, b"orphaned by a crash\n", "x.txt").status_code == 201
    left_behind, user_id = blobs(), user.id
    # The process dies between the commit and the bytes cleanup.
    monkeypatch.setattr("app.account.deletion.remove_blobs", lambda keys: None)
    assert delete_me(client, auth_headers(user)).status_code == 204
    assert blobs() == left_behind

    result = app.test_cli_runner().invoke(args=["files", "gc", "--grace-seconds", "0"])

    assert result.exit_code == 0, result.output
    assert "1 orphan blob(s) removed" in result.output
    assert blobs() == set()
    assert user_row(user_id) is None


@pytest.fixture
def redis_store(app_config, redis_prefix):
    """The Redis revocation store, whose user rows are cached in Redis."""
    app_config.update(REVOCATION_STORE_URL="redis://127.0.0.1:6379/0",
                      REVOCATION_KEY_PREFIX=redis_prefix)
    return app_config


def test_with_the_redis_user_cache_a_deleted_account_is_refused_at_once(
        redis_store, client, users, auth_headers):
    leaving = users.create(role="admin")
    users.create(role="admin")
    edited = users.create()
    headers = auth_headers(leaving)
    assert client.patch(f"/api/v1/users/{edited.id}", headers=headers,
                        json={"name": "Edited"}).status_code == 200
    edited_headers = auth_headers(edited)
    assert client.get(ME, headers=headers).status_code == 200  # now cached
    assert client.get(ME, headers=edited_headers).get_json()["updatedBy"] == leaving.id

    assert delete_me(client, headers).status_code == 204

    assert_problem(client.get(ME, headers=headers), 401)
    assert client.get(ME, headers=edited_headers).get_json()["updatedBy"] is None
