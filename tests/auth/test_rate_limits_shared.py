"""Rate limits hold across workers in the default setup (issue 13, item 4).

memory:// counted per worker: with 4 workers every limit let 4x through. The default
store is now a SQLite file all workers of an instance share; production refuses to start
with memory:// and more than one worker.
"""

from __future__ import annotations

import runpy
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.live_server import ROOT


@pytest.mark.live
def test_the_login_limit_holds_across_four_workers_in_the_default_setup(live_server):
    # APP_ENV=development with no RATELIMIT_STORAGE_URI: what `make run` does.
    server = live_server(workers=4, env={
        "APP_ENV": "development", "RATELIMIT_ENABLED": "true",
        "LOGIN_RATE_LIMIT": "5 per minute", "LOGIN_ACCOUNT_FAILURE_CEILING": "1000/minute",
        "LOGIN_FAILURE_RATE_LIMIT": "1000/minute",
        "RATELIMIT_KEY_PREFIX": f"signet-test-{uuid.uuid4().hex[:12]}",
    })

    def attempt(n: int) -> int:
        return requests.post(f"{server.url}/api/v1/auth/login", timeout=30, json={
            "email": f"nobody{n}@example.com", "password": "wrong password"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(24)))

    assert sorted(statuses) == [401] * 5 + [429] * 19


# What production needs besides the rate-limit store: gunicorn.conf.py checks every setting.
# Any Fernet key: production refuses to start without one sealing the signing keys.
SEAL = "x7Tz2wV0dJ7cQFhJmQm3b5l8Qx5aYkqkS0fJbX1yXqU="
PRODUCTION = {"SIGNING_KEY_ENCRYPTION_KEY": SEAL,
              "SECRET_KEY": "s" * 48, "JWT_SECRET_KEY": "j" * 48, "SMTP_HOST": "smtp.example",
              "PUBLIC_BASE_URL": "https://signet.example.com"}


def load_conf(monkeypatch, **env) -> dict:
    for name in ("RATELIMIT_STORAGE_URI", "RATELIMIT_ENABLED", "APP_ENV"):
        monkeypatch.delenv(name, raising=False)
    if env.get("APP_ENV") == "production":
        env = {**PRODUCTION, **env}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_production_refuses_a_per_worker_store_with_several_workers(monkeypatch):
    with pytest.raises(SystemExit) as refused:
        load_conf(monkeypatch, APP_ENV="production", RATELIMIT_STORAGE_URI="memory://",
                  WEB_CONCURRENCY="4")

    message = str(refused.value)
    assert "4x every rate limit" in message and "redis://" in message


@pytest.mark.parametrize("env", [
    {"APP_ENV": "production", "WEB_CONCURRENCY": "4"},  # the shared default store
    {"APP_ENV": "production", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
     "WEB_CONCURRENCY": "4"},
    {"APP_ENV": "production", "RATELIMIT_STORAGE_URI": "memory://", "WEB_CONCURRENCY": "1"},
    {"APP_ENV": "development", "RATELIMIT_STORAGE_URI": "memory://", "WEB_CONCURRENCY": "4"},
])
def test_shared_stores_and_single_workers_start(monkeypatch, env):
    assert load_conf(monkeypatch, **env)["workers"] == int(env["WEB_CONCURRENCY"])
