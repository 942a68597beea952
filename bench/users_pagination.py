"""Benchmark: GET /api/v1/users on 100,000 users, first page vs a deep page, on MariaDB.

Run from the repository root:  .venv/bin/python bench/users_pagination.py
(MYSQL_BENCH_URL, default mysql+pymysql://root@127.0.0.1:3306; --users N; --seconds S)

It creates a throw-away database, bulk-inserts the users (one precomputed bcrypt hash for
all of them), serves the app with gunicorn (production settings, 2 workers) and measures
each URL with wrk when it is installed (`apt-get install wrk`), else with a bounded Python
client. /healthz is measured in the same run as the baseline: the framework's floor on this
machine. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.pagination import encode_cursor  # noqa: E402
from app.users.passwords import hash_password  # noqa: E402
from bench.common import production_settings, wrk  # noqa: E402
from tests.conftest import throwaway_mysql_database  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

SERVER_URL = os.environ.get("MYSQL_BENCH_URL", "mysql+pymysql://root@127.0.0.1:3306")
PASSWORD = "bench password"  # noqa: S105 - a throw-away account in a throw-away database
CHUNK = 5_000
# The statements GET /users runs, shown with MariaDB's plan (type, key, rows examined).
EXPLAINED = [
    ("deep page", "SELECT * FROM users WHERE id < :after ORDER BY id DESC LIMIT 21", {}),
    ("q prefix", "SELECT * FROM users WHERE (name LIKE :q OR email LIKE :q) "
                 "ORDER BY id DESC LIMIT 21", {"q": "bench09%"}),
]


def fill_database(url: str, users: int) -> int:
    """Migrate the empty database at `url` and fill it; return the smallest user id."""
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "BCRYPT_LOG_ROUNDS": 4})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        password = hash_password(PASSWORD)  # one hash for every row: bcrypt is the slow part
        table = db.metadata.tables["users"]
        started = time.perf_counter()
        now = datetime.now(UTC).replace(microsecond=0)
        with db.engine.begin() as conn:
            for start in range(0, users, CHUNK):
                conn.execute(table.insert(), [
                    {"name": f"Bench User {n:06d}", "email": f"bench{n:06d}@example.com",
                     "password": password, "isActive": n == 0 or n % 10 != 0,
                     "role": "admin" if n == 0 else "user", "tokenVersion": 0,
                     "createdAt": now, "updatedAt": now}
                    for n in range(start, min(start + CHUNK, users))
                ])
        print(f"inserted {users:,} users in {time.perf_counter() - started:.1f}s")
        with db.engine.connect() as conn:
            first_id = conn.execute(sa.text("SELECT MIN(id) FROM users")).scalar_one()
            for label, query, params in EXPLAINED:
                plan = conn.execute(sa.text("EXPLAIN " + query),
                                    {**params, "after": first_id + 21}).mappings().all()
                print(f"EXPLAIN {label}:", [(r["type"], r["key"], r["rows"]) for r in plan])
        db.engine.dispose()
    return first_id


def start_gunicorn(url: str) -> LiveServer:
    """Serve the app with production settings and 2 workers on a free local port."""
    return LiveServer(production_settings(DATABASE_URL=url), workers=2).start(timeout=30)


def measure_wrk(url: str, token: str, seconds: int) -> dict:
    """wrk with 2 threads and 8 connections."""
    return wrk(url, seconds, connections=8, headers={"Authorization": f"Bearer {token}"})


def measure_python(url: str, token: str, seconds: int) -> dict:
    """A bounded fallback: 8 threads for `seconds`, each on a keep-alive session."""
    deadline = time.monotonic() + seconds

    def worker(_) -> tuple[list[float], int]:
        session, times, errors = requests.Session(), [], 0
        session.headers["Authorization"] = f"Bearer {token}"
        while time.monotonic() < deadline:
            started = time.perf_counter()
            errors += not session.get(url, timeout=10).ok
            times.append(time.perf_counter() - started)
        return times, errors

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(worker, range(8)))
    elapsed = time.perf_counter() - started
    times = sorted(t for ts, _ in results for t in ts)
    return {"rps": len(times) / elapsed,
            "p50": f"{statistics.median(times) * 1000:.2f}ms",
            "p99": f"{times[int(len(times) * 0.99) - 1] * 1000:.2f}ms",
            "errors": sum(e for _, e in results)}


def main() -> None:
    """Build the data, serve, measure, print, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()

    database = ExitStack()  # dropped after the server has stopped
    server = None
    try:
        url = database.enter_context(throwaway_mysql_database("signet_bench", SERVER_URL))
        first_id = fill_database(url, args.users)
        server = start_gunicorn(url)
        base = server.url
        login = requests.post(f"{base}/api/v1/auth/login", timeout=10, json={
            "email": "bench000000@example.com", "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        # The cursor a client holds after walking to the last page (users / 20 pages in).
        deep_cursor = encode_cursor(first_id + 21)
        deep = requests.get(f"{base}/api/v1/users?cursor={deep_cursor}",
                            headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        assert len(deep["items"]) == 20 and deep["nextCursor"] is not None, deep
        targets = [
            ("baseline GET /healthz", "/healthz"),
            ("first page GET /users", "/api/v1/users?limit=20"),
            (f"deep page (~{args.users // 20:,}th) GET /users",
             f"/api/v1/users?limit=20&cursor={deep_cursor}"),
            ("first page, q=bench09 prefix", "/api/v1/users?limit=20&q=bench09"),
            ("first page, isActive=false", "/api/v1/users?limit=20&isActive=false"),
        ]
        measure = measure_wrk if shutil.which("wrk") else measure_python
        print(f"load generator: {'wrk -t2 -c8' if measure is measure_wrk else 'python, 8 threads'}"
              f", {args.seconds}s per URL, gunicorn 2 sync workers, {args.users:,} users")
        print(f"{'target':<34} {'req/s':>9} {'p50':>10} {'p99':>10} {'non-2xx':>8}")
        for label, path in targets:
            result = measure(base + path, token, args.seconds)
            print(f"{label:<34} {result['rps']:>9.1f} {result['p50']:>10} {result['p99']:>10} "
                  f"{result['errors']:>8}")
    finally:
        if server is not None:
            server.stop()
        database.close()


if __name__ == "__main__":
    main()
