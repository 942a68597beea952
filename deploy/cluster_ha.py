"""`make cluster-ha`: the topology that survives losing any one machine, stopped by Ctrl-C.

Three MariaDB Galera nodes (deploy/galera.py) behind a private HAProxy (one writer, the
others backups, checked for Synced), Redis with a replica and three sentinels
(deploy/redis_ha.py) for rate limits, S3 (moto), and two or more Signet instances behind
nginx (deploy/cluster.py's `Cluster`, pointed at HAProxy and the sentinels). Revocations
stay in the database: Galera commits them on every node before the client hears "done".
Every port is a setting (HA_* environment variables), with defaults away from `make
cluster`'s; bench/chaos.py and tests/cluster start the same `HACluster` on free ports.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from deploy.cluster import Cluster, ClusterSpec
from deploy.galera import APP_PASSWORD, APP_USER, NodePorts
from deploy.galera_cluster import GaleraCluster
from deploy.haproxy import find_haproxy, haproxy_command, write_config
from deploy.processes import ClusterError, Managed, port_in_use, run_in_foreground
from deploy.redis_ha import RedisSentinelSet

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class HASpec:
    """Where the HA topology lives and which loopback ports it takes."""

    workdir: Path
    database: str = "signet_ha"
    node_ports: list[NodePorts] = field(default_factory=lambda: [
        NodePorts(33061 + i, 45671 + i, 45681 + i, 45691 + i) for i in range(3)])
    haproxy_port: int = 33060
    redis_ports: tuple[int, int] = (6380, 6381)
    sentinel_ports: tuple[int, ...] = (26380, 26381, 26382)
    http_port: int = 8090
    instance_ports: tuple[int, ...] = (8011, 8012)
    s3_port: int = 9010
    workers: int = 2
    env: dict[str, str] = field(default_factory=dict)

    def ports(self) -> list[int]:
        nodes = [p for n in self.node_ports for p in (n.client, n.gcomm, n.ist, n.sst)]
        return [*nodes, self.haproxy_port, *self.redis_ports, *self.sentinel_ports,
                self.http_port, *self.instance_ports, self.s3_port]


class HACluster:
    """Start, break, repair and stop the HA topology; use as a context manager."""

    def __init__(self, spec: HASpec):
        self.spec = spec
        self.galera = GaleraCluster(spec.workdir / "galera",
                                    list(spec.node_ports), spec.database)
        self.redis = RedisSentinelSet(spec.workdir / "redis", spec.redis_ports,
                                      spec.sentinel_ports)
        self.haproxy: Managed | None = None
        self.database_url = (f"mysql+pymysql://{APP_USER}:{APP_PASSWORD}@127.0.0.1:"
                             f"{spec.haproxy_port}/{spec.database}?charset=utf8mb4")
        self.signet = Cluster(ClusterSpec(
            workdir=spec.workdir / "signet", database_url=self.database_url,
            http_port=spec.http_port, instance_ports=spec.instance_ports,
            s3_port=spec.s3_port, redis_url=self.redis.url, redis_prefix="signet-ha:",
            workers=spec.workers,
            env={"REVOCATION_STORE_URL": "database", **spec.env}))

    @property
    def url(self) -> str:
        return self.signet.url

    def __enter__(self) -> HACluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, *, signet: bool = True) -> None:
        """Galera, HAProxy, Redis and the sentinels; then S3, the instances and nginx."""
        haproxy = find_haproxy()
        if haproxy is None:
            raise ClusterError("haproxy is not installed (Debian: apt-get install -y haproxy)")
        if busy := [port for port in self.spec.ports() if port_in_use(port)]:
            raise ClusterError(f"port(s) {busy} of 127.0.0.1 are in use (another cluster?)")
        self.spec.workdir.mkdir(parents=True, exist_ok=True)
        self.galera.start()
        self.start_haproxy(haproxy)
        self.redis.start()
        if signet:
            self.signet.start()

    def start_haproxy(self, haproxy: str) -> None:
        config = write_config(self.spec.workdir / "haproxy",
                              listen_port=self.spec.haproxy_port,
                              node_ports=[n.client for n in self.spec.node_ports])
        log = open(self.spec.workdir / "haproxy.log", "ab")  # noqa: SIM115 (child keeps it)
        with log:
            process = subprocess.Popen(haproxy_command(haproxy, config), stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.haproxy = Managed("haproxy", process)
        self.wait_writer()

    def wait_writer(self, timeout: float = 30) -> int:
        """Wait until a write through HAProxy succeeds; return the node that took it."""
        import pymysql

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                connection = pymysql.connect(host="127.0.0.1", port=self.spec.haproxy_port,
                                             user=APP_USER, password=APP_PASSWORD,
                                             connect_timeout=2)
                with connection, connection.cursor() as cursor:
                    cursor.execute("SELECT @@port")
                    port = cursor.fetchone()[0]
                return next(n for n, p in enumerate(self.spec.node_ports, 1) if p.client == port)
            except (pymysql.MySQLError, StopIteration):
                time.sleep(0.2)
        raise ClusterError(f"no Galera node answered through HAProxy within {timeout:.0f} s")

    def stop(self) -> None:
        """Signet first, then Redis, HAProxy and the nodes (the last stays bootstrappable)."""
        self.signet.stop()
        self.redis.stop()
        if self.haproxy is not None:
            self.haproxy.stop(signal.SIGTERM, timeout=10)
        self.galera.stop()

    def dead(self) -> list[str]:
        """Processes that exited on their own."""
        dead = [*self.galera.dead(), *self.redis.dead(), *self.signet.dead()]
        if self.haproxy is not None and not self.haproxy.alive():
            dead.append("haproxy")
        return dead


def spec_from_environment() -> HASpec:
    """`make cluster-ha`'s spec: HA_* variables move the ports (docs/getting-started.md)."""
    env = os.environ
    base = int(env.get("HA_GALERA_PORT", "33061"))
    gcomm = int(env.get("HA_GCOMM_PORT", "45671"))
    count = int(env.get("HA_INSTANCES", "2"))
    first_instance = int(env.get("HA_INSTANCE_PORT", "8011"))
    return HASpec(
        workdir=ROOT / "instance" / "cluster-ha",
        node_ports=[NodePorts(base + i, gcomm + i, gcomm + 10 + i, gcomm + 20 + i)
                    for i in range(3)],
        haproxy_port=int(env.get("HA_HAPROXY_PORT", "33060")),
        redis_ports=(int(env.get("HA_REDIS_PORT", "6380")),
                     int(env.get("HA_REDIS_PORT", "6380")) + 1),
        sentinel_ports=tuple(int(env.get("HA_SENTINEL_PORT", "26380")) + i for i in range(3)),
        http_port=int(env.get("HA_HTTP_PORT", "8090")),
        instance_ports=tuple(first_instance + i for i in range(count)),
        s3_port=int(env.get("HA_S3_PORT", "9010")))


def main() -> int:
    """Run the HA topology in the foreground until Ctrl-C (or SIGTERM)."""
    spec = spec_from_environment()
    return run_in_foreground(
        lambda: HACluster(spec), command="make cluster-ha",
        describe=lambda cluster: (
            f"Signet on {cluster.url} (nginx) -> "
            + ", ".join(i.url or "" for i in cluster.signet.instances)
            + f"; Galera via HAProxy on 127.0.0.1:{spec.haproxy_port} (nodes "
            + ", ".join(str(n.client) for n in spec.node_ports)
            + f"); Redis {cluster.redis.url}; logs in {spec.workdir}."))

if __name__ == "__main__":
    sys.exit(main())
