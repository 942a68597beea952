"""redis+sentinel:// URLs (the HA topology's) build clients that ask the sentinels."""

from __future__ import annotations

import pytest
import redis
import redis.retry

from app.redis_url import redis_client


def test_a_sentinel_url_names_every_sentinel_and_the_service(monkeypatch):
    client = redis_client("redis+sentinel://127.0.0.1:26390,localhost:26391/signet",
                          socket_timeout=1)

    pool = client.connection_pool
    assert pool.service_name == "signet"
    sentinels = pool.sentinel_manager.sentinels
    assert [(s.connection_pool.connection_kwargs["host"],
             s.connection_pool.connection_kwargs["port"]) for s in sentinels] == [
        ("127.0.0.1", 26390), ("localhost", 26391)]
    # Nothing listens there: the client says so as a Redis error (a 503), not a crash.
    # It retries as configured, without the 1 + 2 + 4 s of back-off between the tries.
    monkeypatch.setattr(redis.retry, "sleep", lambda _seconds: None)
    with pytest.raises(redis.RedisError):
        client.ping()


def test_a_sentinel_url_without_a_service_is_refused():
    with pytest.raises(ValueError, match="service"):
        redis_client("redis+sentinel://127.0.0.1:26390")


def test_plain_urls_are_plain_clients():
    assert redis_client("redis://127.0.0.1:6379/0").ping()
