"""A private HAProxy in front of the Galera nodes: one writer at a time, the rest backups.

Every connection goes to the first healthy node, and stays there (`stick on dst` with a
one-entry table) until that node fails its check: writes never spread over two nodes, so
row locks keep their meaning and certification conflicts stay rare, and a node that comes
back does not take the writes back (no fail-back flapping). A node is healthy when it
answers and is Synced (`wsrep_local_state` 4): `mysql-check` alone passes a node that is up
but still joining or desynced. The check is an external command (`deploy/galera_check.sh`)
logging in as `haproxy` (deploy/galera.py CHECK_USER: no password, no privileges). When a
node is marked down its sessions are cut, so clients reconnect to the new writer at once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CUT = "on-marked-down shutdown-sessions"
CHECK_SCRIPT = Path(__file__).resolve().parent / "galera_check.sh"


def find_haproxy() -> str | None:
    """The haproxy executable (Debian installs it in /usr/sbin), or None."""
    found = shutil.which("haproxy")
    if found:
        return found
    return "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None


def write_config(directory: Path, *, listen_port: int, node_ports: list[int],
                 stats_port: int | None = None) -> Path:
    """Write haproxy.cfg for `node_ports` behind 127.0.0.1:`listen_port`; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(
        f"    server node{number} 127.0.0.1:{port} check{'' if number == 1 else ' backup'}"
        for number, port in enumerate(node_ports, start=1))
    stats = (f"\nlisten stats\n    mode http\n    bind 127.0.0.1:{stats_port}\n"
             "    stats enable\n    stats uri /\n") if stats_port else ""
    path = directory / "haproxy.cfg"
    path.write_text(f"""global
    maxconn 2000
    external-check
    insecure-fork-wanted
    pidfile {directory / 'haproxy.pid'}

defaults
    mode tcp
    timeout connect 2s
    # Pooled connections idle between requests: longer than the app's pool_recycle (280 s).
    timeout client 300s
    timeout server 300s
    timeout check 2s

listen galera
    bind 127.0.0.1:{listen_port}
    balance first
    stick-table type integer size 1
    stick on int(1)
    option external-check
    external-check path "/usr/bin:/bin"
    external-check command {CHECK_SCRIPT}
    default-server inter 500ms fastinter 250ms downinter 1s rise 2 fall 2 {CUT}
{servers}
{stats}""")
    return path


def haproxy_command(haproxy: str, config: Path) -> list[str]:
    """Run in the foreground (-db), so the supervisor owns the process."""
    return [haproxy, "-db", "-f", str(config)]

