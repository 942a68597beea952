"""Fixtures for the tests that run a real nginx: found, or skipped (failed under CI)."""

from __future__ import annotations

import os

import pytest

from deploy.nginx import find_nginx


@pytest.fixture(scope="session")
def nginx() -> str:
    """The nginx executable. Missing: a skip with the reason, or a failure under CI=true."""
    found = find_nginx()
    if found is None:
        message = "nginx is not installed (apt-get install -y nginx)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI requires it, so this test cannot be skipped.")
        pytest.skip(f"{message}, so the tests behind nginx did not run.")
    return found
