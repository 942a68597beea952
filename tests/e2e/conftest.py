"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Without the browser these tests are skipped with the reason printed, except in CI
(CI=true), where a missing browser is a failure: the browser tests must run there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Every browser screenshot goes to one folder (artifacts/ is gitignored; CI lists it).
SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
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


@pytest.fixture(scope="package")
def module_servers():
    """The shared gunicorns of the browser tests: one for the whole package, not a module.

    The pages' tests leave nothing behind in the server's processes, so the six modules
    of this package can share a server (each start costs seconds of CPU).
    """
    servers: dict = {}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def browser_page(chromium, live_server, app):
    """A fresh browser tab on a live gunicorn; fails the test on any off-site request.

    Depends on `app` so the rows the browser created are removed after the test.
    """
    server = live_server(workers=2, shared=True)  # the package's pages share one gunicorn
    context = chromium.new_context(base_url=server.url, viewport={"width": 1100, "height": 800})
    context.set_default_timeout(10_000)
    foreign: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(server.url):
            return route.continue_()
        foreign.append(route.request.url)
        return route.abort("internetdisconnected")

    context.route("**/*", only_this_server)
    page = context.new_page()
    yield page
    context.close()
    assert not foreign, f"the page tried to reach other hosts: {foreign}"


@pytest.fixture
def artifacts_dir() -> Path:
    """Where browser tests save screenshots: artifacts/screens/ (CI lists it)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS
