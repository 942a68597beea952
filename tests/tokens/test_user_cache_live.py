"""The Redis user cache never serves stale authority: two live gunicorn workers.

Every check warms the cache through both workers, changes the user through one request,
then requires the very next request, and every one after it on either worker, to see the
change.
"""

from __future__ import annotations

import pytest
import requests

from tests.auth.test_multi_worker import (
    MAX_PROBES,
    REDIS_URL,
    answers,
    fire,
    login,
    probe_until_two_workers,
    start_logged,
)

pytestmark = pytest.mark.live

USERS = "/api/v1/users"
ME = "/api/v1/auth/me"


def redis_server(live_server, tmp_path, redis_prefix):
    return start_logged(live_server, tmp_path, {
        "REVOCATION_STORE_URL": REDIS_URL, "REVOCATION_KEY_PREFIX": redis_prefix})


def after_change(url: str, log, path: str, headers: dict) -> list[int]:
    """Statuses of requests after a change until two workers answered them (bounded)."""
    already = len(answers(log, path))
    first = requests.get(url, headers=headers, timeout=10).status_code
    statuses = [first]
    while len(statuses) < MAX_PROBES:
        statuses += fire("GET", url, 20, headers=headers)
        if len({pid for pid, _ in answers(log, path)[already:]}) >= 2:
            break
    assert len({pid for pid, _ in answers(log, path)[already:]}) >= 2, "one worker answered"
    return statuses


def test_a_demoted_admin_is_refused_admin_work_on_the_next_request(live_server, tmp_path,
                                                                   users, redis_prefix):
    boss, demoted = users.create(role="admin"), users.create(role="admin")
    server, log = redis_server(live_server, tmp_path, redis_prefix)
    bearer = {"Authorization": f"Bearer {login(server.url, demoted.email)['access_token']}"}
    boss_bearer = {"Authorization": f"Bearer {login(server.url, boss.email)['access_token']}"}
    assert set(probe_until_two_workers(f"{server.url}{USERS}", log, USERS, bearer)) == {200}

    response = requests.patch(f"{server.url}{USERS}/{demoted.id}", headers=boss_bearer,
                              json={"role": "user"}, timeout=10)
    assert response.status_code == 200

    assert set(after_change(f"{server.url}{USERS}", log, USERS, bearer)) == {403}
    assert requests.get(f"{server.url}{ME}", headers=bearer, timeout=10).json()["role"] == "user"


def test_a_deactivated_user_is_refused_on_the_next_request(live_server, tmp_path, users,
                                                           redis_prefix):
    admin, account = users.create(role="admin"), users.create()
    server, log = redis_server(live_server, tmp_path, redis_prefix)
    bearer = {"Authorization": f"Bearer {login(server.url, account.email)['access_token']}"}
    admin_bearer = {"Authorization": f"Bearer {login(server.url, admin.email)['access_token']}"}
    assert set(probe_until_two_workers(f"{server.url}{ME}", log, ME, bearer)) == {200}

    assert requests.delete(f"{server.url}{USERS}/{account.id}", headers=admin_bearer,
                           timeout=10).status_code == 204

    assert set(after_change(f"{server.url}{ME}", log, ME, bearer)) == {401}


def test_tokens_from_before_a_password_change_are_refused_on_the_next_request(
        live_server, tmp_path, users, redis_prefix):
    account = users.create()
    server, log = redis_server(live_server, tmp_path, redis_prefix)
    old = {"Authorization": f"Bearer {login(server.url, account.email)['access_token']}"}
    assert set(probe_until_two_workers(f"{server.url}{ME}", log, ME, old)) == {200}

    response = requests.post(f"{server.url}/api/v1/auth/password", headers=old, timeout=10,
                             json={"current_password": "correct horse battery",
                                   "new_password": "another long password"})
    assert response.status_code == 204

    assert set(after_change(f"{server.url}{ME}", log, ME, old)) == {401}
    new = {"Authorization": "Bearer " + login(
        server.url, account.email, "another long password")["access_token"]}
    assert requests.get(f"{server.url}{ME}", headers=new, timeout=10).status_code == 200


def test_a_renamed_user_reads_the_new_name_everywhere(live_server, tmp_path, users,
                                                      redis_prefix):
    account = users.create(name="Before")
    server, log = redis_server(live_server, tmp_path, redis_prefix)
    bearer = {"Authorization": f"Bearer {login(server.url, account.email)['access_token']}"}
    assert set(probe_until_two_workers(f"{server.url}{ME}", log, ME, bearer)) == {200}

    assert requests.patch(f"{server.url}{ME}", headers=bearer, json={"name": "After"},
                          timeout=10).status_code == 200

    names = {requests.get(f"{server.url}{ME}", headers=bearer, timeout=10).json()["name"]
             for _ in range(20)}
    assert names == {"After"}
