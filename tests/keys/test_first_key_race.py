"""Workers that find no key at the same moment make exactly one (SQLite and MariaDB)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from app import create_app
from app.extensions import db
from app.keys import published_jwks, signing_key
from app.keys import service as key_service
from app.users.models import User
from tests.keys.helpers import rows

WORKERS = 4


@pytest.fixture
def workers(app_config, app):
    """Apps built as separate workers are (own engine, own keyring), on the test database."""
    apps = [create_app(app_config) for _ in range(WORKERS)]
    yield apps
    for application in apps:
        with application.app_context():
            db.engine.dispose()


def _first_kid(application) -> str:
    with application.app_context():
        try:
            return signing_key().kid
        finally:
            db.session.remove()


def test_workers_asking_at_once_get_one_key(workers, app):
    start = threading.Barrier(WORKERS)

    def ask(application) -> str:
        start.wait(timeout=30)
        return _first_kid(application)

    with ThreadPoolExecutor(WORKERS) as pool:
        kids = list(pool.map(ask, workers))

    assert len(set(kids)) == 1
    assert [row.kid for row in rows()] == kids[:1]
    assert [key["kid"] for key in published_jwks()["keys"]] == kids[:1]


def test_two_workers_that_both_saw_no_key_insert_one(workers, app, monkeypatch):
    # The worst interleaving, every time: both have looked and found nothing before
    # either inserts; the unique sequence number lets one insert through.
    both_looked = threading.Barrier(2)
    look = key_service._last_sequence_unless_one_signs

    def look_then_wait(connection) -> int | None:
        found = look(connection)
        both_looked.wait(timeout=30)
        return found

    monkeypatch.setattr(key_service, "_last_sequence_unless_one_signs", look_then_wait)
    with ThreadPoolExecutor(2) as pool:
        kids = list(pool.map(_first_kid, workers[:2]))

    assert kids[0] == kids[1]
    assert [(row.sequence, row.kid) for row in rows()] == [(1, kids[0])]


def test_a_first_key_asked_for_after_a_write(app, user):
    # The first key is inserted on a connection of its own. On SQLite the request's write
    # holds the database's one write lock, so that insert could only wait for the busy
    # timeout: refused at once instead. MariaDB locks rows, and the key is made.
    db.session.get(User, user.id).name = "Ada L."
    db.session.flush()
    started = time.monotonic()
    if db.engine.dialect.name == "sqlite":
        with pytest.raises(RuntimeError, match="before the first write"):
            signing_key()
        assert time.monotonic() - started < 5
        db.session.rollback()
        assert rows() == []
    else:
        kid = signing_key().kid
        db.session.rollback()
        assert [row.kid for row in rows()] == [kid]
