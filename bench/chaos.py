"""Chaos: kill a Galera node, a Signet instance and the Redis primary under load; lose nothing.

Run from the repository root:  .venv/bin/python bench/chaos.py [--seconds 75] [--players 6]
(loopback only; needs galera-4, mariadb-backup, socat, haproxy, redis-server, nginx).

It starts the `make cluster-ha` topology (deploy/cluster_ha.py) on free ports in a fresh
directory under instance/, drives a mixed load through nginx (bench/chaos_load.py) and,
while it runs, SIGKILLs in turn the Galera node HAProxy writes to, one Signet instance,
and the Redis primary, restarting each a few seconds later. Then it checks every
acknowledged write against the database (through every node) and storage: acknowledged
accounts and files lost, revoked tokens accepted after the revocation was acknowledged,
duplicate rows. It prints, per phase, errors by status, the longest gap without a
successful write, and throughput. Exit status 1 when any of the three counts is not zero.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import shutil
import signal
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chaos_load import Ledger, Player, bearer, longest_gap  # noqa: E402
from deploy.cluster_ha import HACluster, HASpec  # noqa: E402
from deploy.galera import NodePorts  # noqa: E402
from tests.factories import image_bytes  # noqa: E402
from tests.live_server import free_port  # noqa: E402

RESTART_AFTER = 5.0
# Every upload has a name of its own, every account an email: two rows are a duplicate.
DUPLICATES = (
    "SELECT COUNT(*) FROM (SELECT email FROM users GROUP BY email HAVING COUNT(*) > 1) d",
    "SELECT COUNT(*) FROM (SELECT originalName FROM files GROUP BY ownerId, originalName "
    "HAVING COUNT(*) > 1) d",
    "SELECT COUNT(*) FROM (SELECT refreshJti FROM sessions GROUP BY refreshJti "
    "HAVING COUNT(*) > 1) d",
)


def spec(workdir: Path, instances: int) -> HASpec:
    return HASpec(
        workdir=workdir,
        node_ports=[NodePorts(free_port(), free_port(), free_port(), free_port())
                    for _ in range(3)],
        haproxy_port=free_port(), redis_ports=(free_port(), free_port()),
        sentinel_ports=(free_port(), free_port(), free_port()), http_port=free_port(),
        instance_ports=tuple(free_port() for _ in range(instances)), s3_port=free_port(),
        env={"BCRYPT_LOG_ROUNDS": "4", "GUNICORN_ACCESSLOG": "",
             "JWT_ACCESS_TOKEN_EXPIRES": "3600",
             # Limits stay on (they are the Redis traffic) but far above this load.
             "LOGIN_RATE_LIMIT": "100000 per minute", "REGISTRATION_RATE_LIMIT": "100000 per hour",
             "UPLOAD_RATE_LIMIT": "100000 per hour"})


class Chaos:
    """The schedule of faults, each in its own phase."""

    def __init__(self, cluster: HACluster, seconds: float):
        self.cluster = cluster
        self.seconds = seconds
        self.phase_name = "baseline"
        self.phases: list[tuple[str, float]] = []
        self.notes: list[str] = []

    def phase(self) -> str:
        return self.phase_name

    def enter(self, name: str) -> None:
        self.phase_name = name
        self.phases.append((name, time.monotonic()))

    def run(self, stop: threading.Event) -> None:
        slot = self.seconds / 5
        self.enter("baseline")
        time.sleep(slot)
        writer = self.cluster.wait_writer()
        ists = self.cluster.galera.node(writer).error_log.read_text().count("IST received")
        self.enter(f"kill galera-{writer}")
        self.cluster.galera.kill(writer)
        self.note(f"killed galera-{writer} (HAProxy's writer)")
        time.sleep(RESTART_AFTER)
        started = time.monotonic()
        self.cluster.galera.restart(writer)
        log = self.cluster.galera.node(writer).error_log.read_text()
        self.note(f"galera-{writer} rejoined in {time.monotonic() - started:.1f} s "
                  f"({'IST' if log.count('IST received') > ists else 'SST'})")
        time.sleep(max(0.0, slot - RESTART_AFTER))
        self.enter("kill signet-1")
        self.cluster.signet.instances[0].send(signal.SIGKILL)
        self.note("killed signet instance 1")
        time.sleep(RESTART_AFTER)
        self.cluster.signet.start_instance(1, self.cluster.spec.instance_ports[0])
        self.note("signet instance 1 healthy again")
        time.sleep(max(0.0, slot - RESTART_AFTER))
        primary = self.cluster.redis.primary_port()
        self.enter("kill redis primary")
        self.cluster.redis.kill(primary)
        self.note(f"killed the Redis primary :{primary}")
        time.sleep(RESTART_AFTER)
        self.cluster.redis.start_server(primary)
        self.note(f"Redis :{primary} back; primary now :{self.cluster.redis.primary_port()}")
        time.sleep(max(0.0, slot - RESTART_AFTER))
        self.enter("recovered")
        time.sleep(slot)
        stop.set()

    def note(self, text: str) -> None:
        elapsed = time.monotonic() - self.phases[0][1]
        self.notes.append(f"{elapsed:6.1f} s  {text}")
        print(self.notes[-1], flush=True)


def verify(cluster: HACluster, ledger: Ledger) -> dict[str, int]:
    """Lost acknowledged writes, revoked tokens accepted now, duplicate rows."""
    counts = {}
    database = cluster.spec.database
    for node in cluster.galera.nodes:
        emails = set(node.sql("SELECT email FROM users", database=database,
                              causal=True).split())
        files = set(node.sql("SELECT id FROM files", database=database, causal=True).split())
        counts[f"{node.name}: users lost"] = sum(1 for e in ledger.users if e not in emails)
        counts[f"{node.name}: files lost"] = sum(1 for f in ledger.files if str(f) not in files)
        counts[f"{node.name}: duplicate rows"] = sum(
            int(node.sql(query, database=database, causal=True)) for query in DUPLICATES)
    counts["files whose bytes are lost or differ"] = bytes_lost(cluster, ledger)
    counts["revoked tokens accepted (during run)"] = ledger.revoked_accepted
    counts["revoked tokens accepted (after run)"] = sum(
        requests.get(f"{cluster.url}/api/v1/auth/me", headers=bearer({"access_token": t}),
                     timeout=30).status_code == 200 for t, _ in ledger.revoked)
    counts["corrupt downloads"] = ledger.corrupt_downloads
    return counts


def bytes_lost(cluster: HACluster, ledger: Ledger) -> int:
    """Acknowledged files whose object in S3 is missing or holds other bytes."""
    import boto3

    from deploy.cluster import S3_KEYS

    s3 = boto3.client("s3", endpoint_url=cluster.signet.s3_url, region_name="us-east-1",
                      aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"])
    rows = cluster.galera.node(1).sql("SELECT id, path FROM files",
                                      database=cluster.spec.database)
    paths = dict(line.split("\t") for line in rows.splitlines() if "\t" in line)
    lost = 0
    for file_id, (_name, digest) in ledger.files.items():
        key = paths.get(str(file_id))
        try:
            body = s3.get_object(Bucket=cluster.signet.bucket, Key=key)["Body"].read()
        except Exception:  # noqa: BLE001 - a missing key or object counts as lost
            lost += 1
            continue
        lost += hashlib.sha256(body).hexdigest() != digest
    return lost


def report(chaos: Chaos, ledger: Ledger, end: float, counts: dict[str, int]) -> None:
    print("\nphase                 secs  ok req/s  longest write gap  errors by status")
    bounds = [*chaos.phases, ("end", end)]
    for (name, start), (_, stop) in itertools.pairwise(bounds):
        span = stop - start
        errors = ", ".join(f"{k}={v}" for k, v in sorted(ledger.statuses[name].items())) or "-"
        print(f"{name:20} {span:5.1f}  {ledger.successes[name] / span:8.1f}  "
              f"{longest_gap(ledger.write_times, start, stop):15.2f} s  {errors}")
    total = end - chaos.phases[0][1]
    print(f"whole run {total:.1f} s: longest write gap "
          f"{longest_gap(ledger.write_times, chaos.phases[0][1], end):.2f} s; "
          f"{len(ledger.users)} accounts, {len(ledger.files)} files, "
          f"{len(ledger.revoked)} revocations acknowledged")
    for name, value in counts.items():
        print(f"  {name}: {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=75)
    parser.add_argument("--players", type=int, default=6)
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    workdir = ROOT / "instance" / f"chaos-{uuid.uuid4().hex[:8]}"
    ledger, stop = Ledger(), threading.Event()
    image = image_bytes("PNG", (32, 32))
    try:
        with HACluster(spec(workdir, args.instances)) as cluster:
            chaos = Chaos(cluster, max(60.0, args.seconds))
            players = [Player(cluster.url, ledger, chaos.phase, stop, image)
                       for _ in range(args.players)]
            threads = [threading.Thread(target=p.run, daemon=True) for p in players]
            for thread in threads:
                thread.start()
            try:
                chaos.run(stop)
            finally:
                stop.set()
            end = time.monotonic()
            for thread in threads:
                thread.join(timeout=60)
            time.sleep(2)  # the last replicated writes apply on every node
            counts = verify(cluster, ledger)
            report(chaos, ledger, end, counts)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    bad = sum(v for k, v in counts.items())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
