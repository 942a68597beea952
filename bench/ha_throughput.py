"""Benchmark: 1, 2 and 3 Signet instances on the Galera cluster versus one MariaDB.

Run from the repository root:  .venv/bin/python bench/ha_throughput.py [--seconds 8]
(loopback only; needs what `make cluster-ha` needs, plus wrk; MYSQL_BENCH_URL for the
single MariaDB, default mysql+pymysql://root@127.0.0.1:3306).

For each database (the `make cluster-ha` topology on free ports, then `make cluster`'s on a
throw-away database of the single MariaDB) it starts three instances, points nginx at the
first 1, 2 and 3, and measures with wrk through nginx: `GET /auth/me` (a read: one SELECT
through HAProxy with the database revocation store) and `POST /auth/login` (a write: a
session row and an audit event, committed through Galera's certification). Rate limits
and bcrypt cost are lowered so the stores, not bcrypt, are what is measured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chaos import spec as ha_spec  # noqa: E402
from bench.common import wrk  # noqa: E402
from deploy.cluster import Cluster, ClusterSpec  # noqa: E402
from deploy.cluster_ha import HACluster  # noqa: E402
from tests.conftest import throwaway_mysql_database  # noqa: E402
from tests.live_server import free_port  # noqa: E402

SERVER_URL = os.environ.get("MYSQL_BENCH_URL", "mysql+pymysql://root@127.0.0.1:3306")
PASSWORD = "bench orbit 7 lantern"  # noqa: S105 - throw-away account
ENV = {"BCRYPT_LOG_ROUNDS": "4", "GUNICORN_ACCESSLOG": "", "RATELIMIT_ENABLED": "false",
       "JWT_ACCESS_TOKEN_EXPIRES": "3600", "REVOCATION_STORE_URL": "database"}
LOGIN_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email": "%s", "password": "%s"}'
"""


def measure(signet: Cluster, seconds: int, label: str) -> list[str]:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    created = requests.post(f"{signet.url}/api/v1/auth/register", timeout=30,
                            json={"name": "Bench", "email": email, "password": PASSWORD})
    created.raise_for_status()
    token = requests.post(f"{signet.url}/api/v1/auth/login", timeout=30,
                          json={"email": email, "password": PASSWORD}).json()["access_token"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LOGIN_LUA % (email, PASSWORD))
    lines = []
    for count in range(1, len(signet.spec.instance_ports) + 1):
        signet.write_nginx_config(count)
        me = wrk(f"{signet.url}/api/v1/auth/me", seconds, connections=12,
                 headers={"Authorization": f"Bearer {token}"})
        login = wrk(f"{signet.url}/api/v1/auth/login", seconds, connections=12,
                    script=script.name)
        lines.append(f"{label:16} {count} instance(s): GET /auth/me {me['rps']:7.1f} req/s "
                     f"(p99 {me['p99']}, non-2xx {me['errors']}); POST /auth/login "
                     f"{login['rps']:6.1f} req/s (p99 {login['p99']}, non-2xx {login['errors']})")
        print(lines[-1], flush=True)
    os.unlink(script.name)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    results = []
    workdir = Path(tempfile.mkdtemp(prefix="ha-bench-", dir=ROOT / "instance"))
    spec = ha_spec(workdir / "galera", 3)
    spec.env = {**spec.env, **ENV}
    try:
        with HACluster(spec) as cluster:
            results += measure(cluster.signet, args.seconds, "Galera x3")
        with throwaway_mysql_database("signet_bench", SERVER_URL) as url:
            single = Cluster(ClusterSpec(
                workdir=workdir / "single", database_url=url, http_port=free_port(),
                instance_ports=(free_port(), free_port(), free_port()), s3_port=free_port(),
                redis_prefix=f"signet-bench-{uuid.uuid4().hex[:6]}:", env=ENV))
            with single:
                results += measure(single, args.seconds, "one MariaDB")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n" + "\n".join(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
