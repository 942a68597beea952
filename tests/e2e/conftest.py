"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

The browser itself, and the rule that CI must run these tests, are in tests/browser.py.
"""

from __future__ import annotations

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, SCREENS, require_browser

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "SCREENS", "require_browser"]


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
