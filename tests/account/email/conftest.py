"""Fixtures of the email flows: the received mail, and posts in every form encoding."""

from __future__ import annotations

import pytest

from tests.account.email.mailbox import Mailbox

PUBLIC_BASE_URL = "https://signet.example.test"
ENCODINGS = ("json", "form", "multipart")


@pytest.fixture
def app_config(app_config) -> dict:
    """Links are rooted at a base URL no request ever names as its Host."""
    return {**app_config, "PUBLIC_BASE_URL": PUBLIC_BASE_URL}


@pytest.fixture
def mailbox(app) -> Mailbox:
    """What the service delivered (file backend), read back as a mail client would."""
    return Mailbox(app)


def post(client, url: str, data: dict, encoding: str = "json", **kwargs):
    """POST `data` as JSON, urlencoded form or multipart form."""
    if encoding == "json":
        return client.post(url, json=data, **kwargs)
    if encoding == "form":
        return client.post(url, data=data, **kwargs)
    return client.post(url, data=data, content_type="multipart/form-data", **kwargs)


@pytest.fixture
def rate_limited(app_config) -> dict:
    """Small limits, switched on (request it before `app`/`client`)."""
    app_config.update(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
        PASSWORD_FORGOT_RATE_LIMIT="3 per minute",
        PASSWORD_FORGOT_ADDRESS_RATE_LIMIT="2 per minute",
        VERIFY_EMAIL_RESEND_RATE_LIMIT="2 per minute",
    )
    return app_config
