"""Device names for the profile's session list, from real User-Agent strings."""

from __future__ import annotations

import pytest

from app.web.devices import device_name


@pytest.mark.parametrize(("agent", "name"), [
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36", "Chrome 120 on Linux"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
     "Firefox 121 on Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Mobile Safari 17 on iOS"),
    ("curl/8.5.0", "curl 8"),
    ("x" * 255, "Unknown device"),
    ("", "Unknown device"),
    (None, "Unknown device"),
])
def test_device_name(agent, name):
    assert device_name(agent) == name
