"""The revocation store: database and Redis backends, expiry and purging."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import redis
from flask_jwt_extended import decode_token
from sqlalchemy import func, select

from app.db_types import utcnow
from app.settings import ConfigError, build_settings
from app.tokens import revocation
from app.tokens.models import RevokedToken
from app.tokens.revocation import DatabaseRevocationStore, RedisRevocationStore, build_store
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem

REDIS_URL = "redis://127.0.0.1:6379/0"


def soon(seconds: int = 60) -> datetime:
    return utcnow() + timedelta(seconds=seconds)


def row_jtis(db) -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(select(RevokedToken.jti)))


@pytest.fixture
def redis_store(redis_prefix):
    """A Redis-backed store whose keys are removed after the test."""
    return RedisRevocationStore(REDIS_URL, key_prefix=redis_prefix)


@pytest.fixture
def redis_app_config(app_config, redis_prefix):
    """App settings that select the Redis revocation store."""
    app_config.update(REVOCATION_STORE_URL=REDIS_URL, REVOCATION_KEY_PREFIX=redis_prefix)
    return app_config


def test_store_is_chosen_by_url(app):
    assert isinstance(build_store("database"), DatabaseRevocationStore)
    assert isinstance(build_store("redis://127.0.0.1:6379/0"), RedisRevocationStore)
    with pytest.raises(ConfigError, match="REVOCATION_STORE_URL is refused"):
        build_settings({"APP_ENV": "testing", "REVOCATION_STORE_URL": "memcached://127.0.0.1"})


def test_database_store_revokes_once_and_remembers(app, db):
    store = DatabaseRevocationStore()
    assert store.is_revoked("a") is False
    assert store.revoke("a", soon()) is True
    db.session.commit()
    assert store.revoke("a", soon()) is False  # the unique jti decides
    db.session.commit()
    assert store.is_revoked("a") is True
    assert row_jtis(db) == {"a"}


def test_database_store_purges_only_expired_rows(app, db):
    store = DatabaseRevocationStore()
    store.revoke("expired", utcnow() - timedelta(seconds=1))
    store.revoke("live", soon())
    db.session.commit()

    assert store.purge_expired() == 1
    db.session.commit()

    assert row_jtis(db) == {"live"}


def test_revoking_purges_expired_rows_now_and_then(app, db):
    db.session.add(RevokedToken(jti="old", expires_at=utcnow() - timedelta(days=1)))
    db.session.commit()

    revocation.revoke("new", soon())  # the app's store: first revoke of this process
    db.session.commit()

    assert row_jtis(db) == {"new"}


def test_purge_cli_deletes_expired_rows(app, db):
    db.session.add_all([
        RevokedToken(jti="old-1", expires_at=utcnow() - timedelta(minutes=1)),
        RevokedToken(jti="old-2", expires_at=utcnow() - timedelta(days=3)),
        RevokedToken(jti="live", expires_at=soon()),
    ])
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["tokens", "purge"])

    assert result.exit_code == 0, result.output
    assert "Purged 2 " in result.output
    assert row_jtis(db) == {"live"}


def test_redis_store_revokes_once_with_the_token_lifetime_as_ttl(redis_store, redis_prefix):
    client = redis.Redis.from_url(REDIS_URL)
    assert redis_store.is_revoked("jti-1") is False

    assert redis_store.revoke("jti-1", soon(120)) is True
    assert redis_store.revoke("jti-1", soon(120)) is False

    assert redis_store.is_revoked("jti-1") is True
    assert 110 <= client.ttl(f"{redis_prefix}revoked:jti-1") <= 120
    assert redis_store.purge_expired() == 0


def test_redis_entry_disappears_when_the_token_expires(redis_store, redis_prefix):
    redis_store.revoke("short", utcnow() + timedelta(milliseconds=300))
    client = redis.Redis.from_url(REDIS_URL)
    assert client.ttl(f"{redis_prefix}revoked:short") == 1  # at least a second, rounded up
    client.pexpire(f"{redis_prefix}revoked:short", 50)  # fast-forward instead of sleeping
    time.sleep(0.2)
    assert redis_store.is_revoked("short") is False


def test_redis_down_is_503_not_500(app_config, users):
    app_config["REVOCATION_STORE_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    from app import create_app

    application = create_app(app_config)
    client = application.test_client()
    account = users.create()
    tokens = client.post("/api/v1/auth/login", json={
        "email": account.email, "password": DEFAULT_PASSWORD}).get_json()

    response = client.get("/api/v1/auth/me",
                          headers={"Authorization": f"Bearer {tokens['access_token']}"})

    body = assert_problem(response, 503)
    assert response.headers["Retry-After"]
    assert "redis" not in body["detail"].lower()


def test_logout_with_redis_store_is_seen_and_writes_no_rows(redis_app_config, client, db,
                                                            users, redis_prefix):
    account = users.create()
    tokens = client.post("/api/v1/auth/login", json={
        "email": account.email, "password": DEFAULT_PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204

    assert_problem(client.get("/api/v1/auth/me", headers=headers), 401)
    assert_problem(client.post("/api/v1/auth/refresh", headers={
        "Authorization": f"Bearer {tokens['refresh_token']}"}), 401)
    assert db.session.scalar(select(func.count()).select_from(RevokedToken)) == 0
    # One key ends the whole session: its access and its refresh token.
    assert redis.Redis.from_url(REDIS_URL).keys(f"{redis_prefix}revoked:*") == [
        f"{redis_prefix}revoked:sid:{decode_token(tokens['access_token'])['sid']}".encode()]
