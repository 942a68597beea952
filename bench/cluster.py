"""Benchmark: Signet behind nginx with one and with two instances, beside nginx alone.

Run from the repository root:  .venv/bin/python bench/cluster.py [--seconds S]
(MYSQL_BENCH_URL, default mysql+pymysql://root@127.0.0.1:3306; needs nginx and wrk).

It starts the `make cluster` topology (deploy/cluster.py: nginx, two gunicorn instances of
2 workers with production settings, MariaDB in a throw-away database, Redis) with local
storage and X-Accel-Redirect, uploads a 50 MiB file, and measures with wrk, in one run:
GET /api/v1/auth/me and GET /api/v1/files/{id}/content through nginx with one instance
and then two, and the same file served by nginx as a plain static file (the baseline a
download through Signet is compared with). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import wrk  # noqa: E402
from deploy.cluster import Cluster, ClusterSpec  # noqa: E402
from deploy.nginx import find_nginx, local_main, nginx_command  # noqa: E402
from deploy.processes import Managed, wait_healthy  # noqa: E402
from tests.conftest import throwaway_mysql_database  # noqa: E402
from tests.live_server import free_port  # noqa: E402

SERVER_URL = os.environ.get("MYSQL_BENCH_URL", "mysql+pymysql://root@127.0.0.1:3306")
PASSWORD = "quiet orbit 7 lantern"  # noqa: S105 - a throw-away account, throw-away database
FILE_BYTES = 50 * 1024 * 1024


def rate(url: str, seconds: int, connections: int, headers: dict | None = None) -> float:
    """Requests per second wrk reaches on `url` (non-2xx answers make it fail loudly)."""
    result = wrk(url, seconds, connections=connections, headers=headers)
    if result["errors"]:
        raise SystemExit(f"wrk saw {result['errors']} non-2xx answers on {url}")
    return result["rps"]


def static_nginx(workdir: Path, folder: Path) -> tuple[Managed, str]:
    """A second nginx serving `folder` as plain static files: the baseline."""
    prefix = workdir / "static-nginx"
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / kind).mkdir(parents=True, exist_ok=True)
    port = free_port()
    site = prefix / "static.conf"
    site.write_text(f"server {{\n    listen 127.0.0.1:{port};\n"
                    f"    location /static/ {{ alias {folder}/; sendfile on; tcp_nopush on; }}\n"
                    "}\n")
    conf = prefix / "nginx.conf"
    conf.write_text(local_main(prefix, site))
    process = subprocess.Popen(nginx_command(find_nginx(), prefix, conf),
                               start_new_session=True)
    managed = Managed("static nginx", process)
    url = f"http://127.0.0.1:{port}/static/"
    return managed, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per URL")
    args = parser.parse_args()
    if find_nginx() is None or shutil.which("wrk") is None:
        raise SystemExit("needs nginx and wrk (apt-get install -y nginx wrk)")

    with tempfile.TemporaryDirectory() as tmp, \
            throwaway_mysql_database("signet_bench_cluster", SERVER_URL) as database:
        workdir = Path(tmp)
        spec = ClusterSpec(
            workdir=workdir / "cluster", database_url=database, http_port=free_port(),
            instance_ports=(free_port(), free_port()), s3_port=free_port(), storage="local",
            redis_prefix=f"signet-bench-{uuid.uuid4().hex[:8]}:", workers=2,
            env={"GUNICORN_ACCESSLOG": "", "MAX_CONTENT_LENGTH": str(64 * 1024 * 1024)},
            # wrk drives everything from 127.0.0.1: production's per-address rate would
            # answer most of it 429.
            site={"request_rate": "100000r/s", "request_burst": 100000})
        with Cluster(spec) as cluster:
            base = cluster.instances[0].url
            address = {"X-Forwarded-For": "192.0.2.10"}
            registered = requests.post(
                f"{base}/api/v1/auth/register", headers=address, timeout=30,
                json={"name": "Bench", "email": "bench@example.com", "password": PASSWORD})
            assert registered.status_code == 201, registered.text
            signed_in = requests.post(f"{base}/api/v1/auth/login", headers=address, timeout=30,
                                      json={"email": "bench@example.com", "password": PASSWORD})
            assert signed_in.status_code == 200, signed_in.text
            auth = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
            data = b"%PDF-1.4\n" + os.urandom(FILE_BYTES - 16) + b"\n%%EOF\n"
            body = requests.post(f"{base}/api/v1/files", headers=auth, timeout=120,
                                 files={"file": ("big.pdf", data)}).json()
            blob = next(p for p in cluster.upload_folder.rglob("*") if p.is_file())
            static, static_url = static_nginx(workdir, cluster.upload_folder)
            try:
                wait_healthy(f"{static_url}{blob.relative_to(cluster.upload_folder)}", static)
                results = measure(cluster, static_url + str(
                    blob.relative_to(cluster.upload_folder)), body["url"], auth, args.seconds)
            finally:
                static.stop()
    report(results)


def measure(cluster: Cluster, static_url: str, content: str, auth: dict,
            seconds: int) -> dict[str, float]:
    """Every figure of the run, in requests per second."""
    results = {"nginx static 50 MiB": rate(static_url, seconds, 4)}
    for count in (1, 2):
        cluster.write_nginx_config(count)
        results[f"/auth/me, {count} instance(s)"] = rate(
            f"{cluster.url}/api/v1/auth/me", seconds, 8, auth)
        results[f"/content 50 MiB, {count} instance(s)"] = rate(
            f"{cluster.url}{content}", seconds, 4, auth)
    return results


def report(results: dict[str, float]) -> None:
    """Print the figures and the ratios the topology is judged by."""
    print(f"{'measurement':<36}{'req/s':>10}")
    for name, rate in results.items():
        print(f"{name:<36}{rate:>10.1f}")
    static = results["nginx static 50 MiB"]
    print()
    print(f"/auth/me, two instances / one:          "
          f"{results['/auth/me, 2 instance(s)'] / results['/auth/me, 1 instance(s)']:.2f}")
    for count in (1, 2):
        ratio = results[f"/content 50 MiB, {count} instance(s)"] / static
        print(f"download via Signet ({count}) / nginx static: {ratio:.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
