"""Every module that starts a server or a browser carries the marker `make test-fast` skips."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# What starting a server or a browser looks like in a test module.
STARTS_SERVER = re.compile(
    r"(?<![.\w])live_server\b|\bLiveServer\(|\bsubprocess\.Popen\(|\brunning_nginx\(")
DRIVES_BROWSER = re.compile(r"\bbrowser_page\b|\bsync_playwright\b")
LIVE_MARK = re.compile(r"pytest\.mark\.(live|cluster)\b")
BROWSER_MARK = re.compile(r"pytest\.mark\.browser\b")


def modules() -> list[Path]:
    return sorted(TESTS.rglob("test_*.py"))


def unmarked(pattern: re.Pattern, mark: re.Pattern) -> list[str]:
    return [str(path.relative_to(TESTS)) for path in modules()
            if path.name != "test_markers.py"
            and pattern.search(path.read_text()) and not mark.search(path.read_text())]


def test_modules_that_start_a_server_are_marked_live():
    assert not unmarked(STARTS_SERVER, LIVE_MARK), "mark these (or their tests) live"


def test_modules_that_drive_chromium_are_marked_browser():
    assert not unmarked(DRIVES_BROWSER, BROWSER_MARK), "mark these browser"


def test_the_check_sees_the_modules_known_to_start_gunicorn():
    # The patterns above must keep matching what these modules do.
    starting = {str(path.relative_to(TESTS)) for path in modules()
                if STARTS_SERVER.search(path.read_text())}
    assert {"test_gunicorn_conf.py", "auth/test_multi_worker.py",
            "deploy/test_nginx_config.py", "deploy/test_nginx_limits.py"} <= starting


def test_a_live_server_in_an_unmarked_test_is_refused(live_server):
    with pytest.raises(RuntimeError, match=r"mark it .*pytest\.mark\.live"):
        live_server(workers=1)
