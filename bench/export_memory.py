"""Measure a gunicorn worker's peak RSS while it streams a 500 MiB account export.

    .venv/bin/python bench/export_memory.py [--size-mib 500] [--files 5] [--backend local|s3]

Starts its own gunicorn (one sync worker) on a throw-away SQLite database and upload
folder (s3: a moto server), uploads `--files` files totalling `--size-mib` for one user,
resets the worker's peak RSS (VmHWM) through /proc/<pid>/clear_refs and downloads
GET /api/v1/auth/me/export, printing how much the peak rose and the transfer's time and
MiB/s next to a baseline from the same run (the export of a user with one small file).
The uploads go through a first server; the export is measured on a fresh worker, whose
heap has not been grown by upload buffers already.
The ZIP is saved and every entry checked against the uploads' SHA-256. The target is a
rise below 32 MiB. Exit status 1 when it is missed. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.upload_memory import (  # noqa: E402 - the same probes as the upload bench
    MIB,
    PASSWORD,
    TARGET_MIB,
    MultipartFile,
    bench_env,
    make_payload,
    prepare_service,
    reset_peak,
    status_kib,
    worker_pids,
)
from tests.live_server import LiveServer  # noqa: E402

SMALL_EMAIL = "small@example.com"


def login(base: str, email: str) -> dict:
    token = requests.post(f"{base}/api/v1/auth/login", timeout=30, json={
        "email": email, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def upload(base: str, auth: dict, path: Path) -> dict:
    body = MultipartFile(path)
    response = requests.post(f"{base}/api/v1/files", data=body, timeout=600, headers={
        **auth, "Content-Type": f"multipart/form-data; boundary={body.boundary}"})
    if response.status_code != 201:
        raise SystemExit(f"upload answered {response.status_code}: {response.text}")
    return response.json()


def export(base: str, auth: dict, worker: int, target: Path) -> tuple[int, float, int]:
    """Download the export to `target`; return (peak RSS rise KiB, seconds, bytes)."""
    before = reset_peak(worker)
    started = time.monotonic()
    received = 0
    with requests.get(f"{base}/api/v1/auth/me/export", headers=auth, stream=True,
                      timeout=600) as response, target.open("wb") as out:
        response.raise_for_status()
        for chunk in response.iter_content(MIB):
            out.write(chunk)
            received += len(chunk)
    return status_kib(worker, "VmHWM") - before, time.monotonic() - started, received


def check_archive(path: Path, expected: dict[str, str]) -> None:
    """Every uploaded file is in the ZIP with the same SHA-256."""
    with zipfile.ZipFile(path) as archive:
        for name, checksum in expected.items():
            digest = hashlib.sha256()
            with archive.open(name) as entry:
                while chunk := entry.read(MIB):
                    digest.update(chunk)
            assert digest.hexdigest() == checksum, f"{name} differs in the export"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=500)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--backend", choices=("local", "s3"), default="local")
    args = parser.parse_args()
    file_size = args.size_mib * MIB // args.files
    work = Path(tempfile.mkdtemp(prefix="signet-bench-"))
    env = bench_env(work, max_body=file_size + MIB, timeout=600)
    helpers: list[subprocess.Popen] = []
    server: LiveServer | None = None
    try:
        prepare_service(env, args.backend, helpers)
        payload = work / "payload.txt"
        checksum = make_payload(payload, file_size)
        small = work / "small.txt"
        small_checksum = make_payload(small, 1024)
        # The uploads run on a first server: its worker's heap grows with upload buffers
        # that would hide what the export allocates. The export runs on a fresh one.
        server = LiveServer(env, workers=1).start(timeout=30)
        auth = login(server.url, "bench@example.com")
        requests.post(f"{server.url}/api/v1/auth/register", headers=auth, timeout=30, json={
            "name": "Small", "email": SMALL_EMAIL, "password": PASSWORD}).raise_for_status()
        first = upload(server.url, login(server.url, SMALL_EMAIL), small)
        baseline_expected = {f"files/{first['id']}-{first['originalName']}": small_checksum}
        expected = {}
        for _ in range(args.files):
            stored = upload(server.url, auth, payload)
            expected[f"files/{stored['id']}-{stored['originalName']}"] = checksum
        server.stop()

        server = LiveServer(env, workers=1).start(timeout=30)
        [worker] = worker_pids(server.process.pid)
        # Baseline (and warm-up): the export of a user holding one small 1 KiB file.
        baseline = export(server.url, login(server.url, SMALL_EMAIL), worker,
                          work / "baseline.zip")
        check_archive(work / "baseline.zip", baseline_expected)
        rss_before = status_kib(worker, "VmRSS")
        rise, seconds, received = export(server.url, login(server.url, "bench@example.com"),
                                         worker, work / "export.zip")
        check_archive(work / "export.zip", expected)
    finally:
        if server is not None:
            server.stop()
        for process in reversed(helpers):
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    verdict = "ok" if rise < TARGET_MIB * 1024 else "OVER TARGET"
    print(f"backend {args.backend}, {args.files} files of {file_size / MIB:.0f} MiB, "
          f"one sync gunicorn worker")
    print(f"worker RSS before the export: {rss_before / 1024:.1f} MiB")
    print(f"export   peak RSS rise {rise / 1024:7.1f} MiB in {seconds:5.1f} s "
          f"({received / MIB / max(seconds, 1e-9):7.1f} MiB/s, {received / MIB:.0f} MiB "
          f"sent; target < {TARGET_MIB} MiB: {verdict})")
    print(f"baseline (one 1 KiB file): peak RSS rise {baseline[0] / 1024:.1f} MiB "
          f"in {baseline[1] * 1000:.0f} ms")
    return 0 if rise < TARGET_MIB * 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
