"""Redis for the HA topology: a primary, a replica and three sentinels on loopback.

Only rate-limit counters live here (the HA topology keeps revocations in the database:
see docs/scaling.md), so nothing is persisted (`--save ""`): a counter lost in a failover
lets a client a few more attempts, once. Clients reach the current primary through the
sentinels (`redis+sentinel://` URLs), which promote the replica one second after the
primary stops answering (`down-after-milliseconds 1000`); a killed primary restarted
later is turned into a replica of the new one by the sentinels.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from deploy.processes import ClusterError, Managed

SERVICE = "signet"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisSentinelSet:
    """Primary on `ports[0]`, replica on `ports[1]`, sentinels on `sentinel_ports`."""

    def __init__(self, root: Path, ports: tuple[int, int], sentinel_ports: tuple[int, ...]):
        self.root = root
        self.ports = ports
        self.sentinel_ports = sentinel_ports
        self.servers: dict[int, Managed] = {}
        self.sentinels: list[Managed] = []

    @property
    def url(self) -> str:
        """The `redis+sentinel://` URL of the set (limits / Flask-Limiter syntax)."""
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}"

    def _spawn(self, name: str, command: list[str]) -> Managed:
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
        with log:
            process = subprocess.Popen(command, cwd=self.root, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        return Managed(name, process)

    def start_server(self, port: int, *, replica_of: int | None = None) -> None:
        """Start (or restart) the Redis server on `port`."""
        command = [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                   "--appendonly", "no", "--dir", str(self.root),
                   "--dbfilename", f"dump-{port}.rdb"]
        if replica_of is not None:
            command += ["--replicaof", "127.0.0.1", str(replica_of)]
        self.servers[port] = self._spawn(f"redis-{port}", command)
        _wait_ping(port, self.servers[port])

    def start(self) -> None:
        """Primary, replica, then the sentinels, each answering before the next."""
        self.root.mkdir(parents=True, exist_ok=True)
        primary, replica = self.ports
        self.start_server(primary)
        self.start_server(replica, replica_of=primary)
        for port in self.sentinel_ports:
            # A sentinel rewrites its file (the known primary, replicas, epochs): a fresh
            # one at every start, so a new run does not follow an old run's failover.
            config = self.root / f"sentinel-{port}.conf"
            config.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.root}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {primary} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                f"sentinel failover-timeout {SERVICE} 10000\n"
                f"sentinel parallel-syncs {SERVICE} 1\n")
            sentinel = self._spawn(f"sentinel-{port}", [REDIS_SERVER, str(config), "--sentinel"])
            self.sentinels.append(sentinel)
            _wait_ping(port, sentinel)

    def primary_port(self) -> int:
        """The port the sentinels name as primary now."""
        for port in self.sentinel_ports:
            try:
                client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
                return int(client.sentinel_get_master_addr_by_name(SERVICE)[1])
            except (redis.RedisError, TypeError):
                continue
        raise ClusterError("no sentinel names a Redis primary")

    def kill(self, port: int) -> None:
        """SIGKILL the Redis server on `port`."""
        self.servers[port].send(signal.SIGKILL)
        self.servers[port].process.wait()

    def stop(self) -> None:
        """Sentinels first (no failover while the servers stop), then the servers."""
        for part in [*self.sentinels, *self.servers.values()]:
            part.stop(signal.SIGTERM, timeout=10)

    def dead(self) -> list[str]:
        return [part.name for part in [*self.sentinels, *self.servers.values()]
                if not part.alive()]


def _wait_ping(port: int, process: Managed, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    while time.monotonic() < deadline:
        if not process.alive():
            raise ClusterError(f"{process.name} exited; see its log")
        try:
            if client.ping():
                return
        except redis.RedisError:
            time.sleep(0.1)
    raise ClusterError(f"{process.name} did not answer PING within {timeout:.0f} s")
