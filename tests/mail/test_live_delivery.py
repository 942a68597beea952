"""The running service delivers by itself: gunicorn workers, outages, exactly once.

Messages are queued from the test process straight into the shared database (as a request
in another worker would); only the delivery threads of the gunicorn workers send them.
The outage lasts SIGNET_MAIL_OUTAGE_SECONDS (30 by default, the contract's figure).
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter

import pytest

from app.mail.models import MailStatus
from tests.mail.helpers import queue, rows
from tests.mail.smtp_server import SmtpServer

pytestmark = pytest.mark.live

OUTAGE_SECONDS = float(os.environ.get("SIGNET_MAIL_OUTAGE_SECONDS", "30"))
STARTED = re.compile(r"mail delivery thread started in process (\d+)")
DELIVERED = re.compile(r"mail (<[^>]+>) delivered by process (\d+)")


def delivered_by(log_text: str) -> Counter:
    """How many messages each process logged as delivered."""
    return Counter(pid for _id, pid in DELIVERED.findall(log_text))


def wait_until_sent(count: int, timeout: float) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = rows()
        if sum(row.status == MailStatus.SENT for row in current) >= count:
            return current
        time.sleep(0.25)
    return rows()


def test_three_workers_deliver_every_message_exactly_once(
        app, live_server, smtp_server, tmp_path):
    log = tmp_path / "gunicorn.log"
    server = live_server(workers=3, output=log, env={
        **smtp_server.environment(), "MAIL_BATCH_SIZE": "3", "MAIL_POLL_SECONDS": "1"})
    links = queue(90, marker="live-secret")

    received = smtp_server.wait_for(90, timeout=60)
    time.sleep(3)  # a duplicate would arrive within a poll or two

    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(received) >= 90
    assert len(ids) == 90 and len(set(ids)) == 90
    assert set(ids) == {row.message_id for row in rows()}
    assert all(row.status == MailStatus.SENT and row.text_body is None for row in rows())
    processes = delivered_by(log.read_text())
    assert sum(processes.values()) == 90
    assert str(server.process.pid) not in processes  # workers deliver, never the master
    text = log.read_text()
    assert not any(link in text for link in links)
    assert "live-secret" not in text


def test_two_instances_on_one_database_deliver_every_message_exactly_once(
        app, live_server, smtp_server, tmp_path):
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    env = {**smtp_server.environment(), "MAIL_BATCH_SIZE": "2", "MAIL_POLL_SECONDS": "1"}
    for log in logs:
        live_server(workers=2, output=log, env=env)
    queue(60)

    smtp_server.wait_for(60, timeout=60)
    time.sleep(3)

    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == 60 and len(set(ids)) == 60
    assert sum(sum(delivered_by(log.read_text()).values()) for log in logs) == 60


def test_after_an_outage_the_backlog_goes_out_once_without_a_restart(
        app, live_server, smtp_server, tmp_path):
    log = tmp_path / "gunicorn.log"
    server = live_server(workers=2, output=log, env={
        **smtp_server.environment(), "MAIL_POLL_SECONDS": "1",
        "MAIL_RETRY_BASE_SECONDS": "2", "MAIL_RETRY_MAX_SECONDS": "10"})
    queue(2)
    assert len(smtp_server.wait_for(2, timeout=10)) == 2  # delivered within 10 s
    smtp_server.stop()

    queue(20, marker="during-outage")
    time.sleep(OUTAGE_SECONDS)
    waiting = [row for row in rows() if row.status != MailStatus.SENT]
    assert len(waiting) == 20
    assert all(row.attempts >= 1 and row.text_body for row in waiting)
    assert all(row.last_error.startswith("unreachable: ") for row in waiting)
    smtp_server.start()  # the same port, the same gunicorn

    wait_until_sent(22, timeout=30)
    time.sleep(3)

    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == 22 and len(set(ids)) == 22
    assert {row.status for row in rows()} == {MailStatus.SENT}
    assert server.process.poll() is None


def test_a_stopping_worker_gives_back_what_it_claimed(app, live_server, tmp_path):
    slow = SmtpServer(tmp_path, delay=0.5).start()
    try:
        server = live_server(workers=1, env={**slow.environment(), "MAIL_BATCH_SIZE": "50"})
        queue(30)
        slow.wait_for(2, timeout=15)
        server.stop()  # SIGTERM, mid-batch
        received = len(slow.messages)
    finally:
        slow.stop()

    current = rows()
    assert 0 < received < 30
    assert sum(row.status == MailStatus.SENT for row in current) == received
    # The unsent rest is free for the next worker at once, not after MAIL_CLAIM_SECONDS.
    assert all(row.claimed_by is None and row.claimed_until is None for row in current)


def test_every_worker_starts_its_thread_before_any_request(live_server, tmp_path):
    log = tmp_path / "gunicorn.log"
    server = live_server(workers=3, output=log)  # one /healthz request, from start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(STARTED.findall(log.read_text())) < 3:
        time.sleep(0.2)

    pids = set(STARTED.findall(log.read_text()))
    assert len(pids) == 3
    assert str(server.process.pid) not in pids


def test_a_message_committed_by_the_service_leaves_within_ten_seconds(
        app, live_server, smtp_server):
    live_server(workers=2, env=smtp_server.environment())

    started = time.monotonic()
    queue(1)
    smtp_server.wait_for(1, timeout=10)

    assert len(smtp_server.messages) == 1
    assert time.monotonic() - started < 10
