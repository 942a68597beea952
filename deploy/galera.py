"""Three MariaDB Galera nodes on loopback: data dirs, bootstrap, join, crash recovery.

Each node is a `mariadbd` of its own started with `--defaults-file` first (Debian's
/etc/mysql/my.cnf names the system server's socket and datadir), with its own client,
gcomm, IST and SST ports. The first start initialises node 1 and bootstraps the cluster
from it; the others join by SST (mariabackup, as the `sst` user). A node killed by SIGKILL
is restarted the way Debian's systemd unit does it: `--wsrep-recover` first, then
`--wsrep-start-position`, so it rejoins by IST rather than a full copy. After a full stop
the node whose grastate.dat says `safe_to_bootstrap: 1` (or, after a crash of all, the one
with the highest recovered seqno) bootstraps again.
"""

from __future__ import annotations

import getpass
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from deploy.processes import ClusterError, Managed

PROVIDER = next((p for p in ("/usr/lib/galera/libgalera_smm.so", "/usr/lib/libgalera_smm.so")
                 if Path(p).exists()), "/usr/lib/galera/libgalera_smm.so")
MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
MARIADB = shutil.which("mariadb") or "/usr/bin/mariadb"
SST_USER, SST_PASSWORD = "sst", "signet-sst"  # loopback only; the SST stream never leaves it
CHECK_USER = "haproxy"  # no password, no privileges: HAProxy's health check reads status
APP_USER, APP_PASSWORD = "signet", "signet-ha"
# Galera evicts a silent peer after evs.suspect_timeout (default 5 s): writes on the rest
# wait that long after a node dies. 2 s keeps the write gap short and false alarms rare
# on a busy two-core machine.
PROVIDER_OPTIONS = ("evs.suspect_timeout=PT2S; evs.inactive_timeout=PT4S; "
                    "evs.keepalive_period=PT0.5S; evs.inactive_check_period=PT0.5S; "
                    "gcache.size=64M; pc.recovery=true")
SYNCED = "4"


@dataclass
class NodePorts:
    """One node's loopback ports."""

    client: int
    gcomm: int
    ist: int
    sst: int


class GaleraNode:
    """One mariadbd of the cluster: its files, its process, its SQL."""

    def __init__(self, number: int, root: Path, ports: NodePorts, peers: list[NodePorts]):
        self.number = number
        self.name = f"galera-{number}"
        self.datadir = root / f"node{number}" / "data"
        self.rundir = root / f"node{number}"
        self.ports = ports
        self.peers = peers
        self.process: Managed | None = None

    @property
    def socket(self) -> Path:
        return self.rundir / "mysqld.sock"

    @property
    def config(self) -> Path:
        return self.rundir / "my.cnf"

    @property
    def error_log(self) -> Path:
        return self.rundir / "error.log"

    def write_config(self) -> None:
        """The node's my.cnf: its own paths and ports, InnoDB only, Galera on."""
        self.rundir.mkdir(parents=True, exist_ok=True)
        self.datadir.mkdir(exist_ok=True)
        cluster = ",".join(f"127.0.0.1:{peer.gcomm}" for peer in self.peers)
        ist = f"ist.recv_addr=127.0.0.1:{self.ports.ist}"
        self.config.write_text(f"""[client]
socket={self.socket}
[mysqld]
user={getpass.getuser()}
datadir={self.datadir}
socket={self.socket}
pid-file={self.rundir / 'mysqld.pid'}
log-error={self.error_log}
port={self.ports.client}
bind-address=127.0.0.1
skip-name-resolve
innodb_buffer_pool_size=64M
innodb_log_file_size=32M
innodb_flush_log_at_trx_commit=2
innodb_autoinc_lock_mode=2
binlog_format=ROW
default_storage_engine=InnoDB
max_connections=300
wsrep_on=ON
wsrep_provider={PROVIDER}
wsrep_cluster_name=signet
wsrep_cluster_address=gcomm://{cluster}
wsrep_node_name=node{self.number}
wsrep_node_address=127.0.0.1:{self.ports.gcomm}
wsrep_node_incoming_address=127.0.0.1:{self.ports.client}
wsrep_provider_options="base_port={self.ports.gcomm}; {ist}; {PROVIDER_OPTIONS}"
wsrep_sst_method=mariabackup
wsrep_sst_auth={SST_USER}:{SST_PASSWORD}
wsrep_sst_receive_address=127.0.0.1:{self.ports.sst}
""")

    def initialised(self) -> bool:
        return (self.datadir / "mysql").is_dir()

    def install(self) -> None:
        """Create the system tables of an empty data dir (the bootstrap node only)."""
        install = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
        command = [install, f"--defaults-file={self.config}",
                   "--auth-root-authentication-method=socket", "--skip-test-db"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ClusterError(f"mariadb-install-db for {self.name} failed: {result.stderr}")

    def grastate(self) -> dict[str, str]:
        path = self.datadir / "grastate.dat"
        if not path.exists():
            return {}
        pairs = (line.split(":", 1) for line in path.read_text().splitlines() if ":" in line)
        return {key.strip(): value.strip() for key, value in pairs}

    def mark_safe_to_bootstrap(self) -> None:
        path = self.datadir / "grastate.dat"
        path.write_text(re.sub(r"safe_to_bootstrap: *0", "safe_to_bootstrap: 1",
                               path.read_text()))

    def recover_position(self) -> str | None:
        """`--wsrep-recover`: the last committed uuid:seqno InnoDB holds, or None."""
        log = self.rundir / "recover.log"
        log.unlink(missing_ok=True)
        subprocess.run([MARIADBD, f"--defaults-file={self.config}", "--wsrep-recover",
                        f"--log-error={log}"], capture_output=True, check=False, timeout=120)
        text = log.read_text() if log.exists() else ""
        found = re.findall(r"Recovered position:\s*(\S+:-?\d+)", text)
        return found[-1] if found else None

    def command(self, *, bootstrap: bool, position: str | None) -> list[str]:
        command = [MARIADBD, f"--defaults-file={self.config}"]
        if bootstrap:
            command.append("--wsrep-new-cluster")
        if position:
            command.append(f"--wsrep-start-position={position}")
        return command

    def sql(self, statement: str, *, database: str | None = None, causal: bool = False,
            timeout: float = 10) -> str:
        """Run SQL as root over the node's socket; return its tab-separated output.

        `causal`: the node first applies everything the cluster committed before the read
        (wsrep_sync_wait): Galera certifies on every node at COMMIT but applies later.
        """
        if causal:
            statement = "SET SESSION wsrep_sync_wait = 1; " + statement
        use = [f"--database={database}"] if database else []
        result = subprocess.run(
            [MARIADB, f"--socket={self.socket}", "-uroot", "-N", "-B", *use, "-e", statement],
            capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise ClusterError(f"{self.name}: {result.stderr.strip()}")
        return result.stdout.strip()

    def status(self, name: str) -> str | None:
        try:
            line = self.sql(f"SHOW GLOBAL STATUS LIKE '{name}'", timeout=5)
        except (ClusterError, subprocess.TimeoutExpired):
            return None
        return line.split("\t", 1)[1] if "\t" in line else None

    def wait_synced(self, timeout: float = 180) -> None:
        """Wait until the node is Synced (wsrep_local_state 4), or fail naming it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and not self.process.alive():
                raise ClusterError(f"{self.name} exited; see {self.error_log}")
            if self.status("wsrep_local_state") == SYNCED:
                return
            time.sleep(0.3)
        raise ClusterError(f"{self.name} did not reach Synced within {timeout:.0f} s; "
                           f"see {self.error_log}")

    def create_users(self, database: str) -> None:
        """The SST, health-check and application users (replicated to the others)."""
        self.sql(
            f"CREATE USER IF NOT EXISTS '{SST_USER}'@'localhost' IDENTIFIED BY '{SST_PASSWORD}';"
            "GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* "
            f"TO '{SST_USER}'@'localhost';"
            f"CREATE USER IF NOT EXISTS '{CHECK_USER}'@'127.0.0.1';"
            f"CREATE USER IF NOT EXISTS '{APP_USER}'@'127.0.0.1' IDENTIFIED BY '{APP_PASSWORD}';"
            f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4 "
            "COLLATE utf8mb4_unicode_ci;"
            f"GRANT ALL ON `{database}`.* TO '{APP_USER}'@'127.0.0.1';")
