"""One TOTP code sent twice at the same moment to two gunicorn workers: one sign-in only.

The last used time step is advanced by a conditional UPDATE (`... WHERE lastStep < :step`):
whichever transaction runs it second finds no row to change and answers 401.
"""

from __future__ import annotations

import threading

import pyotp
import pytest
import requests

from app.extensions import db
from app.mfa import crypto
from app.mfa.models import TotpSecret
from app.mfa.totp import confirm_totp, start_totp_setup
from tests.auth.test_multi_worker import answers, start_logged
from tests.factories import DEFAULT_PASSWORD
from tests.mfa.helpers import current_step

pytestmark = pytest.mark.live

MAX_ROUNDS = 12
ROUNDS = 4


def enable_mfa(user) -> str:
    """Turn TOTP on through the services; return the plain secret."""
    secret = start_totp_setup(user=user, current_password=DEFAULT_PASSWORD)["secret"]
    confirm_totp(user=user, code=pyotp.TOTP(secret).generate_otp(current_step() - 1))
    assert crypto.decrypt(db.session.get(TotpSecret, user.id).secret) == secret
    return secret


def login_first_step(base: str, email: str) -> str:
    response = requests.post(f"{base}/api/v1/auth/login", timeout=10,
                             json={"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["mfa_token"]


def race(url: str, bodies: list[dict]) -> list[int]:
    """POST each body from its own thread and connection, all released at once."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def send(body: dict) -> None:
        session = requests.Session()  # its own connection, so either worker may take it
        barrier.wait()
        statuses.append(session.post(url, json=body, timeout=10).status_code)

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_one_code_sent_twice_at_once_signs_in_once(live_server, users, tmp_path):
    accounts = [(account, enable_mfa(account)) for account in
                (users.create() for _ in range(MAX_ROUNDS))]
    server, log = start_logged(live_server, tmp_path)

    # At least ROUNDS races, and on until both workers have answered one: which worker
    # accepts a connection is the kernel's choice.
    for round_number, (account, secret) in enumerate(accounts):
        if round_number >= ROUNDS and len(
                {pid for pid, _ in answers(log, "/api/v1/auth/login/mfa")}) == 2:
            break
        # Two logins, each with its own mfa_token, racing with one and the same code.
        tokens = [login_first_step(server.url, account.email) for _ in range(2)]
        code = pyotp.TOTP(secret).generate_otp(current_step())
        statuses = race(f"{server.url}/api/v1/auth/login/mfa",
                        [{"mfa_token": token, "code": code} for token in tokens])

        assert sorted(statuses) == [200, 401], statuses

    # The access log names the worker of each answer: the races were between two workers.
    workers = {pid for pid, _status in answers(log, "/api/v1/auth/login/mfa")}
    assert len(workers) == 2, workers
