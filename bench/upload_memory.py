"""Measure a gunicorn worker's peak RSS while it takes a 200 MiB upload and serves it back.

    .venv/bin/python bench/upload_memory.py [--size-mib 200] [--backend local|s3]

Starts its own gunicorn (one sync worker) on a throw-away SQLite database and upload
folder (s3: a moto server), resets the worker's peak RSS (VmHWM) before each transfer
through /proc/<pid>/clear_refs, and prints how much the peak rose, with the transfer's
time and MiB/s next to a baseline from the same run (requests/s and median latency of 50
one-line uploads and downloads, in sequence on one connection). The target is a rise
below 32 MiB for each of the upload and the download. Exit status 1 when it is missed.
Not part of the test suite: it moves 400 MiB and takes a while.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live_server import LiveServer, free_port  # noqa: E402

BIN = Path(sys.executable).parent
MIB = 1024 * 1024
TARGET_MIB = 32
SMALL_REQUESTS = 50
PASSWORD = "upload-memory-run-7"  # noqa: S105 - a throw-away account in a temp database
FAKE_AWS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}  # moto's
LINE = b"Signet upload memory bench: plain UTF-8 text, judged from every byte.\n"


def wait_for(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args[0]} exited with {process.returncode}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in {timeout}s")


def status_kib(pid: int, field: str) -> int:
    """A `VmHWM`/`VmRSS` line of /proc/<pid>/status, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> int:
    """Reset the peak RSS to the current RSS (Linux: clear_refs 5) and return it, KiB."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return status_kib(pid, "VmHWM")


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


class MultipartFile:
    """A multipart/form-data body streamed from a file on disk (the client stays small)."""

    boundary = "signet-bench-boundary"

    def __init__(self, path: Path, field: str = "file"):
        self.head = (f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
                     f"filename=\"{path.name}\"\r\nContent-Type: text/plain\r\n\r\n").encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.size = path.stat().st_size
        self.file = path.open("rb")
        self.parts = [self.head, None, self.tail]

    def __len__(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    def read(self, size: int = -1) -> bytes:
        while self.parts:
            part = self.parts[0]
            if part is None:
                data = self.file.read(size if size and size > 0 else MIB)
                if data:
                    return data
                self.parts.pop(0)
                continue
            self.parts.pop(0)
            return part
        return b""


def small_transfers(base: str, auth: dict, kind: str) -> tuple[float, float]:
    """Baseline from the same run: SMALL_REQUESTS one-line uploads or downloads in a row.

    Returns (requests per second, median latency in ms).
    """
    with requests.Session() as session:
        session.headers.update(auth)
        url = base + session.post(f"{base}/api/v1/files", timeout=30, files={
            "file": ("small.txt", LINE)}).json()["url"]
        times = []
        for _ in range(SMALL_REQUESTS):
            started = time.perf_counter()
            if kind == "upload":
                response = session.post(f"{base}/api/v1/files", timeout=30,
                                        files={"file": ("small.txt", LINE)})
            else:
                response = session.get(url, timeout=30)
            response.raise_for_status()
            times.append(time.perf_counter() - started)
    return len(times) / sum(times), statistics.median(times) * 1000


def make_payload(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    block = LINE * (MIB // len(LINE))
    written = 0
    with path.open("wb") as out:
        while written < size:
            chunk = block[: size - written]
            out.write(chunk)
            digest.update(chunk)
            written += len(chunk)
    return digest.hexdigest()


def start_moto(env: dict) -> tuple[subprocess.Popen, str]:
    import boto3

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(url, process)
    boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                 **FAKE_AWS).create_bucket(Bucket="signet-bench")
    env.update(STORAGE_BACKEND="s3", S3_BUCKET="signet-bench", S3_ENDPOINT_URL=url,
               S3_REGION="us-east-1", AWS_ACCESS_KEY_ID=FAKE_AWS["aws_access_key_id"],
               AWS_SECRET_ACCESS_KEY=FAKE_AWS["aws_secret_access_key"])
    return process, url


def bench_env(work: Path, *, max_body: int, timeout: int) -> dict:
    """The service's settings for a bench: a throw-away SQLite database and upload folder."""
    return {**os.environ, "APP_ENV": "testing", "FLASK_APP": "wsgi.py",
            "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
            "UPLOAD_FOLDER": str(work / "uploads"), "MAX_CONTENT_LENGTH": str(max_body),
            "RATELIMIT_ENABLED": "false", "GUNICORN_TIMEOUT": str(timeout)}


def prepare_service(env: dict, backend: str, helpers: list[subprocess.Popen]) -> None:
    """Start moto for s3 (added to `helpers`), migrate, and create the bench admin."""
    if backend == "s3":
        helpers.append(start_moto(env)[0])
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([str(BIN / "flask"), "users", "create-admin", "--name", "Bench",
                    "--email", "bench@example.com", "--password", PASSWORD],
                   cwd=ROOT, env=env, check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=200)
    parser.add_argument("--backend", choices=("local", "s3"), default="local")
    args = parser.parse_args()
    size = args.size_mib * MIB
    work = Path(tempfile.mkdtemp(prefix="signet-bench-"))
    env = bench_env(work, max_body=size + MIB, timeout=300)
    helpers: list[subprocess.Popen] = []
    server: LiveServer | None = None
    try:
        prepare_service(env, args.backend, helpers)
        payload = work / "payload.txt"
        checksum = make_payload(payload, size)
        server = LiveServer(env, workers=1).start(timeout=30)
        base = server.url
        [worker] = worker_pids(server.process.pid)
        token = requests.post(f"{base}/api/v1/auth/login", timeout=30, json={
            "email": "bench@example.com", "password": PASSWORD}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        # Warm up: imports and first-request caches are not what we measure.
        small = requests.post(f"{base}/api/v1/files", headers=auth, timeout=30,
                              files={"file": ("warm.txt", b"warm up\n")}).json()
        requests.get(f"{base}{small['url']}", headers=auth, timeout=30).raise_for_status()
        small_rates = {kind: small_transfers(base, auth, kind) for kind in ("upload", "download")}

        baseline = before = reset_peak(worker)
        started = time.monotonic()
        body = MultipartFile(payload)
        response = requests.post(f"{base}/api/v1/files", data=body, timeout=600, headers={
            **auth, "Content-Type": f"multipart/form-data; boundary={body.boundary}"})
        upload_seconds = time.monotonic() - started
        if response.status_code != 201:
            raise SystemExit(f"upload answered {response.status_code}: {response.text}")
        upload_rise = status_kib(worker, "VmHWM") - before
        uploaded = response.json()
        assert uploaded["size"] == size and uploaded["type"] == "text/plain", uploaded

        before = reset_peak(worker)
        started = time.monotonic()
        digest, received = hashlib.sha256(), 0
        with requests.get(f"{base}{uploaded['url']}", headers=auth, stream=True,
                          timeout=600) as download:
            download.raise_for_status()
            for chunk in download.iter_content(MIB):
                digest.update(chunk)
                received += len(chunk)
        download_seconds = time.monotonic() - started
        download_rise = status_kib(worker, "VmHWM") - before
        assert received == size and digest.hexdigest() == checksum, "download differs"
    finally:
        if server is not None:
            server.stop()
        for process in reversed(helpers):
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    print(f"backend {args.backend}, payload {args.size_mib} MiB, one sync gunicorn worker")
    print(f"worker RSS after warm-up, before the upload: {baseline / 1024:.1f} MiB")
    for name, rise, seconds in (("upload", upload_rise, upload_seconds),
                                ("download", download_rise, download_seconds)):
        verdict = "ok" if rise < TARGET_MIB * 1024 else "OVER TARGET"
        rps, p50 = small_rates[name]
        print(f"{name:8} peak RSS rise {rise / 1024:7.1f} MiB in {seconds:5.1f} s "
              f"({args.size_mib / max(seconds, 1e-9):7.1f} MiB/s; target < {TARGET_MIB} MiB: "
              f"{verdict}); baseline {SMALL_REQUESTS} small {name}s: {rps:.1f} req/s, "
              f"p50 {p50:.1f} ms")
    return 0 if max(upload_rise, download_rise) < TARGET_MIB * 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
