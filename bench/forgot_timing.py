"""Benchmark: POST /auth/password/forgot for a known vs an unknown address, on MariaDB.

Run from the repository root:  .venv/bin/python bench/forgot_timing.py
(MYSQL_BENCH_URL, default mysql+pymysql://root@127.0.0.1:3306; --requests N)

The contract wants the same answer "in about the same time" whether or not an account
uses the address. This creates a throw-away database with one account, serves the app with
gunicorn (2 workers, rate limits off, file mail backend in a temporary directory) and sends
the two kinds of request interleaved in a shuffled order, one at a time from one client,
so that both see the same load; GET /healthz, measured in the same run, is the framework's
floor. It prints p50/p90/p99 in milliseconds for each and the difference of the medians.
Not part of the test suite; figures on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from tests.conftest import throwaway_mysql_database  # noqa: E402
from tests.factories import UserFactory  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

SERVER_URL = os.environ.get("MYSQL_BENCH_URL", "mysql+pymysql://root@127.0.0.1:3306")
KNOWN = "known@example.com"


def fill_database(url: str) -> None:
    """Migrate the empty database at `url` and seed it with one account."""
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "BCRYPT_LOG_ROUNDS": 4})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        UserFactory().create(email=KNOWN)
        db.engine.dispose()


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    cut = statistics.quantiles(ms, n=100)
    return f"p50 {statistics.median(ms):7.2f}  p90 {cut[89]:7.2f}  p99 {cut[98]:7.2f}"


def measure(base: str, rounds: int) -> dict[str, list[float]]:
    """Interleave healthz, known and unknown requests; return their durations."""
    timings: dict[str, list[float]] = {"healthz": [], "known": [], "unknown": []}
    order = list(timings)
    with requests.Session() as session:
        for number in range(rounds):
            # A shuffled order per round: no kind always follows another (a worker still
            # busy with the work after a known address's answer would slow the next one).
            random.shuffle(order)
            for label in order:
                started = time.perf_counter()
                if label == "healthz":
                    response = session.get(f"{base}/healthz", timeout=10)
                else:
                    email = KNOWN if label == "known" else f"nobody{number}@example.com"
                    response = session.post(f"{base}/api/v1/auth/password/forgot",
                                            json={"email": email}, timeout=10)
                timings[label].append(time.perf_counter() - started)
                assert response.status_code in (200, 202), response.text
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind")
    args = parser.parse_args()
    database = ExitStack()  # dropped after the server has stopped
    server = None
    try:
        url = database.enter_context(throwaway_mysql_database("signet_bench_forgot", SERVER_URL))
        fill_database(url)
        with tempfile.TemporaryDirectory() as mail_dir:
            server = LiveServer({"DATABASE_URL": url, "RATELIMIT_ENABLED": "false",
                                 "MAIL_BACKEND": "file", "MAIL_FILE_DIR": mail_dir,
                                 "GUNICORN_ACCESSLOG": "",
                                 "MAIL_DELIVERY_THREAD": os.environ.get("BENCH_DELIVERY", "true")},
                                workers=2).start()
            measure(server.url, 20)  # warm-up: connections, templates, bytecode
            timings = measure(server.url, args.requests)
            server.stop()
        print(f"{args.requests} requests of each kind, interleaved, one client (ms):")
        for label, samples in timings.items():
            print(f"  {label:8s} {percentiles(samples)}")
        gap = statistics.median(timings["known"]) - statistics.median(timings["unknown"])
        print(f"  known - unknown, medians: {gap * 1000:+.2f} ms")
    finally:
        if server is not None:
            server.stop()
        database.close()


if __name__ == "__main__":
    main()
