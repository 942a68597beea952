"""Codes are ASCII: other digits are a wrong code (401, counted), never a 500 (issue 20, #8)."""

from __future__ import annotations

import pytest

from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem
from tests.mfa.helpers import CONFIRM, LOGIN_MFA, TOTP, enable_totp, mfa_token

# Six characters for which str.isdigit() is true, none of them ASCII.
NON_ASCII_CODES = [
    "١٢٣٤٥٦",  # Arabic-Indic digits
    "\uff11\uff12\uff13\uff14\uff15\uff16",  # full-width digits
    "۱۲۳۴۵۶",  # Extended Arabic-Indic (Persian) digits
    "¹²³⁴⁵⁶",  # superscripts
]


@pytest.fixture
def limited(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                      LOGIN_FAILURE_RATE_LIMIT="2 per minute")
    return app_config


@pytest.mark.parametrize("code", NON_ASCII_CODES)
def test_confirming_with_non_ascii_digits_is_a_wrong_code(limited, client, user, auth_headers,
                                                         code):
    headers = auth_headers(user)
    assert client.post(TOTP, json={"current_password": DEFAULT_PASSWORD},
                       headers=headers).status_code == 200

    for _ in range(2):
        assert_problem(client.post(CONFIRM, json={"code": code}, headers=headers), 401)
    # Both counted: the per-account allowance of wrong codes is spent.
    assert_problem(client.post(CONFIRM, json={"code": code}, headers=headers), 429)


@pytest.mark.parametrize("code", NON_ASCII_CODES)
def test_signing_in_with_non_ascii_digits_is_a_wrong_code(limited, client, user, auth_headers,
                                                         code):
    enable_totp(client, auth_headers(user))

    for _ in range(2):
        assert_problem(client.post(LOGIN_MFA, json={
            "mfa_token": mfa_token(client, user.email), "code": code}), 401)
    assert_problem(client.post(LOGIN_MFA, json={
        "mfa_token": mfa_token(client, user.email), "code": code}), 429)
