"""Twenty concurrent registrations of one email against gunicorn with four workers."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.factories import image_bytes
from tests.helpers import row_count, stored_blobs

pytestmark = pytest.mark.live

CONTENDERS = 20


def test_racing_registrations_of_one_email_give_one_201_and_no_orphans(app, live_server,
                                                                      upload_dir):
    server = live_server(workers=4)
    image = image_bytes("JPEG", (64, 64))
    start = threading.Barrier(CONTENDERS)

    def register(number: int) -> requests.Response:
        start.wait()  # all requests leave together
        return requests.post(
            f"{server.url}/api/v1/auth/register",
            data={"name": f"Racer {number}", "email": "Racer@Example.com",
                  "password": "same password for all"},
            files={"profile_image": (f"racer{number}.jpg", image, "image/jpeg")},
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=CONTENDERS) as pool:
        responses = list(pool.map(register, range(CONTENDERS)))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: CONTENDERS - 1}, statuses
    for response in responses:
        assert response.headers["Content-Type"].startswith(
            "application/json" if response.status_code == 201 else "application/problem+json")
    [winner] = [r.json() for r in responses if r.status_code == 201]
    assert winner["email"] == "racer@example.com"
    assert winner["createdBy"] == winner["id"]

    assert row_count("users") == 1
    assert row_count("files") == 1
    [blob] = stored_blobs(upload_dir)
    assert blob.suffix == ".jpg"
    assert str(winner["profileImageId"]) in winner["profileImageUrl"]
