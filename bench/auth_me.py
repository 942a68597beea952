"""Benchmark: an authenticated request against bare Flask, side by side in one run.

Run from the repository root:  .venv/bin/python bench/auth_me.py
(--rounds N, --seconds S, --bcrypt-rounds COST; MYSQL_BENCH_URL, REDIS_BENCH_URL)

Starts, under the same gunicorn settings (gunicorn.conf.py, 2 sync workers, production
settings, access log off): bare Flask (bench/bare_flask.py), Signet with the database
revocation store on a throw-away MariaDB database, and Signet with the Redis store. Then,
round after round, drives each with `wrk -t2 -c16` in turn and prints req/s, p50, p99 and
the ratio to the bare-Flask figure of the same round:

- GET /api/v1/auth/me and GET /api/v1/files (first page, 20 of 30 files) against bare
  Flask's GET /json (target: /me >= 0.30x with the database store, >= 0.40x with Redis;
  /files >= 0.25x);
- the floor of GET /files: bare Flask running Signet's two statements (the token check's
  lookup, the page), compiled by Signet's engine, through plain PyMySQL (bench/bare_flask.py
  GET /files), with its ratio to bare Flask; /files is also printed as a ratio of this floor
  (target >= 0.65x with the database store, >= 0.70x with Redis). The leaner floor used
  before (five user columns, no revocation check: GET /files-lean) is printed beside it;
- POST /api/v1/auth/login against the bare app's one-bcrypt-check POST /login at the same
  cost (target >= 0.90x: a login is one bcrypt check and nothing much else).

With --es256, one more Signet (database store) runs with ACCESS_TOKEN_SIGNING=ES256 and
GET /auth/me and GET /files are measured against it too: its access tokens are ES256 JWTs
checked with the published keys. wrk sends one token over and over, and a worker verifies
a token's signature once (app/jwt_manager.py), so the bench also prints, measured in this
process, what that first verification costs per token with each algorithm.

Rate limits are off (a login benchmark would measure 429s). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import redis
import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.files.models import File  # noqa: E402
from app.users.models import Role, User  # noqa: E402
from bench.common import production_settings, wrk  # noqa: E402
from tests.conftest import throwaway_mysql_database  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

SERVER_URL = os.environ.get("MYSQL_BENCH_URL", "mysql+pymysql://root@127.0.0.1:3306")
REDIS_URL = os.environ.get("REDIS_BENCH_URL", "redis://127.0.0.1:6379/0")
EMAIL, PASSWORD = "bench@example.com", "bench password"  # a throw-away account
FILES = 30


def fill_database(url: str, bcrypt_rounds: int) -> None:
    """Migrate the empty database at `url` and fill it: one user, FILES files."""
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "BCRYPT_LOG_ROUNDS": bcrypt_rounds})
    with app.app_context():
        from flask_migrate import upgrade

        from app.users.passwords import hash_password
        upgrade()
        user = User(name="Bench User", email=EMAIL, password_hash=hash_password(PASSWORD),
                    role=Role.USER)
        db.session.add(user)
        db.session.flush()
        now = datetime.now(UTC).replace(microsecond=0)
        db.session.add_all(File(path=f"bench/{n}.txt", type="text/plain",
                                original_name=f"note {n}.txt", modified_name=f"{n}.txt",
                                size=10, checksum="0" * 64, owner_id=user.id, created_at=now)
                           for n in range(FILES))
        db.session.commit()
        db.engine.dispose()


def signet_statements(url: str) -> dict[str, str]:
    """The SQL of GET /files' two statements as Signet's engine compiles them, for the floor."""
    from app.files.service import OWN_FILES
    from app.tokens.revocation import LOOKUP
    from bench.bare_flask import LOOKUP_PARAMETERS, PAGE_PARAMETERS

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        statements = {}
        for name, statement, parameters in (
                ("BENCH_LOOKUP_SQL", LOOKUP.statement, LOOKUP_PARAMETERS),
                ("BENCH_FILES_SQL", OWN_FILES.select.statement, PAGE_PARAMETERS)):
            compiled = statement.compile(dialect=db.engine.dialect)
            # The floor must bind every parameter Signet binds, or it runs something else.
            assert set(compiled.params) <= set(parameters), (name, compiled.params)
            statements[name] = str(compiled)
        db.engine.dispose()
    return statements


def serve(servers: list[LiveServer], env: dict, app: str = "wsgi:app") -> LiveServer:
    """gunicorn with gunicorn.conf.py, 2 sync workers, access log off, production settings.

    The server joins `servers` before it starts, so that one failing to start never leaves
    the others running.
    """
    server = LiveServer(production_settings(**env), workers=2, app=app)
    servers.append(server)
    return server.start(timeout=60)


def post_script(directory: Path, body: dict) -> str:
    """A wrk Lua script that POSTs `body` as JSON."""
    path = directory / "post.lua"
    path.write_text('wrk.method = "POST"\n'
                    f"wrk.body = {json.dumps(json.dumps(body))}\n"
                    'wrk.headers["Content-Type"] = "application/json"\n')
    return str(path)


def drain(server: LiveServer) -> None:
    """Wait until the requests wrk left queued (slow bcrypt logins) have been answered."""
    def ping(_) -> int:
        return requests.get(f"{server.url}/healthz", timeout=300).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(ping, range(16)))


def login(base: str) -> str:
    """An access token of the bench user."""
    response = requests.post(f"{base}/api/v1/auth/login", timeout=60,
                             json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def main() -> None:
    """Build the data, serve the three apps, measure them in alternating rounds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--login-seconds", type=int, default=15,
                        help="per login case: a login takes a bcrypt check, ~0.25 s at cost 12")
    parser.add_argument("--bcrypt-rounds", type=int, default=12)
    parser.add_argument("--es256", action="store_true",
                        help="also serve and measure ACCESS_TOKEN_SIGNING=ES256")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still stop servers, drop data
    if not shutil.which("wrk"):
        sys.exit("wrk is required (apt-get install wrk)")

    prefix = f"signet-bench-{uuid.uuid4().hex[:8]}:"
    cost = {"BCRYPT_LOG_ROUNDS": str(args.bcrypt_rounds)}
    servers: list[LiveServer] = []
    dropped_last = ExitStack()  # the database goes after the servers have stopped
    try:
        url = dropped_last.enter_context(throwaway_mysql_database("signet_bench", SERVER_URL))
        fill_database(url, args.bcrypt_rounds)
        with tempfile.TemporaryDirectory() as scratch:
            uploads = Path(scratch) / "uploads"
            uploads.mkdir()
            # One encryption key for every Signet on the database: they share its signing keys.
            sealing = Fernet.generate_key().decode()
            signet = {**cost, "DATABASE_URL": url, "UPLOAD_FOLDER": str(uploads),
                      "MAIL_FILE_DIR": str(Path(scratch) / "mail"),
                      "SIGNING_KEY_ENCRYPTION_KEY": sealing}
            bare = serve(servers, {**cost, "BENCH_DATABASE_URL": url, **signet_statements(url)},
                         "bench.bare_flask:app")
            # Its own server: logins left queued must not slow the bare JSON figure.
            bound_server = serve(servers, cost, "bench.bare_flask:app")
            database = serve(servers, signet)
            cached = serve(servers, {**signet, "REVOCATION_STORE_URL": REDIS_URL,
                                     "REVOCATION_KEY_PREFIX": prefix})
            tokens = {database: login(database.url), cached: login(cached.url)}
            login_lua = post_script(Path(scratch), {"email": EMAIL, "password": PASSWORD})
            es256_cases = []
            if args.es256:
                es256 = serve(servers, {**signet, "ACCESS_TOKEN_SIGNING": "ES256"})
                tokens[es256] = login(es256.url)
                es256_cases = [
                    ("GET /auth/me, database, ES256", es256, "/api/v1/auth/me", "db", None),
                    ("GET /files, database, ES256", es256, "/api/v1/files", "db", None)]
            cases = [
                ("bare Flask GET /json", bare, "/json", None, None),
                ("GET /auth/me, database store", database, "/api/v1/auth/me", "db", None),
                ("GET /auth/me, Redis store", cached, "/api/v1/auth/me", "redis", None),
                *es256_cases[:1],
                ("floor: bare Flask + PyMySQL /files", bare, "/files", None, None),
                ("lean floor: /files-lean", bare, "/files-lean", None, None),
                ("GET /files, database store", database, "/api/v1/files", "db", None),
                ("GET /files, Redis store", cached, "/api/v1/files", "redis", None),
                *es256_cases[1:],
                ("bcrypt bound: bare POST /login", bound_server, "/login", None, login_lua),
                ("POST /auth/login", database, "/api/v1/auth/login", None, login_lua),
            ]
            print(f"wrk -t2 -c16, {args.seconds}s per case ({args.login_seconds}s per login "
                  f"case), gunicorn 2 sync workers, "
                  f"bcrypt cost {args.bcrypt_rounds}, {args.rounds} rounds")
            ratios: dict[str, list[float]] = {}
            of_floor: dict[str, list[float]] = {}
            for number in range(1, args.rounds + 1):
                print(f"\nround {number}")
                print(f"{'case':<34} {'req/s':>9} {'p50':>10} {'p99':>10} {'non-2xx':>8}"
                      f" {'ratio':>7} {'of floor':>9}")
                baseline = bound = floor = 0.0
                for label, server, path, needs_token, script in cases:
                    auth = ({"Authorization": f"Bearer {tokens[server]}"} if needs_token
                            else None)
                    seconds = args.login_seconds if script else args.seconds
                    result = wrk(server.url + path, seconds, headers=auth, script=script)
                    if script:
                        drain(server)
                    ratio = floor_ratio = ""
                    if label.startswith("bare Flask"):
                        baseline = result["rps"]
                    elif label.startswith("bcrypt bound"):
                        bound = result["rps"]
                    else:
                        value = result["rps"] / (bound if "login" in label else baseline)
                        ratios.setdefault(label, []).append(value)
                        ratio = f"{value:.3f}x"
                    if label.startswith("floor"):
                        floor = result["rps"]
                    elif "/files" in label and not label.startswith("lean"):
                        value = result["rps"] / floor
                        of_floor.setdefault(label, []).append(value)
                        floor_ratio = f"{value:.3f}x"
                    print(f"{label:<34} {result['rps']:>9.1f} {result['p50']:>10} "
                          f"{result['p99']:>10} {result['errors']:>8} {ratio:>7} "
                          f"{floor_ratio:>9}")
            print("\nmedian ratio over the rounds (login: to the bcrypt bound; "
                  "others: to bare Flask)")
            for label, values in ratios.items():
                print(f"{label:<34} {statistics.median(values):.3f}x")
            print("\nGET /files, median ratio to the floor of the same round "
                  "(targets: database store >= 0.65x, Redis >= 0.70x)")
            for label, values in of_floor.items():
                print(f"{label:<34} {statistics.median(values):.3f}x")
            if args.es256:
                first_verification(url, sealing)
    finally:
        for server in servers:
            server.stop()
        dropped_last.close()
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


def first_verification(url: str, sealing: str, tokens: int = 2000) -> None:
    """Print the CPU cost of verifying a token never seen before, HS256 and ES256."""
    import time

    from flask_jwt_extended import create_access_token, decode_token

    from app.jwt_manager import EXTENSION_KEY, VerifiedTokens

    print(f"\nfirst verification of a token (once per token and worker), {tokens} tokens")
    for signing in ("HS256", "ES256"):
        app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                          "ACCESS_TOKEN_SIGNING": signing,
                          "SIGNING_KEY_ENCRYPTION_KEY": sealing})
        with app.test_request_context():
            issued = [create_access_token(identity="1", additional_claims={"sid": 1, "ver": 0})
                      for _ in range(tokens)]
            app.extensions[EXTENSION_KEY] = VerifiedTokens()  # none remembered
            started = time.perf_counter()
            for token in issued:
                decode_token(token)
            elapsed = (time.perf_counter() - started) / tokens
            db.engine.dispose()
        print(f"{signing:<6} {elapsed * 1e6:8.1f} us per token")


if __name__ == "__main__":
    main()
