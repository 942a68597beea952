"""Benchmark: listings, sign-in and the audit purge on 1M users, 1M files, 10M events.

Run from the repository root:  .venv/bin/python bench/scale_data.py
(--users, --files, --big-owner-files, --audit, --old-audit; --requests N; --keep DBNAME;
--batch-size; --no-purge; MYSQL_BENCH_URL, default mysql+pymysql://root@127.0.0.1:3306)

Builds two MariaDB databases with the project's migrations: one seeded server-side in bulk
(bench/scale_seed.py) and an almost empty one (a handful of rows of each kind). Serves
each with gunicorn (production settings, 2 sync workers) and times every case with real
HTTP, the two databases alternating: median of N sequential keep-alive requests, ms empty,
ms at scale, ratio, target 1.5x. Then replays, in-process, the SQL each case issues on
the big database and prints its plan (EXPLAIN) with the rows the server actually read
(Handler_read_* counters) against the rows returned; a statement reading more than
returned + one page (21) is flagged. Last, `flask audit purge`'s service deletes the old
events in batches; the longest batch (one transaction) must stay under 1 s, and a writer
inserting events meanwhile reports its longest wait.

--keep NAME keeps (and on a later run re-uses) the big database instead of dropping it;
only what is missing is seeded again (after a purge: the old events). Not a test.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.pagination import encode_cursor  # noqa: E402
from bench.common import production_settings  # noqa: E402
from bench.scale_explain import explain_cases, purge  # noqa: E402
from bench.scale_seed import (  # noqa: E402
    ADMIN_ID,
    BCRYPT_ROUNDS,
    BIG_OWNER_ID,
    PASSWORD,
    Sizes,
    email,
    seed,
    seeded_now,
)
from tests.conftest import throwaway_mysql_database  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

SERVER_URL = os.environ.get("MYSQL_BENCH_URL", "mysql+pymysql://root@127.0.0.1:3306")
# Almost empty, yet every case returns as many rows as on the big one (a full page mostly).
EMPTY = Sizes(users=500, files=100, big_owner_files=50, audit=200, old_audit=180)
TARGET = 1.5


def kept_database(name: str) -> str:
    """Create database `name` unless it exists; return its URL (never dropped)."""
    server = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 "
                             "COLLATE utf8mb4_unicode_ci"))
    server.dispose()
    return f"{SERVER_URL}/{name}?charset=utf8mb4"


def build(url: str, sizes: Sizes, label: str) -> None:
    """Migrate the database at `url` and seed what it lacks."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.users.passwords import hash_password

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "BCRYPT_LOG_ROUNDS": BCRYPT_ROUNDS, "MAIL_DELIVERY_THREAD": False})
    with app.app_context():
        upgrade()
        password_hash = hash_password(PASSWORD)  # one hash for every user
        # Keys sealed by an earlier run's random key could not be opened by this one's.
        db.session.execute(sa.text("DELETE FROM signing_keys"))
        db.session.commit()
        db.engine.dispose()
    print(f"seeding {label} ({sizes.users:,} users, {sizes.files:,} files, "
          f"{sizes.audit:,} audit events)", flush=True)
    seconds = seed(url, sizes, password_hash, now=seeded_now())
    print(f"seeded {label} in {seconds:.1f}s", flush=True)


def cases(sizes: Sizes) -> list[tuple[str, str, str, dict | None]]:
    """(name, method, path, body) of every measured request, for a database of `sizes`."""
    deep_user = encode_cursor(min(sizes.users, 22))  # the last page but one
    deep_event = encode_cursor(min(sizes.audit, 22))
    narrow = email(sizes.users // 2)[:10]  # "user050000": about users / 100,000 matches
    return [
        ("GET /users first page", "GET", "/api/v1/users", None),
        ("GET /users deep cursor page", "GET", f"/api/v1/users?cursor={deep_user}", None),
        ("GET /users q= narrow email prefix", "GET", f"/api/v1/users?q={narrow}", None),
        ("GET /users q= broad name prefix", "GET", "/api/v1/users?q=Grace", None),
        ("GET /users q= no match", "GET", "/api/v1/users?q=zz", None),
        # Only the oldest accounts match: the newest-first walk meets none for a long time.
        ("GET /users q= only old users match", "GET", f"/api/v1/users?q={email(1)[:9]}", None),
        ("GET /users role=admin", "GET", "/api/v1/users?role=admin", None),
        ("GET /users isActive=false", "GET", "/api/v1/users?isActive=false", None),
        ("GET /audit first page", "GET", "/api/v1/audit", None),
        ("GET /audit deep cursor page", "GET", f"/api/v1/audit?cursor={deep_event}", None),
        ("GET /audit action=auth.password_changed", "GET",
         "/api/v1/audit?action=auth.password_changed", None),
        ("GET /audit actorId=<admin>", "GET", f"/api/v1/audit?actorId={ADMIN_ID}", None),
        ("GET /auth/me/audit (the admin's own)", "GET", "/api/v1/auth/me/audit", None),
        ("GET /files (owner of many)", "GET", "/api/v1/files", None),
        ("POST /auth/login", "POST", "/api/v1/auth/login",
         {"email": email(sizes.users // 2 + 1), "password": PASSWORD}),
    ]


class Client:
    """Keep-alive sessions on one server: the admin's and the big owner's tokens."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.admin, self.owner = requests.Session(), requests.Session()
        for session, user in ((self.admin, ADMIN_ID), (self.owner, BIG_OWNER_ID)):
            answer = session.post(f"{base}/api/v1/auth/login", timeout=60,
                                  json={"email": email(user), "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        self.anonymous = requests.Session()

    def time(self, name: str, method: str, path: str, body: dict | None) -> float:
        """Seconds one request took; asserts it succeeded."""
        session = (self.anonymous if body else
                   self.owner if path.startswith("/api/v1/files") else self.admin)
        started = time.perf_counter()
        answer = session.request(method, self.base + path, json=body, timeout=60)
        elapsed = time.perf_counter() - started
        assert answer.status_code == 200, f"{name}: {answer.status_code} {answer.text[:300]}"
        return elapsed


def measure(empty: Client, scale: Client, sizes: Sizes, requests_per_case: int) -> bool:
    """Print the latency table; return True when every case is within the target."""
    print(f"\nmedian of {requests_per_case} sequential requests per case, the two databases "
          "alternating (gunicorn, 2 sync workers each)")
    print(f"{'case':<40} {'ms empty':>9} {'ms scale':>9} {'ratio':>7} {'target':>7}")
    ok = True
    for (name, method, path, body), (_, _, scaled_path, scaled_body) in zip(
            cases(EMPTY), cases(sizes), strict=True):
        times: tuple[list[float], list[float]] = ([], [])
        for number in range(requests_per_case + 2):  # two warm-ups each
            for client, request, bucket in ((empty, (path, body), times[0]),
                                            (scale, (scaled_path, scaled_body), times[1])):
                seconds = client.time(name, method, *request)
                if number >= 2:
                    bucket.append(seconds)
        small, large = (statistics.median(t) * 1000 for t in times)
        ratio = large / small
        ok &= ratio <= TARGET
        print(f"{name:<40} {small:>9.2f} {large:>9.2f} {ratio:>6.2f}x {TARGET:>6.1f}x "
              f"{'PASS' if ratio <= TARGET else 'FAIL'}", flush=True)
    return ok


def main() -> None:
    """Build both databases, measure, explain, purge, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--big-owner-files", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=10_000_000)
    parser.add_argument("--old-audit", type=int, help="default: 90%% of --audit")
    parser.add_argument("--requests", type=int, default=30, help="per case and database")
    parser.add_argument("--batch-size", type=int, help="AUDIT_PURGE_BATCH_SIZE (default: its "
                        "setting's default)")
    parser.add_argument("--keep", metavar="DBNAME",
                        help="seed (or re-use) this database and keep it, e.g. scale_bench")
    parser.add_argument("--no-purge", action="store_true", help="skip the purge")
    parser.add_argument("--seed-only", action="store_true", help="with --keep: seed, stop")
    args = parser.parse_args()
    sizes = Sizes(args.users, args.files, args.big_owner_files, args.audit,
                  args.old_audit if args.old_audit is not None else args.audit * 9 // 10)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still stop servers, drop data

    servers: list[LiveServer] = []
    databases = ExitStack()  # dropped after the servers have stopped
    try:
        scale_url = (kept_database(args.keep) if args.keep else databases.enter_context(
            throwaway_mysql_database("scale_bench", SERVER_URL)))
        empty_url = databases.enter_context(throwaway_mysql_database("scale_empty", SERVER_URL))
        build(empty_url, EMPTY, "the almost empty database")
        build(scale_url, sizes, "the big database")
        if args.seed_only:
            return
        clients = []
        for url in (empty_url, scale_url):
            server = LiveServer(production_settings(
                DATABASE_URL=url, BCRYPT_LOG_ROUNDS=str(BCRYPT_ROUNDS)), workers=2)
            servers.append(server)
            clients.append(Client(server.start(timeout=60).url))
        listings_ok = measure(*clients, sizes, args.requests)
        for server in servers:
            server.stop()
        servers.clear()
        scans_ok = explain_cases(scale_url, cases(sizes))
        purge_ok = True if args.no_purge else purge(scale_url, args.batch_size)
        print(f"\nlistings {'PASS' if listings_ok else 'FAIL'}, "
              f"scans {'PASS' if scans_ok else 'FAIL'}, purge {'PASS' if purge_ok else 'FAIL'}")
        if args.keep:
            print(f"kept database {args.keep}: re-run with --keep {args.keep} "
                  "(only purged events are seeded again)")
    finally:
        for server in servers:
            server.stop()
        databases.close()


if __name__ == "__main__":
    main()
