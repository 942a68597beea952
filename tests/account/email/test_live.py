"""Real gunicorn: one reset token raced by two requests, and the service's own output.

Each race is two threads released together by a barrier, each on its own connection to a
two-worker gunicorn; the database decides which conditional UPDATE sets `usedAt`.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.account.email.mailbox import Mailbox
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.live

ROUNDS = 8


def wait_for_mail(mailbox: Mailbox, count: int, timeout: float = 20.0) -> list:
    """The next `count` messages, delivered by the server's thread or by this process."""
    received: list = []
    deadline = time.monotonic() + timeout
    while len(received) < count and time.monotonic() < deadline:
        received += mailbox.new()
        time.sleep(0.2)
    assert len(received) == count, [(m.to, m.subject) for m in received]
    return received


def race(url: str, bodies: list[dict]) -> list[int]:
    """POST each body from its own thread, all released at once; return the statuses."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def one(index: int) -> None:
        with requests.Session() as session:
            barrier.wait()
            statuses[index] = session.post(url, json=bodies[index], timeout=30).status_code

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_two_concurrent_resets_with_one_token_one_wins(app, live_server, user, mailbox):
    # Each round mails the address twice: more than MAIL_PER_ADDRESS_PER_HOUR allows.
    server = live_server(workers=2, env={"MAIL_PER_ADDRESS_PER_HOUR": "0"})
    base = server.url
    password = DEFAULT_PASSWORD
    for round_number in range(ROUNDS):
        requests.post(f"{base}/api/v1/auth/password/forgot", json={"email": user.email},
                      timeout=10)
        [mail] = wait_for_mail(mailbox, 1)
        candidates = [f"racer {round_number} a", f"racer {round_number} b"]

        statuses = race(f"{base}/api/v1/auth/password/reset",
                        [{"token": mail.token, "new_password": p} for p in candidates])

        assert sorted(statuses) == [204, 422], f"round {round_number}: {statuses}"
        winner = candidates[statuses.index(204)]
        logins = {p: requests.post(f"{base}/api/v1/auth/login", timeout=10, json={
            "email": user.email, "password": p}).status_code
            for p in [password, *candidates]}
        assert logins == {p: 200 if p == winner else 401 for p in logins}
        password = winner
        [notice] = wait_for_mail(mailbox, 1)  # one reset, so one notice
        assert notice.subject == "Your Signet password was reset"


def test_the_service_output_holds_no_token_link_or_password(app, live_server, mailbox,
                                                             tmp_path):
    output = tmp_path / "gunicorn.log"
    server = live_server(workers=2, output=output, env={"GUNICORN_ACCESSLOG": "-"})
    base = server.url
    secrets = [DEFAULT_PASSWORD, "the new password 1"]
    assert requests.post(f"{base}/api/v1/auth/register", timeout=10, json={
        "name": "Live", "email": "live@example.com", "password": DEFAULT_PASSWORD,
    }).status_code == 201
    [verify] = wait_for_mail(mailbox, 1)
    requests.get(verify.link.replace(verify.link.split("/verify-email")[0], base), timeout=10)
    assert requests.post(f"{base}/api/v1/auth/verify-email", data={"token": verify.token},
                         timeout=10).status_code == 200
    requests.post(f"{base}/api/v1/auth/password/forgot", data={"email": "live@example.com"},
                  timeout=10)
    [reset] = wait_for_mail(mailbox, 1)
    requests.get(f"{base}/reset-password?token={reset.token}", timeout=10)
    assert requests.post(f"{base}/api/v1/auth/password/reset", timeout=10, data={
        "token": reset.token, "new_password": secrets[1]}).status_code == 204
    wait_for_mail(mailbox, 1)
    time.sleep(0.5)  # let the workers flush their last lines

    text = output.read_text()
    assert "/reset-password" in text and "/api/v1/auth/password/reset" in text
    for secret in [verify.token, reset.token, verify.link, reset.link, *secrets]:
        assert secret not in text
    assert "token=" not in text


def test_two_accounts_confirming_one_new_address_at_once_one_wins(
        app, client, live_server, users, auth_headers, mailbox):
    accounts = [users.create(), users.create()]
    for account in accounts:
        assert client.post("/api/v1/auth/email/change", headers=auth_headers(account), json={
            "new_email": "wanted@example.com", "current_password": DEFAULT_PASSWORD,
        }).status_code == 202
    tokens = [m.token for m in mailbox.new() if m.to == "wanted@example.com"]
    assert len(tokens) == 2
    server = live_server(workers=2)

    statuses = race(f"{server.url}/api/v1/auth/email/change/confirm",
                    [{"token": token} for token in tokens])

    assert sorted(statuses) == [200, 409]
    login = requests.post(f"{server.url}/api/v1/auth/login", timeout=10, json={
        "email": "wanted@example.com", "password": DEFAULT_PASSWORD})
    assert login.status_code == 200  # exactly one account holds the address
