"""Benchmark: a user-like mix against Signet and against the FastAPI full-stack template.

Run from the repository root:  .venv/bin/python bench/mixed.py
(--rounds N, --seconds S, --connections 16,64, --bcrypt-rounds COST, --without-sign-ins,
--signet-only; MYSQL_BENCH_URL, PEER_DIR)

The same mix goes to both, one request at a time drawn by a seeded RNG (bench/mixed.lua):
70 % who am I, 20 % list my 20 newest files (Signet) or items (the template), 5 % upload a
small file or create a small item, 4 % refresh (Signet; its refresh tokens are single use,
so each comes from a pool minted beforehand and is sent once) or re-login (the template has
no refresh), 1 % sign-in at each project's default hash cost (Signet: bcrypt 12; the
template: argon2id). Both run 2 workers: Signet under gunicorn exactly as bench/auth_me.py
serves it (production settings, sync workers, a throw-away MariaDB database, rate limits
off), the template under uvicorn on PostgreSQL. Each user starts with 30 files or items.

Rounds alternate the servers at each connection count (`wrk -t2`), each server getting the
same draw; the bench prints req/s, p50, p99, errors (non-2xx and socket errors) per run,
then per connection count the medians, Signet's throughput over the template's against the
2.5x target, and whether Signet's p99 is no worse. --without-sign-ins adds one round of the
mix without its 1 % sign-ins (the others keep their proportions): how much the password
hashing weighs.

The template (the peer) is set up once from ../shared/peers/fsft/RECIPE.md into /tmp/peer
(PEER_DIR); the bench starts it with start.sh, gives it a user of its own and deletes that
user at the end, and stops it with stop.sh if it started it. Without the peer it measures
Signet only and says so. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import requests
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.sessions.service import start_session  # noqa: E402
from app.transactions import transaction  # noqa: E402
from app.users.models import User  # noqa: E402
from bench.auth_me import EMAIL, FILES, PASSWORD, fill_database, login  # noqa: E402
from bench.common import production_settings  # noqa: E402
from bench.fsft_peer import PEER, Peer, argon2_check_seconds  # noqa: E402
from bench.mixed_requests import THREADS, kinds, preflight, run_mix  # noqa: E402
from tests.conftest import throwaway_mysql_database  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

SERVER_URL = os.environ.get("MYSQL_BENCH_URL", "mysql+pymysql://root@127.0.0.1:3306")
REFRESH_SHARE = 0.04
TARGET = 2.5


def drain(url: str) -> None:
    """Wait until the requests wrk left queued (slow sign-ins) have been answered."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda _: requests.get(url, timeout=300), range(16)))


def mint_refresh_tokens(app, count: int) -> list[str]:
    """`count` single-use refresh tokens of the bench user, each of a session of its own."""
    from app.auth.tokens import session_token_pair

    with app.test_request_context():
        user = db.session.execute(db.select(User).filter_by(email=EMAIL)).scalar_one()
        with transaction():
            sessions = [start_session(user) for _ in range(count)]
        return [session_token_pair(user, session_id=s.id, refresh_jti=s.refresh_jti)
                ["refresh_token"] for s in sessions]


def fill_pool(app, directory: Path, expected_requests: float) -> None:
    """One refresh-token file per wrk thread: twice what the run should ask, plus 50."""
    share = math.ceil(expected_requests * REFRESH_SHARE * 2 / THREADS) + 50
    tokens = mint_refresh_tokens(app, share * THREADS)
    for thread in range(THREADS):
        (directory / f"refresh-{thread + 1}.txt").write_text(
            "\n".join(tokens[thread * share:(thread + 1) * share]) + "\n")


def dispose(app) -> None:
    """Close the minting app's connections: the database is dropped after."""
    with app.app_context():
        db.engine.dispose()


def hash_costs(bcrypt_rounds: int, with_peer: bool) -> None:
    """Print one password check of each, and the req/s that hashing alone leaves the mix."""
    import time

    import bcrypt

    stored = bcrypt.hashpw(b"bench pass 1", bcrypt.gensalt(bcrypt_rounds))
    times = []
    for _ in range(5):
        started = time.perf_counter()
        bcrypt.checkpw(b"bench pass 1", stored)
        times.append(time.perf_counter() - started)
    costs = {"signet": (statistics.median(times), 0.01, f"bcrypt {bcrypt_rounds}")}
    if with_peer:
        costs["template"] = (argon2_check_seconds(), 0.05, "argon2id")
    cores = os.cpu_count() or 1
    print(f"password checks (median of 5, this process); the most req/s the mix allows "
          f"if hashing were all the work, on {cores} cores:")
    for name, (seconds, share, kind) in costs.items():
        print(f"  {name:<9} {kind:<9} {seconds * 1000:6.1f} ms, {share:.0%} of requests"
              f" -> {cores / (seconds * share):7.1f} req/s")
    if with_peer:
        ceiling = (costs["template"][0] * 0.05) / (costs["signet"][0] * 0.01)
        print(f"  both bound by hashing alone: Signet/template {ceiling:.2f}x")


def context() -> str:
    """The machine and its load, for reading the figures."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (f"{platform.node()}: {os.cpu_count()} CPUs, load {load} before the run; "
            f"Python {platform.python_version()}")


def main() -> None:
    """Serve both, seed their users, measure the mix in alternating rounds, compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--bcrypt-rounds", type=int, default=12, help="Signet's default: 12")
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--without-sign-ins", action="store_true",
                        help="add one round of the mix without its 1 %% sign-ins")
    parser.add_argument("--signet-only", action="store_true")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still stop servers, drop data
    if not shutil.which("wrk"):
        sys.exit("wrk is required (apt-get install wrk)")
    connection_counts = [int(count) for count in args.connections.split(",")]
    with_peer = not args.signet_only and Peer.installed()
    if not with_peer and not args.signet_only:
        print(f"The FastAPI full-stack template is not set up in {PEER}: set it up as "
              "../shared/peers/fsft/RECIPE.md says (setup.sh, then this bench starts and "
              "stops it). Measuring Signet only.\n")
    print(context())
    hash_costs(args.bcrypt_rounds, with_peer)

    with ExitStack() as stack:  # undone in reverse: servers stop before the data goes
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        targets = {"signet": serve_signet(stack, scratch, args.bcrypt_rounds)}
        if with_peer:
            targets["template"] = serve_peer(stack)
        print(f"wrk -t{THREADS}, {args.seconds}s per run, 2 workers each, Signet bcrypt cost "
              f"{args.bcrypt_rounds}, the template argon2id (its default), {args.rounds} rounds,"
              f" mix 70/20/5/4/1 (me/list/create/refresh or re-login/sign-in)")
        results = measure(targets, args, connection_counts)
        summarize(results, connection_counts, with_peer)


@dataclass
class Target:
    """A server under the mix: where it is, mixed.lua's arguments, and how to drain it."""

    base: str
    lua_args: list[str]
    health: str
    minting: Flask | None = None  # Signet: the app that mints its refresh tokens, and where
    pool: Path | None = None


def serve_signet(stack: ExitStack, scratch: Path, bcrypt_rounds: int) -> Target:
    """Signet as bench/auth_me.py serves it, on a throw-away database: user, 30 files."""
    url = stack.enter_context(throwaway_mysql_database("signet_mixed", SERVER_URL))
    fill_database(url, bcrypt_rounds)
    uploads = scratch / "uploads"  # the 5 % uploads land here, removed at the end
    uploads.mkdir()
    settings = production_settings(
        BCRYPT_LOG_ROUNDS=str(bcrypt_rounds), DATABASE_URL=url, UPLOAD_FOLDER=str(uploads),
        MAIL_FILE_DIR=str(scratch / "mail"))
    # Its log (an audit line a sign-in) would drown the table: to the scratch folder.
    server = LiveServer(settings, workers=2, output=scratch / "gunicorn.log")
    stack.callback(server.stop)
    server.start(timeout=60)
    minting = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                          "JWT_SECRET_KEY": settings["JWT_SECRET_KEY"],
                          "SIGNING_KEY_ENCRYPTION_KEY": settings["SIGNING_KEY_ENCRYPTION_KEY"]})
    stack.callback(dispose, minting)
    pool = scratch / "pool"
    pool.mkdir()
    token, body = login(server.url), json.dumps({"email": EMAIL, "password": PASSWORD})
    preflight(server.url, kinds("signet", token, body, mint_refresh_tokens(minting, 1)[0]))
    return Target(server.url, ["signet", token, body, str(pool)], f"{server.url}/healthz",
                  minting, pool)


def serve_peer(stack: ExitStack) -> Target:
    """The template, started from PEER, with a user of its own and 30 items."""
    peer = Peer()
    stack.callback(peer.stop)
    peer.start()
    token = peer.token(peer.email, peer.password)
    peer.add_items(token, FILES)
    form = urlencode({"username": peer.email, "password": peer.password})
    preflight(peer.url, kinds("template", token, form, None))
    return Target(peer.url, ["template", token, form, "-"], f"{peer.api}/utils/health-check/")


def measure(targets: dict[str, Target], args, connection_counts: list[int]) -> dict:
    """Alternating rounds at each connection count; print each run, return them all."""
    print(f"{'round':<6} {'server':<9} {'conns':>5} {'req/s':>9} {'p50 ms':>9} "
          f"{'p99 ms':>9} {'errors':>7}  draw (me/list/create/refresh/sign-in)")
    results: dict[tuple[str, int, int], list[dict]] = {}
    expected = dict.fromkeys(connection_counts, 1000.0)  # Signet's req/s, a first guess
    plan = [(number, 1) for number in range(1, args.rounds + 1)]
    if args.without_sign_ins:
        plan.append(("no-si", 0))
    for number, sign_ins in plan:
        for count in connection_counts:
            order = list(targets)
            if isinstance(number, int) and number % 2 == 0:
                order.reverse()  # alternate who goes first
            for name in order:
                target = targets[name]
                if target.pool:
                    for old in target.pool.iterdir():
                        old.unlink()
                    # Without its sign-ins the mix runs several times faster: room for it.
                    rate = expected[count] if sign_ins else max(3 * expected[count], 2500)
                    fill_pool(target.minting, target.pool, rate * args.seconds)
                seed = args.seed + (number if isinstance(number, int) else 0)
                lua = [target.lua_args[0], str(seed), *target.lua_args[1:],
                       str(0.01 * sign_ins)]
                result = run_mix(target.base, args.seconds, count, lua)
                drain(target.health)
                if target.pool:
                    expected[count] = max(expected[count], result["rps"])
                results.setdefault((name, count, sign_ins), []).append(result)
                draw, exhausted = "/".join(map(str, result["draw"][:5])), result["draw"][5]
                print(f"{number!s:<6} {name:<9} {count:>5} {result['rps']:>9.1f} "
                      f"{result['p50']:>9.1f} {result['p99']:>9.1f} "
                      f"{result['errors']:>7}  {draw}"
                      + (f" (refresh pool ran out {exhausted}x)" if exhausted else ""))
    return results


def summarize(results: dict, connection_counts: list[int], with_peer: bool) -> None:
    """Medians over the rounds; with the peer, the ratio against the target and the p99s."""
    print("\nmedian over the rounds")
    names = ("signet", "template") if with_peer else ("signet",)
    for count in connection_counts:
        medians = {}
        for name in names:
            runs = results[(name, count, 1)]
            medians[name] = {key: statistics.median(run[key] for run in runs)
                             for key in ("rps", "p50", "p99")}
            errors = sum(run["errors"] for run in runs)
            print(f"{name:<9} {count:>3} conns: {medians[name]['rps']:>8.1f} req/s, "
                  f"p50 {medians[name]['p50']:.1f} ms, p99 {medians[name]['p99']:.1f} ms, "
                  f"{errors} errors" + ("" if not errors else "  (NOT A VALID RUN)"))
        if with_peer:
            ratio = medians["signet"]["rps"] / medians["template"]["rps"]
            p99 = medians["signet"]["p99"] <= medians["template"]["p99"]
            print(f"{'':<9} {count:>3} conns: Signet/template {ratio:.2f}x "
                  f"(target >= {TARGET}x: {'met' if ratio >= TARGET else 'NOT met'}); "
                  f"p99 {'no worse' if p99 else 'WORSE'}")
            if ("signet", count, 0) in results:  # --without-sign-ins
                signet, template = (results[(side, count, 0)][0] for side in names)
                print(f"{'':<9} {count:>3} conns, without sign-ins: Signet/template "
                      f"{signet['rps'] / template['rps']:.2f}x, p99 {signet['p99']:.1f} ms "
                      f"against {template['p99']:.1f} ms")


if __name__ == "__main__":
    main()
