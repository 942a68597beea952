"""The cluster's child processes: each in a process group of its own, stopped gracefully."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class ClusterError(RuntimeError):
    """A part of the cluster could not be started; the message says which."""


@dataclass
class Managed:
    """One child process of the cluster."""

    name: str
    process: subprocess.Popen
    url: str | None = None

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    def send(self, signum: int) -> None:
        """Send `signum` to the process and everything it started (its process group)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 35) -> None:
        """Stop gracefully with `signum`; kill what is left after `timeout` seconds."""
        self.send(signum)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.send(signal.SIGKILL)
            self.process.wait()


def port_in_use(port: int) -> bool:
    """True when something listens on 127.0.0.1:`port` (a health check would ask it)."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_healthy(url: str, process: Managed, timeout: float = 60) -> None:
    """Wait until `url` answers 200, or fail naming the process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise ClusterError(f"{process.name} exited with {process.process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (our URL)
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.1)
    raise ClusterError(f"{process.name} did not answer {url} within {timeout:.0f} s")


def run_in_foreground(start: Callable[[], Any], *, command: str,
                      describe: Callable[[Any], str]) -> int:
    """Start a topology, say where it is, and hold it until Ctrl-C, SIGTERM or a part exits.

    `start()` returns the topology (a context manager with `dead()`); `describe` names its
    addresses; `command` (`make cluster`) prefixes an error that stopped it.
    """
    # Started in the background by a script, SIGINT may arrive ignored: take it back.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        with start() as topology:
            print(f"{describe(topology)} Ctrl-C stops everything.", flush=True)
            while not (dead := topology.dead()):
                time.sleep(0.5)
            print(f"stopping: {', '.join(dead)} exited", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
        return 0
    except ClusterError as error:
        print(f"{command}: {error}", file=sys.stderr)
        return 1
