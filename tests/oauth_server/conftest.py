"""A real HTTP provider for the relying-party tests: the test app on a threaded server.

In-process (werkzeug's threaded server on a free port), so a test can rotate the signing
keys of app.keys between two requests. PUBLIC_BASE_URL is the server's own URL,
so the issuer relying parties expect is the one they talk to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests
from werkzeug.serving import make_server

from app.settings import replace_settings
from tests import live_server


@pytest.fixture
def app_config(app_config):
    """Keys re-read on every use, so a rotation a test makes counts at once (production:
    within SIGNING_KEY_REFRESH_SECONDS; tests/keys cover that)."""
    return {**app_config, "SIGNING_KEY_REFRESH_SECONDS": 0}


@pytest.fixture
def provider(app) -> Iterator[str]:
    """The provider's base URL (a threaded server for this test only)."""
    if not live_server.MARKED_LIVE:
        raise RuntimeError("this test starts a server: mark it @pytest.mark.live")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    replace_settings(app, PUBLIC_BASE_URL=url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(f"{url}/.well-known/openid-configuration", timeout=5).ok:
                break
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the provider did not answer within 20 s")
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)
