"""The in-process delivery thread: off when told, woken by a commit that queued mail."""

from __future__ import annotations

import time

import pytest

from app.extensions import db
from app.mail.worker import EXTENSION_KEY, ensure_delivery_thread
from tests.mail.helpers import queue, rows


@pytest.fixture
def threaded_app(mail_app, smtp_server):
    """An app whose delivery thread polls only every 60 s; stopped after the test."""
    application = mail_app(**smtp_server.settings(), MAIL_DELIVERY_THREAD=True,
                           MAIL_POLL_SECONDS=60)
    yield application
    thread = application.extensions.get(EXTENSION_KEY)
    if thread is not None:
        thread.stop()


def test_a_commit_that_queued_mail_wakes_the_thread_at_once(threaded_app, smtp_server):
    thread = ensure_delivery_thread(threaded_app)
    time.sleep(0.5)  # its first pass finds nothing; the next poll is a minute away

    started = time.monotonic()
    queue(2)
    received = smtp_server.wait_for(2, timeout=10)

    assert len(received) == 2
    assert time.monotonic() - started < 10
    assert thread.is_alive()


def test_the_first_request_starts_the_thread_once(threaded_app):
    client = threaded_app.test_client()
    assert EXTENSION_KEY not in threaded_app.extensions

    client.get("/healthz")
    first = threaded_app.extensions[EXTENSION_KEY]
    client.get("/healthz")

    assert first.is_alive()
    assert threaded_app.extensions[EXTENSION_KEY] is first


def test_switched_off_no_thread_starts_and_mail_waits(mail_app, smtp_server):
    application = mail_app(**smtp_server.settings(), MAIL_DELIVERY_THREAD=False)

    application.test_client().get("/healthz")
    queue(1)
    time.sleep(1)

    assert ensure_delivery_thread(application) is None
    assert EXTENSION_KEY not in application.extensions
    assert smtp_server.messages == []
    assert rows()[0].status == "pending"


def test_a_stopped_thread_ends(threaded_app):
    thread = ensure_delivery_thread(threaded_app)

    thread.stop()

    assert not thread.is_alive()


def test_the_thread_outlives_a_database_it_cannot_use(mail_app, smtp_server, tmp_path,
                                                      caplog):
    application = mail_app(**smtp_server.settings(), MAIL_DELIVERY_THREAD=True,
                           MAIL_POLL_SECONDS=1,
                           SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'bare.db'}")
    thread = ensure_delivery_thread(application)
    try:
        deadline = time.monotonic() + 15
        while "pass failed again" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "pass failed again" in caplog.text  # no outbox table yet, twice
        assert thread.is_alive()

        db.create_all()  # the database is back
        queue(1)  # the commit wakes the thread despite its longer wait

        assert len(smtp_server.wait_for(1, timeout=10)) == 1
        tracebacks = [r for r in caplog.records if r.name == "app.mail.worker" and r.exc_info]
        assert len(tracebacks) == 1  # then one line per failed pass, not a traceback each
    finally:
        thread.stop()
