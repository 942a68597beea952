"""Profile images that cost far more to decode than their size suggests (issues 13 and 20).

Every budget is judged before decoding: a bomb is a 422 on `profile_image`, and nothing
is stored. What is stored is at most 1024 px a side, animations keep their frames.
"""

from __future__ import annotations

import io
import threading
import time

import pytest
import requests
from PIL import Image

from app.settings import replace_settings
from tests.account.registration import URL, assert_nothing_stored, with_image
from tests.factories import (
    animated_bytes,
    canvas_growth_gif,
    image_bytes,
    lossless_webp_bomb,
    many_frame_gif,
    png_bomb,
    progressive_jpeg_scan_bomb,
)
from tests.helpers import assert_problem, stored_blobs

# Under PROFILE_IMAGE_MAX_BYTES (5 MiB) at 15 bytes a frame: the CPU bomb of issue 13.
BOMB_FRAMES = 340_000


@pytest.fixture(scope="module")
def gif_bomb() -> bytes:
    return many_frame_gif(BOMB_FRAMES)


@pytest.fixture(scope="module")
def webp_bomb() -> bytes:
    return lossless_webp_bomb(6300)


def _animation(fmt: str, frames: int, size=(8, 8)) -> bytes:
    images = [Image.new("RGB", size, (i * 37 % 256, i * 91 % 256, i * 53 % 256))
              for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format=fmt, save_all=True, append_images=images[1:], duration=40)
    return out.getvalue()


def _refused(client, data: bytes, message: str, upload_dir) -> None:
    response = client.post(URL, data=with_image(data, "bomb.img"),
                           content_type="multipart/form-data")
    body = assert_problem(response, 422)
    [reason] = body["errors"]["profile_image"]
    assert message in reason
    assert_nothing_stored(upload_dir)


def _peak_rss_mib() -> float:
    with open("/proc/self/status") as status:
        [line] = [line for line in status if line.startswith("VmHWM:")]
    return int(line.split()[1]) / 1024


def _refused_quickly(client, data: bytes, message: str, upload_dir, *,
                     seconds: float = 1.0, rss_mib: float = 40) -> None:
    """Refused within `seconds`, and this process's peak RSS rose by under `rss_mib`."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")  # peak RSS (VmHWM) starts again from the current RSS
    before = _peak_rss_mib()
    started = time.monotonic()
    _refused(client, data, message, upload_dir)
    assert time.monotonic() - started < seconds
    assert _peak_rss_mib() - before < rss_mib


def test_a_gif_of_340000_frames_is_refused_by_its_frame_count(client, upload_dir, gif_bomb):
    assert len(gif_bomb) < 5 * 1024 * 1024
    _refused(client, gif_bomb, "too many frames: at most 100", upload_dir)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_the_frame_limit_is_exact(client, upload_dir, fmt):
    _refused(client, _animation(fmt, 101), "too many frames", upload_dir)

    response = client.post(URL, data=with_image(_animation(fmt, 100)),
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    [blob] = stored_blobs(upload_dir)
    with Image.open(blob) as stored:
        assert stored.n_frames == 100


def test_a_tiny_lossless_webp_of_40_megapixels_is_refused_from_its_header(
        client, upload_dir, webp_bomb):
    assert len(webp_bomb) < 4096
    _refused(client, webp_bomb, "too large: at most 16000000 pixels", upload_dir)


def test_a_30000_px_png_is_refused_from_its_header(client, upload_dir):
    _refused(client, png_bomb(30000, 30000), "too large: at most 16000000 pixels", upload_dir)


def test_pixels_over_all_frames_are_bounded(app, client, upload_dir):
    replace_settings(app, PROFILE_IMAGE_MAX_TOTAL_PIXELS=10 * 8 * 8 - 1)
    _refused(client, _animation("GIF", 10), "at most 639 pixels in all frames", upload_dir)


def test_a_progressive_jpeg_of_many_scans_is_refused_before_decoding(client, upload_dir):
    # 4000 x 4000 and 100 empty scans more than Pillow wrote: 3 kB more, ~3 s more decoding.
    bomb = progressive_jpeg_scan_bomb(4000, extra_scans=100)
    _refused_quickly(client, bomb, "too many progressive scans: at most 16", upload_dir)


def test_the_scan_limit_is_exact(client, upload_dir):
    # Pillow writes 6 scans for a grey progressive JPEG: 10 more are 16 in all.
    _refused(client, progressive_jpeg_scan_bomb(64, extra_scans=11), "too many progressive",
             upload_dir)

    response = client.post(URL, data=with_image(progressive_jpeg_scan_bomb(64, extra_scans=10)),
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)


def test_one_frame_decodes_under_the_deadline_too(app, client, upload_dir):
    # The scan limit out of the way, the deadline alone stops the decode mid-frame (on
    # main a single frame had no deadline: this took about 10 s, then 201).
    replace_settings(app, PROFILE_IMAGE_MAX_SCANS=100_000, PROFILE_IMAGE_DECODE_SECONDS=0.3)
    bomb = progressive_jpeg_scan_bomb(4000, extra_scans=300)
    _refused_quickly(client, bomb, "takes too long to decode", upload_dir, seconds=1.5)


def test_a_gif_whose_later_frames_grow_the_canvas_is_refused(client, upload_dir):
    # Screen and first frame 1 x 1, then two frames of 9400 x 9400: 5.5 times the budget.
    _refused_quickly(client, canvas_growth_gif(9400), "too large: at most 16000000 pixels",
                     upload_dir)


def test_canvas_growth_counts_against_all_frames(app, client, upload_dir):
    # Each grown frame is within the per-frame budget; together they are not.
    replace_settings(app, PROFILE_IMAGE_MAX_TOTAL_PIXELS=3 * 100 * 100)
    _refused(client, canvas_growth_gif(100, frames=3), "pixels in all frames", upload_dir)


def test_decoding_past_the_deadline_is_refused(app, client, upload_dir):
    replace_settings(app, PROFILE_IMAGE_DECODE_SECONDS=0)
    _refused(client, animated_bytes("GIF", 3), "takes too long to decode", upload_dir)


@pytest.mark.parametrize(("fmt", "size", "stored_size"), [
    ("PNG", (2048, 1536), (1024, 768)),
    ("JPEG", (1500, 3000), (512, 1024)),
    ("WEBP", (1024, 10), (1024, 10)),
])
def test_the_stored_image_is_at_most_1024_px_a_side(client, upload_dir, fmt, size,
                                                    stored_size):
    response = client.post(URL, data=with_image(image_bytes(fmt, size)),
                           content_type="multipart/form-data")

    assert response.status_code == 201
    [blob] = stored_blobs(upload_dir)
    with Image.open(blob) as stored:
        assert (stored.format, stored.size) == (fmt, stored_size)


def test_a_large_animation_keeps_every_frame_downscaled(client, upload_dir):
    response = client.post(URL, data=with_image(_animation("GIF", 3, (2000, 100))),
                           content_type="multipart/form-data")

    assert response.status_code == 201
    [blob] = stored_blobs(upload_dir)
    with Image.open(blob) as stored:
        assert (stored.n_frames, stored.size) == (3, (1024, 51))


def test_patch_me_refuses_the_bomb_too(client, user, auth_headers, upload_dir, gif_bomb):
    response = client.patch("/api/v1/auth/me", headers=auth_headers(user),
                            data={"profile_image": (io.BytesIO(gif_bomb), "a.gif")},
                            content_type="multipart/form-data")

    body = assert_problem(response, 422)
    assert "too many frames" in body["errors"]["profile_image"][0]
    assert stored_blobs(upload_dir) == []


@pytest.mark.live
def test_four_bombs_in_parallel_leave_healthz_answering(live_server, gif_bomb, webp_bomb):
    server = live_server(workers=4)
    bombs = [gif_bomb, webp_bomb, gif_bomb, png_bomb(30000, 30000)]
    statuses: list[int] = []

    def upload(index: int, data: bytes) -> None:
        form = {"name": "Bomb", "email": f"bomb{index}@example.com",
                "password": "enigma-machine"}
        answer = requests.post(f"{server.url}{URL}", data=form, timeout=60,
                               files={"profile_image": ("bomb.img", data)})
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=upload, args=item) for item in enumerate(bombs)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # every worker has a bomb in hand (on main they held it for 30 s)
    health = requests.get(f"{server.url}/healthz", timeout=1)
    for thread in threads:
        thread.join()

    assert health.status_code == 200
    assert statuses == [422] * 4
