"""Key tests read the table on every call: no worker copy hides a change they made."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config(app_config):
    """Keys re-read on every use (production: every SIGNING_KEY_REFRESH_SECONDS)."""
    return {**app_config, "SIGNING_KEY_REFRESH_SECONDS": 0}
