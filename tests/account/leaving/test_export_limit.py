"""GET /auth/me/export is rate limited per account (issue 20, #12)."""

from __future__ import annotations

import pytest

from app.settings import settings_of
from tests.helpers import assert_problem

EXPORT = "/api/v1/auth/me/export"


@pytest.fixture
def limited(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                      EXPORT_RATE_LIMIT="2 per hour")
    return app_config


def test_exports_beyond_the_limit_are_429_with_retry_after(limited, client, user, users,
                                                          auth_headers, upload):
    upload(user, b"some bytes", "notes.txt")
    for _ in range(2):
        assert client.get(EXPORT, headers=auth_headers(user)).status_code == 200

    refused = client.get(EXPORT, headers=auth_headers(user))

    body = assert_problem(refused, 429)
    assert "export" in body["detail"].lower()
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3601  # window end, rounded up
    # Per account: another user's export still goes through.
    assert client.get(EXPORT, headers=auth_headers(users.create())).status_code == 200


def test_the_default_allows_a_few_exports_an_hour(app):
    assert settings_of(app).ratelimit.export == "5 per hour"
