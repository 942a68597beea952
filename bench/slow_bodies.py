"""One address trickles request bodies at `make cluster`'s nginx; another probes /healthz.

Issue 20, finding 2: 2,200 connections from one address, each posting `Content-Length:
1000` and sending a byte every 10 s (under client_body_timeout), took every
worker_connection of Debian's stock nginx.conf and every /healthz probe failed for 30 s.
This replays it on the loopback only: the slow connections from 127.0.0.1, the probes from
127.0.0.2 (another address to nginx: the loopback is a /8), for a bounded time.

    make cluster   # in another terminal (nginx on 127.0.0.1:8080)
    .venv/bin/python bench/slow_bodies.py [--connections 2200] [--seconds 30]

Prints the probes (count, failures, p50, p99 and max latency), what became of the slow
connections (held by nginx, refused with a status, closed without one, never connected)
and what nginx's error log gained meanwhile (refusals by zone, "worker_connections are
not enough"). Exits 1 when a probe failed or took 1 s or more.
"""

from __future__ import annotations

import argparse
import http.client
import resource
import selectors
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ERROR_LOG = ROOT / "instance" / "cluster" / "nginx" / "error.log"
LOG_MARKS = {
    "refused by limit_conn": "limiting connections by zone",
    "refused by limit_req": "limiting requests",
    "worker_connections are not enough": "worker_connections are not enough",
}
PROBE_BUDGET = 1.0  # seconds a probe may take


def raise_file_limit(needed: int) -> None:
    """Let this process hold `needed` sockets (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < needed:
        raise SystemExit(f"the hard limit of open files ({hard}) is below {needed}")


class Prober(threading.Thread):
    """GET /healthz from `source` every `every` seconds until stopped; keeps each result."""

    def __init__(self, port: int, source: str, every: float):
        super().__init__(daemon=True)
        self.port, self.source, self.every = port, source, every
        self.results: list[tuple[float, int | str]] = []  # (seconds, status or error)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=5, source_address=(self.source, 0))
            try:
                connection.request("GET", "/healthz", headers={"Connection": "close"})
                answer = connection.getresponse()
                answer.read()
                outcome: int | str = answer.status
            except OSError as error:
                outcome = type(error).__name__
            finally:
                connection.close()
            self.results.append((time.monotonic() - started, outcome))
            self.stop.wait(max(0.0, self.every - (time.monotonic() - started)))


class Trickler:
    """Slow connections from one address, each one body byte per `interval` seconds."""

    def __init__(self, port: int, source: str, path: str, interval: float):
        self.port, self.source, self.interval = port, source, interval
        self.head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n").encode()
        self.selector = selectors.DefaultSelector()
        self.held: set[socket.socket] = set()
        self.outcomes: Counter = Counter()
        self.most_held = 0

    def open(self, count: int, deadline: float) -> None:
        """Open `count` connections (fewer if `deadline` passes), each sending its header."""
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=5,
                                                source_address=(self.source, 0))
                sock.sendall(self.head + b"{")
            except OSError as error:
                self.outcomes[f"could not connect ({type(error).__name__})"] += 1
                continue
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ)
            self.held.add(sock)
            self.poll(0)

    def poll(self, timeout: float) -> None:
        """Note every connection nginx answered or closed."""
        for key, _ in self.selector.select(timeout):
            sock = key.fileobj
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if data.startswith(b"HTTP/"):
                status = data.split(b" ", 2)[1].decode()
                self.outcomes[f"refused with {status}"] += 1
            else:
                self.outcomes["closed by nginx without an answer"] += 1
            self.drop(sock)
        self.most_held = max(self.most_held, len(self.held))

    def drip(self) -> None:
        """One more body byte on every held connection."""
        for sock in list(self.held):
            try:
                sock.send(b" ")
            except OSError:
                self.outcomes["closed by nginx without an answer"] += 1
                self.drop(sock)

    def drop(self, sock: socket.socket) -> None:
        self.selector.unregister(sock)
        self.held.discard(sock)
        sock.close()

    def close(self) -> None:
        self.outcomes["still held at the end"] += len(self.held)
        for sock in list(self.held):
            self.drop(sock)
        self.selector.close()


def log_counts(path: Path, start: int) -> Counter:
    """What nginx's error log gained after byte `start`, by LOG_MARKS."""
    counts: Counter = Counter()
    if not path.exists():
        return counts
    with path.open("rb") as log:
        log.seek(start)
        for line in log.read().decode(errors="replace").splitlines():
            for name, mark in LOG_MARKS.items():
                counts[name] += mark in line
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080, help="nginx on 127.0.0.1 (8080)")
    parser.add_argument("--connections", type=int, default=2200)
    parser.add_argument("--seconds", type=float, default=30, help="length of the run")
    parser.add_argument("--interval", type=float, default=10, help="seconds between bytes")
    parser.add_argument("--path", default="/api/v1/files", help="where bodies go")
    parser.add_argument("--error-log", type=Path, default=ERROR_LOG)
    args = parser.parse_args()
    if not 1 <= args.connections <= 5000 or not 1 <= args.seconds <= 120:
        raise SystemExit("bounded on purpose: 1-5000 connections, 1-120 seconds")
    raise_file_limit(args.connections + 256)
    try:
        socket.create_connection(("127.0.0.1", args.port), timeout=2).close()
    except OSError:
        raise SystemExit(f"nothing answers on 127.0.0.1:{args.port}: start `make cluster` "
                         "first") from None

    log_start = args.error_log.stat().st_size if args.error_log.exists() else 0
    prober = Prober(args.port, "127.0.0.2", every=0.2)
    trickler = Trickler(args.port, "127.0.0.1", args.path, args.interval)
    started = time.monotonic()
    deadline = started + args.seconds
    prober.start()
    try:
        trickler.open(args.connections, deadline)
        opened_in = time.monotonic() - started
        next_drip = time.monotonic() + args.interval
        while (now := time.monotonic()) < deadline:
            if now >= next_drip:
                trickler.drip()
                next_drip += args.interval
            trickler.poll(min(0.5, deadline - now, max(0.0, next_drip - now)))
    finally:
        prober.stop.set()
        prober.join()
        trickler.close()
    time.sleep(0.5)  # nginx writes its last lines
    report(args, opened_in, prober.results, trickler, log_counts(args.error_log, log_start))
    slow_or_failed = [r for r in prober.results if r[1] != 200 or r[0] >= PROBE_BUDGET]
    return 1 if slow_or_failed or not prober.results else 0


def report(args, opened_in: float, probes: list, trickler: Trickler, log: Counter) -> None:
    """Print the figures of the run."""
    latencies = sorted(seconds for seconds, _ in probes)
    failed = [outcome for _, outcome in probes if outcome != 200]
    print(f"{args.connections} slow connections from 127.0.0.1 to {args.path} "
          f"(Content-Length: 1000, a byte every {args.interval:g} s) for {args.seconds:g} s; "
          f"opened in {opened_in:.1f} s")
    print(f"/healthz from 127.0.0.2: {len(probes)} probes, {len(failed)} failed "
          f"{dict(Counter(failed)) if failed else ''}".rstrip())
    if latencies:
        print(f"  latency p50 {statistics.median(latencies) * 1000:.1f} ms, "
              f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} ms, "
              f"max {latencies[-1] * 1000:.1f} ms; "
              f"{sum(s >= PROBE_BUDGET for s in latencies)} took {PROBE_BUDGET:g} s or more")
    print(f"slow connections (most held open by nginx at once: {trickler.most_held}):")
    for outcome, count in sorted(trickler.outcomes.items()):
        print(f"  {outcome:<40}{count:>6}")
    print(f"nginx error log during the run ({args.error_log}):")
    for name in LOG_MARKS:
        print(f"  {name:<40}{log[name]:>6}")


if __name__ == "__main__":
    sys.exit(main())
