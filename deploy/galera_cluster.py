"""The supervisor's side of Galera: start three nodes, kill one, bring it back, stop all."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from deploy.galera import GaleraNode, NodePorts
from deploy.processes import ClusterError, Managed


class GaleraCluster:
    """Three (or more) nodes under `root`; node 1 bootstraps a fresh cluster."""

    def __init__(self, root: Path, ports: list[NodePorts], database: str):
        self.root = root
        self.database = database
        self.nodes = [GaleraNode(number, root, node_ports, ports)
                      for number, node_ports in enumerate(ports, start=1)]

    def node(self, number: int) -> GaleraNode:
        return self.nodes[number - 1]

    def start(self) -> None:
        """Bootstrap (or re-bootstrap after a full stop), then join the others."""
        for node in self.nodes:
            node.write_config()
        fresh = not any(node.initialised() for node in self.nodes)
        if fresh:
            first = self.nodes[0]
            first.install()
            self._spawn(first, bootstrap=True, position=None)
            first.wait_synced()
            first.create_users(self.database)
        else:
            first = self._bootstrap_candidate()
            self._spawn(first, bootstrap=True, position=None)
            first.wait_synced()
        # One joiner at a time: a donor asked for two SSTs at once failed the second
        # ("WSREP has not yet prepared node for application use" at BACKUP STAGE START).
        for node in self.nodes:
            if node is not first:
                self._spawn(node, bootstrap=False, position=self._position(node))
                node.wait_synced()

    def _bootstrap_candidate(self) -> GaleraNode:
        """The node marked safe_to_bootstrap, else the most advanced after recovery."""
        for node in self.nodes:
            if node.grastate().get("safe_to_bootstrap") == "1":
                return node
        best, best_seqno = None, -2
        for node in self.nodes:
            if not node.initialised():
                continue
            position = node.recover_position()
            seqno = int(position.rsplit(":", 1)[1]) if position else -1
            if seqno > best_seqno:
                best, best_seqno = node, seqno
        if best is None:
            raise ClusterError("no Galera node has data to bootstrap from")
        best.mark_safe_to_bootstrap()
        return best

    def _position(self, node: GaleraNode) -> str | None:
        # A node that crashed has seqno -1 in grastate.dat: InnoDB knows the real one.
        if node.initialised() and node.grastate().get("seqno", "-1") == "-1":
            return node.recover_position()
        return None

    def _spawn(self, node: GaleraNode, *, bootstrap: bool, position: str | None) -> None:
        log = open(node.rundir / "stdout.log", "ab")  # noqa: SIM115 (the child keeps it)
        with log:
            process = subprocess.Popen(node.command(bootstrap=bootstrap, position=position),
                                       stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        node.process = Managed(node.name, process)

    def kill(self, number: int) -> None:
        """SIGKILL one node, as a machine that loses power."""
        node = self.node(number)
        if node.process is not None:
            node.process.send(signal.SIGKILL)
            node.process.process.wait()

    def restart(self, number: int, *, wait: bool = True) -> None:
        """Start a stopped or killed node again: recover its position, rejoin (IST)."""
        node = self.node(number)
        if node.process is not None and node.process.alive():
            raise ClusterError(f"{node.name} is still running")
        self._spawn(node, bootstrap=False, position=self._position(node))
        if wait:
            node.wait_synced()

    def stop(self) -> None:
        """Stop the joiners, then the bootstrap node last (it stays safe_to_bootstrap)."""
        for node in reversed(self.nodes):
            if node.process is not None:
                node.process.stop(signal.SIGTERM, timeout=60)

    def dead(self) -> list[str]:
        return [node.name for node in self.nodes
                if node.process is not None and not node.process.alive()]
