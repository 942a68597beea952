"""Real gunicorn with two workers: ending a session, refresh reuse and refresh races.

Each server logs the worker pid of every answer (tests.auth.test_multi_worker), so the
tests show that both workers refused the ended session, not merely one of them.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import jwt as pyjwt
import pytest
import requests

from tests.auth.test_multi_worker import (
    REDIS_URL,
    answers,
    fire,
    login,
    probe_until_two_workers,
    start_logged,
)

pytestmark = pytest.mark.live

ME_PATH = "/api/v1/auth/me"
MAX_RACE_ROUNDS = 40
RACE_ROUNDS = 5


def store_env(store: str, redis_prefix: str) -> dict:
    if store == "database":
        return {}
    return {"REVOCATION_STORE_URL": REDIS_URL, "REVOCATION_KEY_PREFIX": redis_prefix}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def sid(token: str) -> int:
    return pyjwt.decode(token, options={"verify_signature": False})["sid"]


def refresh(base: str, token: str) -> requests.Response:
    return requests.post(f"{base}/api/v1/auth/refresh", headers=bearer(token), timeout=30)


def assert_refused_by_both_workers(server, log, token: str) -> None:
    already = len(answers(log, ME_PATH))
    statuses = probe_until_two_workers(f"{server.url}{ME_PATH}", log, ME_PATH, bearer(token))
    assert set(statuses) == {401}, statuses
    assert len({pid for pid, _ in answers(log, ME_PATH)[already:]}) >= 2, "one worker only"


@pytest.mark.parametrize("store", ["database", "redis"])
def test_a_session_ended_on_one_worker_is_refused_by_every_worker(live_server, tmp_path, users,
                                                                  redis_prefix, store):
    account = users.create()
    server, log = start_logged(live_server, tmp_path, store_env(store, redis_prefix))
    mine, other = login(server.url, account.email), login(server.url, account.email)
    me = f"{server.url}{ME_PATH}"
    assert set(fire("GET", me, 8, headers=bearer(other["access_token"]))) == {200}

    ended = requests.delete(f"{server.url}/api/v1/auth/sessions/{sid(other['access_token'])}",
                            headers=bearer(mine["access_token"]), timeout=10)

    assert ended.status_code == 204
    assert_refused_by_both_workers(server, log, other["access_token"])
    assert refresh(server.url, other["refresh_token"]).status_code == 401
    assert set(fire("GET", me, 8, headers=bearer(mine["access_token"]))) == {200}


@pytest.mark.parametrize("store", ["database", "redis"])
def test_a_replayed_rotated_refresh_token_ends_the_session_everywhere(live_server, tmp_path,
                                                                      users, redis_prefix,
                                                                      store):
    account = users.create()
    env = {**store_env(store, redis_prefix), "REFRESH_REUSE_GRACE_SECONDS": "0"}
    server, log = start_logged(live_server, tmp_path, env)
    stolen = login(server.url, account.email)
    rotated = refresh(server.url, stolen["refresh_token"])
    assert rotated.status_code == 200
    current = rotated.json()
    assert set(fire("GET", f"{server.url}{ME_PATH}", 8,
                    headers=bearer(current["access_token"]))) == {200}

    replay = refresh(server.url, stolen["refresh_token"])

    assert replay.status_code == 401
    assert "ended" in replay.json()["detail"]
    assert_refused_by_both_workers(server, log, current["access_token"])
    assert refresh(server.url, current["refresh_token"]).status_code == 401


@pytest.mark.parametrize("store", ["database", "redis"])
def test_two_concurrent_refreshes_give_one_200_and_the_winner_keeps_its_session(
        live_server, tmp_path, users, redis_prefix, store):
    account = users.create()
    server, log = start_logged(live_server, tmp_path, store_env(store, redis_prefix))
    tokens = login(server.url, account.email)
    workers: set[str] = set()

    # Race at least RACE_ROUNDS times, and on until two workers have answered a refresh:
    # which worker accepts a connection is the kernel's choice, so a few rounds may all
    # land on one.
    for round_number in range(MAX_RACE_ROUNDS):
        if round_number >= RACE_ROUNDS and len(workers) >= 2:
            break
        barrier = threading.Barrier(2)

        def race(_, token=tokens["refresh_token"], barrier=barrier) -> requests.Response:
            barrier.wait()
            return refresh(server.url, token)

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(race, range(2)))

        assert sorted(r.status_code for r in results) == [200, 401], [r.text for r in results]
        tokens = next(r for r in results if r.status_code == 200).json()
        # The loser did not end the session: the winner's pair works on both workers.
        assert set(fire("GET", f"{server.url}{ME_PATH}", 8,
                        headers=bearer(tokens["access_token"]))) == {200}
        workers |= {pid for pid, _ in answers(log, "/api/v1/auth/refresh")}

    assert len(workers) >= 2, "every refresh was answered by the same worker"
    assert refresh(server.url, tokens["refresh_token"]).status_code == 200
