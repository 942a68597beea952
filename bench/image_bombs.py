"""Send image bombs as profile images and print each one's status, time and memory cost.

    .venv/bin/python bench/image_bombs.py

Starts its own gunicorn (one sync worker) on a throw-away SQLite database, registers one
account per image through POST /auth/register, and prints for each image the status,
the wall time and the worker's peak RSS rise (VmHWM reset through /proc/<pid>/clear_refs
before each request). The bombs of issues 13 and 20 (a progressive JPEG of thousands of
empty scans, a GIF whose later frames grow its 1x1 canvas) must be 422 in well under a
second with no real memory growth; the "worst under the limits" rows are the most
expensive images the default limits let through (16 Mpx in one frame, or in 100 frames),
which bound what one upload can cost a worker. The baseline is a 64x64 PNG avatar sent
in the same run.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.upload_memory import reset_peak, status_kib, worker_pids  # noqa: E402
from tests.factories import (  # noqa: E402
    canvas_growth_gif,
    image_bytes,
    lossless_webp_bomb,
    many_frame_gif,
    png_bomb,
    progressive_jpeg_scan_bomb,
)
from tests.live_server import LiveServer  # noqa: E402

BIN = Path(sys.executable).parent


def animation(frames: int, side: int) -> bytes:
    """A GIF of `frames` distinct frames of side x side pixels."""
    images = [Image.new("RGB", (side, side), (i * 37 % 256, i * 91 % 256, 0))
              for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=40)
    return out.getvalue()


def images() -> list[tuple[str, bytes]]:
    """(label, bytes) in the order they are sent; the baseline first."""
    return [
        ("baseline: 64x64 PNG avatar", image_bytes("PNG", (64, 64))),
        ("bomb: GIF, 349,000 frames of 1x1", many_frame_gif(349_000)),
        ("bomb: lossless WebP 6300x6300", lossless_webp_bomb(6300)),
        ("bomb: PNG 30000x30000 (1-bit)", png_bomb(30000, 30000)),
        ("bomb: JPEG 4000x4000, 18,000 empty scans", progressive_jpeg_scan_bomb(
            4000, extra_scans=18_000)),
        ("bomb: GIF 1x1, then 2 frames of 9400x9400", canvas_growth_gif(9400)),
        ("worst under the limits: WebP 4000x4000", lossless_webp_bomb(4000)),
        ("worst under the limits: GIF 100x400x400", animation(100, 400)),
    ]


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="signet-bombs-"))
    env = {**os.environ, "APP_ENV": "testing", "FLASK_APP": "wsgi.py",
           "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
           "UPLOAD_FOLDER": str(work / "uploads"), "RATELIMIT_ENABLED": "false"}
    server: LiveServer | None = None
    rows = []
    try:
        subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        server = LiveServer(env, workers=1).start(timeout=30)
        [worker] = worker_pids(server.process.pid)
        for index, (label, data) in enumerate(images()):
            before = reset_peak(worker)
            started = time.monotonic()
            response = requests.post(
                f"{server.url}/api/v1/auth/register", timeout=120,
                data={"name": "Bench", "email": f"bench{index}@example.com",
                      "password": "bench-password-123"},
                files={"profile_image": ("image", data)})
            seconds = time.monotonic() - started
            rise = status_kib(worker, "VmHWM") - before
            rows.append((label, len(data), response.status_code, seconds, rise))
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    print("one sync gunicorn worker; default limits (16 Mpx a frame, 100 frames, "
          "16 Mpx in all, 16 scans, 1 s decode)")
    print(f"{'image':44} {'bytes':>9} {'status':>6} {'wall s':>7} {'peak RSS rise MiB':>18}")
    for label, size, status, seconds, rise in rows:
        print(f"{label:44} {size:9d} {status:6d} {seconds:7.3f} {rise / 1024:18.1f}")
    bombs_ok = all(status == 422 for label, _s, status, _t, _r in rows
                   if label.startswith("bomb"))
    return 0 if bombs_ok else 1


if __name__ == "__main__":
    sys.exit(main())
