"""A stranger cannot lock the owner out; IPv6 addresses count per /64 (issue 20, #5)."""

from __future__ import annotations

import pytest

from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem

LOGIN = "/api/v1/auth/login"
# The documented names: API clients keep the cookie or send its value in the header.
COOKIE, HEADER = "signet_device", "X-Signet-Device"
# Documentation addresses (RFC 5737, RFC 3849): only ever in the test client's environ.
STRANGERS = ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
OWNER_HOME, OWNER_TRAVELLING = "198.51.100.7", "203.0.113.9"


@pytest.fixture
def limited(app_config):
    """Three addresses' worth of failures fill the per-account ceiling."""
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                      LOGIN_RATE_LIMIT="100 per minute",
                      LOGIN_FAILURE_RATE_LIMIT="2 per 15 minutes",
                      LOGIN_ACCOUNT_FAILURE_CEILING="6 per 15 minutes")
    return app_config


HTML = {"Accept": "text/html"}


def login(client, email, password=DEFAULT_PASSWORD, *, ip, headers=None):
    """An API client's sign-in (JSON)."""
    return client.post(LOGIN, json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip}, headers=headers or {})


def browser_login(client, email, password=DEFAULT_PASSWORD, *, ip):
    """A browser's sign-in form (its cookie jar is the test client's)."""
    return client.post(LOGIN, data={"email": email, "password": password, "next": "/profile"},
                       environ_base={"REMOTE_ADDR": ip}, headers=HTML)


def lock_out(app, email) -> None:
    """A stranger, from several addresses, fills every per-account bucket."""
    stranger = app.test_client()
    for ip in STRANGERS:
        for _ in range(2):
            assert login(stranger, email, "wrong password", ip=ip).status_code == 401
    assert login(stranger, email, ip="192.0.2.200").status_code == 429


def test_a_known_browser_still_signs_in_after_strangers_fill_the_ceiling(limited, app,
                                                                        client, user):
    assert browser_login(client, user.email, ip=OWNER_HOME).status_code == 303
    assert client.get_cookie(COOKIE) is not None
    lock_out(app, user.email)

    # The owner's browser (its cookie jar), from an address never seen before.
    assert browser_login(client, user.email, ip=OWNER_TRAVELLING).status_code == 303
    # Again and again: nothing a stranger did holds it back.
    assert browser_login(client, user.email, ip=OWNER_TRAVELLING).status_code == 303
    assert client.get("/profile").status_code == 200


def test_a_fresh_device_is_still_held_back(limited, app, client, user):
    assert browser_login(client, user.email, ip=OWNER_HOME).status_code == 303
    lock_out(app, user.email)

    response = login(app.test_client(), user.email, ip=OWNER_TRAVELLING)

    body = assert_problem(response, 429)
    assert "for this account" in body["detail"]
    assert browser_login(app.test_client(), user.email, ip=OWNER_TRAVELLING).status_code == 429


def test_an_api_client_sends_back_the_device_header(limited, app, user):
    script = app.test_client(use_cookies=False)
    signed_in = login(script, user.email, ip=OWNER_HOME)
    token = signed_in.headers[HEADER]
    assert not signed_in.headers.getlist("Set-Cookie")  # no cookies for API clients
    lock_out(app, user.email)

    assert login(script, user.email, ip=OWNER_TRAVELLING,
                 headers={HEADER: token}).status_code == 200
    # As a cookie, it works too.
    assert login(script, user.email, ip=OWNER_TRAVELLING,
                 headers={"Cookie": f"{COOKIE}={token}"}).status_code == 200
    # Altered: not a known device.
    assert_problem(login(script, user.email, ip=OWNER_TRAVELLING,
                         headers={HEADER: token[:-2] + "xx"}), 429)


def test_another_accounts_device_token_does_not_help(limited, app, user, users):
    other = users.create()
    token = login(app.test_client(), other.email, ip=OWNER_HOME).headers[HEADER]
    lock_out(app, user.email)

    assert_problem(login(app.test_client(), user.email, ip=OWNER_TRAVELLING,
                         headers={HEADER: token}), 429)


def test_a_known_device_has_its_own_failure_limit(limited, app, user):
    token = login(app.test_client(), user.email, ip=OWNER_HOME).headers[HEADER]
    device = {HEADER: token}
    for _ in range(2):
        assert login(app.test_client(), user.email, "wrong password", ip=OWNER_HOME,
                     headers=device).status_code == 401

    body = assert_problem(login(app.test_client(), user.email, ip=OWNER_HOME,
                                headers=device), 429)

    assert "from this device" in body["detail"]


def test_the_device_cookie_is_http_only_and_names_no_email(limited, client, user):
    response = browser_login(client, user.email, ip=OWNER_HOME)

    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert user.email.split("@")[0] not in cookie.lower()


def test_a_failed_login_leaves_no_device_token(limited, client, user):
    response = login(client, user.email, "wrong password", ip=OWNER_HOME)
    assert HEADER not in response.headers
    browser_login(client, user.email, "wrong password", ip=OWNER_HOME)
    assert client.get_cookie(COOKIE) is None


# --- IPv6: one /64 is one client -----------------------------------------------------------

@pytest.fixture
def per_ip(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                      LOGIN_RATE_LIMIT="2 per minute")
    return app_config


def test_ipv6_addresses_of_one_64_share_one_bucket(per_ip, client, user):
    for ip in ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe"):
        assert login(client, user.email, ip=ip).status_code == 200

    assert_problem(login(client, user.email, ip="2001:db8:1:2:1234::9"), 429)
    # Another /64 is another client.
    assert login(client, user.email, ip="2001:db8:1:3::1").status_code == 200


def test_ipv6_lockout_per_account_and_address_covers_the_64(limited, app, user):
    stranger = app.test_client()
    for suffix in ("::1", "::2"):
        assert login(stranger, user.email, "wrong", ip="2001:db8:9:9" + suffix).status_code == 401

    assert_problem(login(stranger, user.email, "wrong", ip="2001:db8:9:9::3"), 429)


def test_an_ipv4_mapped_address_counts_as_the_ipv4_one(per_ip, client, user):
    for ip in ("192.0.2.50", "::ffff:192.0.2.50"):
        assert login(client, user.email, ip=ip).status_code == 200
    assert_problem(login(client, user.email, ip="192.0.2.50"), 429)
