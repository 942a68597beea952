"""The Redis user cache: a change whose invalidation fails never leaves a stale entry."""

from __future__ import annotations

import json

import pytest
import redis
import sqlalchemy as sa

from app.exceptions import ServiceUnavailable
from app.tokens.revocation import current_store
from app.users.admin import update_user
from app.users.models import Role, User
from tests.helpers import TcpProxy

REDIS_ADDRESS = ("127.0.0.1", 6379)


@pytest.fixture
def redis_proxy():
    """Redis behind a TCP forwarder the test can cut (a real outage)."""
    proxy = TcpProxy(REDIS_ADDRESS).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def redis_app_config(app_config, redis_prefix, redis_proxy):
    app_config.update(REVOCATION_STORE_URL=f"redis://127.0.0.1:{redis_proxy.port}/0",
                      REVOCATION_KEY_PREFIX=redis_prefix)
    return app_config


def me(client, headers) -> dict:
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def role_in_database(db, user_id: int) -> str:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT role FROM users WHERE id = :id"),
                            {"id": user_id}).scalar_one()


@pytest.mark.usefixtures("redis_app_config")
def test_a_change_is_refused_with_503_when_the_cache_cannot_be_told(client, db, users, admin,
                                                                     auth_headers, redis_proxy):
    target = users.create(role="admin")
    headers, target_id, admin_id = auth_headers(target), target.id, admin.id
    assert me(client, headers)["role"] == "admin"  # cached now
    db.session.expunge_all()
    acting = db.session.get(User, admin_id)

    redis_proxy.stop()
    with pytest.raises(ServiceUnavailable):
        update_user(admin=acting, user_id=target_id, role=Role.USER)
    redis_proxy.start()

    assert role_in_database(db, target_id) == "admin"  # nothing was committed
    db.session.expunge_all()
    assert me(client, headers)["role"] == "admin"


@pytest.mark.usefixtures("redis_app_config")
def test_a_failed_renewal_after_commit_serves_the_database_never_the_old_entry(
        client, db, users, auth_headers, redis_prefix):
    target = users.create(role="admin")
    headers = auth_headers(target)
    assert me(client, headers)["role"] == "admin"
    target = db.session.get(User, target.id)
    cache = current_store().users
    raw = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    old_entry = raw.get(cache.entry_key(target.id))
    assert old_entry is not None

    # The commit's first step succeeded (busy marker), the change committed, and the
    # renewal after it never reached Redis: the old entry is still there.
    cache.begin_change({target.id})
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET role = 'user' WHERE id = :id"),
                     {"id": target.id})
    db.session.expunge_all()

    assert me(client, headers)["role"] == "user"  # read from the database while busy
    assert raw.get(cache.entry_key(target.id)) == old_entry  # and nothing cached meanwhile

    raw.delete(cache.generation_key(target.id))  # the busy marker expires
    db.session.expunge_all()
    assert me(client, headers)["role"] == "user"
    assert json.loads(raw.get(cache.entry_key(target.id)))["u"]["role"] == "user"  # refilled
    db.session.expunge_all()
    assert me(client, headers)["role"] == "user"  # from the new entry


@pytest.mark.usefixtures("redis_app_config")
def test_deleting_a_profile_image_invalidates_the_users_showing_it(client, db, user,
                                                                   auth_headers):
    from tests.factories import image_bytes

    headers = auth_headers(user)
    response = client.patch("/api/v1/auth/me", headers=headers, data={
        "profile_image": (__import__("io").BytesIO(image_bytes()), "me.png")},
        content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    image_id = response.get_json()["profileImageId"]
    db.session.expunge_all()
    assert me(client, headers)["profileImageId"] == image_id  # cached with the image

    assert client.delete(f"/api/v1/files/{image_id}", headers=headers).status_code == 204
    db.session.expunge_all()

    assert me(client, headers)["profileImageId"] is None
