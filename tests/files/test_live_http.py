"""The files endpoints behind a real gunicorn: its file wrapper, sendfile and body limits."""

from __future__ import annotations

import hashlib

import pytest
import requests

from tests.factories import image_bytes

pytestmark = [pytest.mark.all_storage_backends, pytest.mark.live]

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4096 + b"\n%%EOF\n"  # 1 MiB


@pytest.fixture
def server(live_server, app_config):
    """One gunicorn worker with this test's storage backend, shared by the module's tests."""
    keys = ("STORAGE_BACKEND", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION",
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    env = {key: str(app_config[key]) for key in keys if app_config.get(key)}
    # Nothing stays behind in the worker (no limits, no output to read), and the bucket of
    # this pytest process is the same for every s3 test: one server per backend.
    return live_server(workers=1, shared=True,
                       env={**env, "MAX_CONTENT_LENGTH": str(2 * 1024 * 1024)})


def test_upload_download_range_304_and_inline_over_real_http(server, user, auth_headers):
    headers = auth_headers(user)

    created = requests.post(f"{server.url}/api/v1/files", headers=headers, timeout=30,
                            files={"file": ("report.pdf", PDF, "image/png")})
    assert created.status_code == 201, created.text
    url = f"{server.url}{created.json()['url']}"

    whole = requests.get(url, headers=headers, timeout=30)
    assert whole.status_code == 200
    assert whole.content == PDF
    assert whole.headers["Content-Length"] == str(len(PDF))
    assert whole.headers["Content-Type"] == "application/pdf"
    assert whole.headers["ETag"] == f'"{hashlib.sha256(PDF).hexdigest()}"'

    part = requests.get(url, headers={**headers, "Range": "bytes=500000-500099"}, timeout=30)
    assert part.status_code == 206
    assert part.content == PDF[500000:500100]

    cached = requests.get(url, headers={**headers, "If-None-Match": whole.headers["ETag"]},
                          timeout=30)
    assert cached.status_code == 304
    assert cached.content == b""

    image = image_bytes("WEBP")
    created = requests.post(f"{server.url}/api/v1/files", headers=headers, timeout=30,
                            files={"file": ("pic.webp", image)}).json()
    shown = requests.get(f"{server.url}{created['url']}", headers=headers, timeout=30)
    assert shown.content == image
    assert shown.headers["Content-Disposition"] == "inline; filename=pic.webp"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"


def test_body_over_the_limit_is_a_413_problem_over_real_http(server, user, auth_headers):
    response = requests.post(f"{server.url}/api/v1/files", headers=auth_headers(user),
                             timeout=30, files={"file": ("big.pdf", PDF * 3)})

    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 413


@pytest.mark.parametrize("storage_backend", ["local"])
def test_concurrent_image_replacements_leave_one_image_and_no_stray_bytes(
        live_server, user, auth_headers, db, db_kind, blobs, storage_backend):
    from concurrent.futures import ThreadPoolExecutor

    from app.files.models import File
    from app.users.models import User

    server = live_server(workers=4)
    headers = auth_headers(user)

    def replace(number: int) -> int:
        data = image_bytes("PNG", color=(number * 40, 10, 10))
        return requests.patch(f"{server.url}/api/v1/auth/me", headers=headers, timeout=30,
                              files={"profile_image": (f"{number}.png", data)}).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(replace, range(6)))

    assert statuses == [200] * 6
    db.session.rollback()  # a new transaction: MariaDB's snapshot would hide the server's work
    current = db.session.get(User, user.id).profile_image_id
    rows = db.session.query(File).all()
    assert current in {row.id for row in rows}
    assert blobs() == {row.path for row in rows}  # every row has bytes, no bytes lack a row
    if db_kind == "mysql":
        # The account's row lock orders the replacements: only the last image is left.
        assert [row.id for row in rows] == [current]
