"""Real gunicorn with two workers: what one worker changes, every worker enforces.

Each server writes an access log with the worker pid of every answer, so a test can
show that more than one worker answered, not merely hope so.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from app.users.models import Role, User
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.live

REDIS_URL = "redis://127.0.0.1:6379/0"
MAX_PROBES = 200  # bounded: stop probing after this many requests per check


def start_logged(live_server, tmp_path: Path, env: dict | None = None):
    """Start 2 workers whose access log lines read '<pid> <status> <path>'."""
    log = tmp_path / "access.log"
    server = live_server(workers=2, env={
        "GUNICORN_ACCESSLOG": str(log),
        "GUNICORN_CMD_ARGS": "--access-logformat '%(p)s %(s)s %(U)s'",
        **(env or {}),
    })
    return server, log


def answers(log: Path, path: str) -> list[tuple[str, int]]:
    """(worker pid, status) of every logged answer for `path`."""
    rows = []
    for line in log.read_text().splitlines():
        pid, status, url = line.split(" ", 2)
        if url == path:
            rows.append((pid, int(status)))
    return rows


def fire(method: str, url: str, count: int, **kwargs) -> list[int]:
    """Send `count` requests from 8 threads, each on its own connection; return statuses."""
    def one(_):
        return requests.request(method, url, timeout=10, **kwargs).status_code
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def probe_until_two_workers(url: str, log: Path, path: str, headers: dict) -> list[int]:
    """Hit `url` until at least two workers have answered (bounded); return statuses."""
    statuses: list[int] = []
    while len(statuses) < MAX_PROBES:
        statuses += fire("GET", url, 20, headers=headers)
        time.sleep(0.05)  # let the workers flush their access log lines
        if len({pid for pid, _ in answers(log, path)}) >= 2:
            break
    return statuses


def login(base: str, email: str, password: str = DEFAULT_PASSWORD) -> dict:
    response = requests.post(f"{base}/api/v1/auth/login", timeout=10,
                             json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("store", ["database", "redis"])
def test_logout_and_deactivation_are_refused_by_every_worker(live_server, tmp_path, users,
                                                             redis_prefix, store):
    store_env = {} if store == "database" else {
        "REVOCATION_STORE_URL": REDIS_URL, "REVOCATION_KEY_PREFIX": redis_prefix}
    account, admin = users.create(), users.create(role="admin")
    server, log = start_logged(live_server, tmp_path, store_env)
    me = f"{server.url}/api/v1/auth/me"

    leaving = login(server.url, account.email)
    staying = login(server.url, account.email)
    bearer = {"Authorization": f"Bearer {leaving['access_token']}"}
    assert set(fire("GET", me, 8, headers=bearer)) == {200}
    assert requests.post(f"{server.url}/api/v1/auth/logout", headers=bearer,
                         timeout=10).status_code == 204

    statuses = probe_until_two_workers(me, log, "/api/v1/auth/me", bearer)

    after_logout = answers(log, "/api/v1/auth/me")[8:]
    assert set(statuses) == {401}
    assert len({pid for pid, _ in after_logout}) >= 2, "only one worker answered"

    # Two workers racing to exchange the same refresh token: exactly one gets a new pair.
    racing = {"Authorization": f"Bearer {staying['refresh_token']}"}
    barrier = threading.Barrier(2)

    def refresh(_) -> int:
        barrier.wait()
        return requests.post(f"{server.url}/api/v1/auth/refresh", headers=racing,
                             timeout=30).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert sorted(pool.map(refresh, range(2))) == [200, 401]

    # Deactivation by an admin, through one request, is refused everywhere too.
    still = {"Authorization": f"Bearer {staying['access_token']}"}
    assert set(fire("GET", me, 4, headers=still)) == {200}
    admin_bearer = {"Authorization": f"Bearer {login(server.url, admin.email)['access_token']}"}
    assert requests.delete(f"{server.url}/api/v1/users/{account.id}", headers=admin_bearer,
                           timeout=10).status_code == 204
    already = len(answers(log, "/api/v1/auth/me"))
    statuses = []
    while len(statuses) < MAX_PROBES:
        statuses += fire("GET", me, 20, headers=still)
        time.sleep(0.05)
        if len({pid for pid, _ in answers(log, "/api/v1/auth/me")[already:]}) >= 2:
            break
    assert set(statuses) == {401}
    assert len({pid for pid, _ in answers(log, "/api/v1/auth/me")[already:]}) >= 2


def test_two_admins_demoting_each_other_leave_one_admin(live_server, tmp_path, users, db):
    first, second = users.create(role="admin"), users.create(role="admin")
    server, _ = start_logged(live_server, tmp_path)
    tokens = {a.id: login(server.url, a.email)["access_token"] for a in (first, second)}
    barrier = threading.Barrier(2)

    def demote(actor: User, target: User) -> int:
        barrier.wait()
        return requests.patch(f"{server.url}/api/v1/users/{target.id}", timeout=30,
                              headers={"Authorization": f"Bearer {tokens[actor.id]}"},
                              json={"role": "user"}).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(demote, (first, second), (second, first)))

    counts = Counter(results)
    assert counts[200] == 1, results
    # The loser is refused whichever way the race went: 403 when the winner had already
    # committed before its admin check, 409 when it waited on the admins' locks (row locks
    # on MariaDB, the write lock on SQLite). Never two 200s, which would leave no admin.
    assert counts[403] + counts[409] == 1, results
    db.session.rollback()
    admins = db.session.query(User).filter(User.role == Role.ADMIN, User.is_active).count()
    assert admins == 1


def test_login_rate_limit_is_shared_by_workers_through_redis(live_server, tmp_path,
                                                             redis_prefix):
    server, log = start_logged(live_server, tmp_path, {
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "LOGIN_RATE_LIMIT": "5 per minute",
        "LOGIN_FAILURE_RATE_LIMIT": "100 per minute",
    })

    def attempt(n: int) -> int:
        return requests.post(f"{server.url}/api/v1/auth/login", timeout=10, json={
            "email": f"nobody{n}@example.com", "password": "wrong password"}).status_code

    statuses: list[int] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(statuses) < MAX_PROBES:  # until both workers have answered (bounded)
            statuses += pool.map(attempt, range(len(statuses), len(statuses) + 24))
            time.sleep(0.05)  # let the workers flush their access log lines
            if len({pid for pid, _ in answers(log, "/api/v1/auth/login")}) >= 2:
                break

    workers = {pid for pid, _ in answers(log, "/api/v1/auth/login")}
    assert len(workers) >= 2, "only one worker answered"
    # With a per-worker (memory) store each worker would let 5 through: up to 10.
    assert Counter(statuses) == {401: 5, 429: len(statuses) - 5}, statuses
