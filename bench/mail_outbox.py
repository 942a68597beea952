"""Mail outbox throughput: registrations queue messages that live gunicorn delivers.

    .venv/bin/python bench/mail_outbox.py [--messages 1000] [--workers 3] [--db sqlite|mysql]

Starts a loopback aiosmtpd server and gunicorn (its workers' delivery threads are the only
senders) on a throw-away database, then:
1. registers `--messages` accounts through `POST /api/v1/auth/register` (the baseline:
   registrations/s in this run);
2. if registration queues a message itself (verification mail, once wired), measures those
   from each registration's `201`; otherwise it queues one `test_message` per new account
   straight into the outbox from this process, each in its own committed transaction (the
   "direct" path, named in the output), and measures from each commit.
It prints messages/s (first commit to last delivery) and commit-to-delivery latency p50 and
p99, and checks that every message arrived exactly once. Timings on a loaded machine are
indicative only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.mail import enqueue_message, public_url  # noqa: E402
from tests.conftest import throwaway_mysql_database  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402
from tests.mail.smtp_server import SmtpServer  # noqa: E402

PASSWORD = "bench-password-123"  # noqa: S105 - throw-away accounts in a temp database
DOMAIN = "bench.example.com"


def register_all(url: str, count: int, concurrency: int) -> dict[str, float]:
    """Register `count` accounts; return each email with the time its 201 arrived."""
    done: dict[str, float] = {}
    local = threading.local()

    def register(number: int) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        email = f"user{number}@{DOMAIN}"
        response = session.post(f"{url}/api/v1/auth/register", timeout=30, json={
            "name": f"Bench User {number}", "email": email, "password": PASSWORD})
        if response.status_code != 201:
            raise SystemExit(f"registration {number}: {response.status_code} {response.text}")
        done[email] = time.time()

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(register, range(count)))
    return done


def enqueue_directly(app, emails: list[str]) -> dict[str, float]:
    """Queue one message per address, one committed transaction each; return commit times."""
    committed: dict[str, float] = {}
    with app.app_context():
        for email in emails:
            enqueue_message(to=email, template="test_message", context={
                "name": email, "link": public_url("health.Health", ref="bench")})
            db.session.commit()
            committed[email] = time.time()
        db.session.remove()
    return committed


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--db", choices=("sqlite", "mysql"), default="sqlite")
    parser.add_argument("--log", type=Path, help="keep gunicorn's output in this file")
    args = parser.parse_args()

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="signet-mail-")))
        if args.db == "mysql":
            url = stack.enter_context(throwaway_mysql_database("signet_bench_mail"))
        else:
            url = f"sqlite:///{tmp / 'bench.db'}"
        settings = {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                    "MAIL_DELIVERY_THREAD": False, "UPLOAD_FOLDER": str(tmp / "uploads")}
        app = create_app(settings)
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            db.engine.dispose()

        smtp = SmtpServer(tmp).start()
        stack.callback(smtp.stop)
        server = LiveServer({"DATABASE_URL": url, "UPLOAD_FOLDER": str(tmp / "uploads"),
                             "RATELIMIT_ENABLED": "false", **smtp.environment()},
                            workers=args.workers,
                            output=args.log or tmp / "gunicorn.log").start()
        stack.callback(server.stop)

        started = time.time()
        registered = register_all(server.url, args.messages, args.concurrency)
        elapsed = time.time() - started
        print(f"baseline: {args.messages} registrations in {elapsed:.1f}s "
              f"({args.messages / elapsed:.0f}/s, {args.concurrency} clients, "
              f"{args.workers} workers, {args.db})")

        time.sleep(3)  # a verification message would have left by now
        if any(m["To"] in registered for m in smtp.messages):
            path, commits = "registration (verification mail)", registered
        else:
            path = "direct (one enqueue_message + commit per account, from the bench)"
            began = time.time()
            commits = enqueue_directly(app, sorted(registered))
            print(f"queued {len(commits)} messages in {time.time() - began:.1f}s")

        smtp.wait_for(len(commits), timeout=max(60, len(commits) / 5))
        time.sleep(2)  # let a duplicate show up, if there were one
        arrivals: dict[str, float] = {}
        duplicates = 0
        for message, at in zip(smtp.collector.messages, smtp.collector.received_at,
                               strict=True):
            if message["To"] in commits:
                duplicates += message["To"] in arrivals
                arrivals.setdefault(message["To"], at)
        missing = len(commits) - len(arrivals)
        latencies = [arrivals[to] - commits[to] for to in arrivals]
        span = max(arrivals.values()) - min(commits.values()) if arrivals else float("nan")
        print(f"messages queued via {path}")
        print(f"delivered {len(arrivals)}/{len(commits)} (missing {missing}, "
              f"duplicates {duplicates}) in {span:.1f}s: {len(arrivals) / span:.0f} msg/s")
        if latencies:
            print(f"commit to delivery: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
                  f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
                  f"max {max(latencies) * 1000:.0f} ms")
        if missing or duplicates:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
