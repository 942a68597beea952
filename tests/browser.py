"""Debian's Chromium for every browser test: where it is, how it starts, one per process.

Playwright's sync API runs one event loop per thread: a second `sync_playwright()` in a
process whose first is still open fails ("using Playwright Sync API inside the asyncio
loop"). So the session's one Chromium lives here, and every package's browser tests
(tests/e2e, tests/federation, tests/oauth_server) share it through tests/conftest.py.
Without the browser these tests are skipped with the reason printed, except in CI
(CI=true), where a missing browser is a failure: the browser tests must run there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Every browser screenshot goes to one folder (artifacts/ is gitignored; CI lists it).
SCREENS = Path(__file__).resolve().parents[1] / "artifacts" / "screens"
# Headless and quiet: no GPU, no sandbox (CI runs as root), nothing phoned home. Host names
# other than 127.0.0.1 do not resolve, so the pages must work with no internet at all.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def _browser_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -r requirements-dev.txt)"
    return None


def require_browser() -> None:
    """Skip when the browser is missing, but fail under CI=true: CI must run these tests."""
    reason = _browser_missing_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests, but {reason}.")
        pytest.skip(f"browser test skipped: {reason}")


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium browser, shared by the session's browser tests."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """Where browser tests save screenshots: artifacts/screens/ (CI lists it)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS
