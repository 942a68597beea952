"""Two admins deleting themselves at once on real gunicorn: one leaves, one stays (409).

The race is about rows and locks, so it runs on the local disk only (no marker).
"""

from __future__ import annotations

import threading

import pytest
import requests
import sqlalchemy as sa

from app.extensions import db as _db
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.live


def test_the_last_two_admins_cannot_both_leave(live_server, users):
    admins = [users.create(role="admin") for _ in range(2)]
    emails = [admin.email for admin in admins]
    server = live_server(workers=2)
    tokens = [requests.post(f"{server.url}/api/v1/auth/login", timeout=10, json={
        "email": email, "password": DEFAULT_PASSWORD}).json()["access_token"]
        for email in emails]
    start, statuses = threading.Barrier(2), [0, 0]

    def leave(index: int) -> None:
        start.wait()
        statuses[index] = requests.delete(
            f"{server.url}/api/v1/auth/me", timeout=30,
            headers={"Authorization": f"Bearer {tokens[index]}"},
            json={"current_password": DEFAULT_PASSWORD}).status_code

    threads = [threading.Thread(target=leave, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [204, 409]
    with _db.engine.connect() as conn:
        left = conn.scalar(sa.text("SELECT COUNT(*) FROM users WHERE role = 'admin'"))
    assert left == 1
