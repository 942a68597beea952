"""The cluster's child processes: each in a process group of its own, stopped gracefully."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass


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
