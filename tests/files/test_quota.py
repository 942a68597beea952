"""The per-user storage quota (issue 13, item 3): counted atomically, kept right on delete."""

from __future__ import annotations

import io
import threading

import pytest
import requests

from app.settings import replace_settings
from app.users.models import User
from tests.account.registration import URL as REGISTER
from tests.account.registration import with_image
from tests.factories import DEFAULT_PASSWORD, image_bytes
from tests.helpers import row_count

QUOTA_TYPE_SUFFIX = "quota-exceeded"


def storage_used(db, user_id: int) -> int:
    db.session.rollback()  # a fresh snapshot: MariaDB's repeatable read would keep the old
    return db.session.get(User, user_id).storage_used


@pytest.fixture
def quota_config(app_config):
    app_config["USER_STORAGE_QUOTA_BYTES"] = 1000
    return app_config


def assert_quota_exceeded(response) -> None:
    assert response.status_code == 413, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"].endswith(QUOTA_TYPE_SUFFIX)
    assert "storage quota of 1000 bytes" in body["detail"]


def test_uploads_count_until_the_quota_then_413(quota_config, upload, user, db, blobs,
                                                client, auth_headers):
    assert upload(user, b"a" * 600, "a.txt").status_code == 201
    assert upload(user, b"b" * 400, "b.txt").status_code == 201  # exactly the quota
    assert storage_used(db, user.id) == 1000

    assert_quota_exceeded(upload(user, b"c", "c.txt"))

    assert row_count("files") == 2 and len(blobs()) == 2  # nothing half-written
    me = client.get("/api/v1/auth/me", headers=auth_headers(user)).get_json()
    assert (me["storageUsed"], me["storageQuota"]) == (1000, 1000)


def test_deleting_gives_the_bytes_back(quota_config, upload, user, db, client, auth_headers):
    first = upload(user, b"a" * 900, "a.txt").get_json()
    assert_quota_exceeded(upload(user, b"b" * 200, "b.txt"))

    response = client.delete(f"/api/v1/files/{first['id']}", headers=auth_headers(user))
    assert response.status_code == 204
    assert storage_used(db, user.id) == 0
    # A second delete of the same file changes nothing.
    assert client.delete(f"/api/v1/files/{first['id']}",
                         headers=auth_headers(user)).status_code == 404
    assert storage_used(db, user.id) == 0
    assert upload(user, b"b" * 200, "b.txt").status_code == 201


def test_admins_are_unlimited_but_counted(quota_config, upload, admin, db, client,
                                          auth_headers):
    assert upload(admin, b"a" * 1500, "a.txt").status_code == 201
    me = client.get("/api/v1/auth/me", headers=auth_headers(admin)).get_json()
    assert (me["storageUsed"], me["storageQuota"]) == (1500, None)


def test_a_quota_of_zero_means_none(app, upload, user, client, auth_headers):
    replace_settings(app, USER_STORAGE_QUOTA_BYTES=0)
    assert upload(user, b"a" * 5000, "a.txt").status_code == 201
    me = client.get("/api/v1/auth/me", headers=auth_headers(user)).get_json()
    assert (me["storageUsed"], me["storageQuota"]) == (5000, None)


def test_the_profile_image_counts_and_replacing_it_gives_the_old_back(
        app_config, client, db, auth_headers):
    response = client.post(REGISTER, data=with_image(image_bytes("PNG", (40, 40))),
                           content_type="multipart/form-data")
    assert response.status_code == 201
    created = response.get_json()
    first_size = db.session.get(User, created["id"]).profile_image.size
    assert created["storageUsed"] == first_size > 0

    account = db.session.get(User, created["id"])
    response = client.patch("/api/v1/auth/me", headers=auth_headers(account),
                            data={"profile_image": (io.BytesIO(
                                image_bytes("GIF", (20, 20))), "b.gif")},
                            content_type="multipart/form-data")
    assert response.status_code == 200
    new_size = db.session.get(User, created["id"]).profile_image.size
    assert storage_used(db, created["id"]) == new_size != first_size


@pytest.fixture
def limited_uploads(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                      UPLOAD_RATE_LIMIT="2 per minute")
    return app_config


def test_uploads_are_rate_limited_per_user(limited_uploads, upload, user, admin):
    assert upload(user, b"1", "1.txt").status_code == 201
    assert upload(user, b"2", "2.txt").status_code == 201
    response = upload(user, b"3", "3.txt")
    assert response.status_code == 429
    assert "Too many uploads" in response.get_json()["detail"]
    assert upload(admin, b"4", "4.txt").status_code == 201  # another account's own budget


@pytest.mark.live
def test_concurrent_uploads_cannot_overshoot_the_quota(live_server, users, db, db_kind,
                                                       storage_backend):
    if storage_backend != "local":
        pytest.skip("the race is in the database; one storage backend proves it")
    account = users.create()
    server = live_server(workers=4, env={"USER_STORAGE_QUOTA_BYTES": "10000"})
    token = requests.post(f"{server.url}/api/v1/auth/login", timeout=10, json={
        "email": account.email, "password": DEFAULT_PASSWORD}).json()["access_token"]
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def one(index: int) -> None:
        barrier.wait()
        answer = requests.post(f"{server.url}/api/v1/files", timeout=30,
                               headers={"Authorization": f"Bearer {token}"},
                               files={"file": (f"{index}.txt", b"x" * 3000)})
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # 10000 bytes hold three uploads of 3000: exactly three win, whatever the timing.
    assert sorted(statuses) == [201] * 3 + [413] * 5
    assert storage_used(db, account.id) == 9000
    assert row_count("files") == 3
