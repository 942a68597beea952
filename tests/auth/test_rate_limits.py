"""Rate limits on login (per IP; failed logins per account), registration (per IP) and
profile images sent to PATCH /auth/me (per account and per IP)."""

from __future__ import annotations

import io

import pytest

from app.settings import replace_settings
from tests.factories import DEFAULT_PASSWORD, image_bytes
from tests.helpers import assert_problem

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"
# Documentation addresses (RFC 5737): only ever put in the test client's WSGI environ.
IP_A, IP_B, IP_C = "192.0.2.1", "198.51.100.2", "203.0.113.3"


@pytest.fixture
def limited_config(app_config):
    """Small limits, switched on (the test settings switch them off)."""
    app_config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        LOGIN_RATE_LIMIT="3 per minute",
        LOGIN_FAILURE_RATE_LIMIT="2 per minute",
        LOGIN_ACCOUNT_FAILURE_CEILING="5 per minute",
        REGISTRATION_RATE_LIMIT="2 per minute",
    )
    return app_config


def login(client, email: str, password: str = DEFAULT_PASSWORD, *, ip: str = IP_A,
          headers: dict | None = None):
    return client.post(LOGIN, json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip}, headers=headers or {})


def assert_rate_limited(response, wording: str) -> None:
    body = assert_problem(response, 429)
    assert wording in body["detail"]
    assert 1 <= int(response.headers["Retry-After"]) <= 61  # window end, rounded up


def test_limits_are_off_unless_enabled(client, user):
    for _ in range(15):
        assert login(client, user.email, "wrong password").status_code == 401
    assert login(client, user.email).status_code == 200


def test_login_is_limited_per_ip(limited_config, client, users):
    accounts = [users.create() for _ in range(4)]
    for account in accounts[:3]:
        assert login(client, account.email).status_code == 200

    assert_rate_limited(login(client, accounts[3].email), "from this address")

    assert login(client, accounts[3].email, ip=IP_B).status_code == 200


def test_a_stranger_guessing_from_one_address_is_slowed_and_the_victim_is_not(
        limited_config, client, user, users):
    # The attacker, at IP_A, guesses the victim's password (case changes do not help).
    assert login(client, user.email, "wrong 1", ip=IP_A).status_code == 401
    assert login(client, user.email.upper(), "wrong 2", ip=IP_A).status_code == 401
    assert_rate_limited(login(client, user.email, "wrong 3", ip=IP_A),
                        "for this account from this address")
    # Once the allowance is spent, even the right password waits (no oracle for guessers).
    assert_rate_limited(login(client, user.email, ip=IP_A), "from this address")

    # The victim, from their own address, signs in as usual.
    assert login(client, user.email, ip=IP_B).status_code == 200
    # Other accounts are not affected even from the attacker's address.
    assert login(client, users.create().email, ip=IP_A).status_code == 200


def test_a_guesser_rotating_addresses_meets_the_per_account_ceiling(limited_config, client,
                                                                     user):
    # 5 failures in all (the ceiling), 2 per address at most (the per-address limit).
    for n, ip in enumerate(["192.0.2.20", "192.0.2.20", "192.0.2.21", "192.0.2.21",
                            "192.0.2.22"]):
        assert login(client, user.email, f"wrong {n}", ip=ip).status_code == 401

    assert_rate_limited(login(client, user.email, "wrong 6", ip="192.0.2.23"),
                        "Too many failed logins for this account; retry later")
    assert_rate_limited(login(client, user.email, ip=IP_B), "for this account")


def test_successful_logins_do_not_use_the_account_allowance(limited_config, client, user):
    for ip in ("192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13"):
        assert login(client, user.email, ip=ip).status_code == 200


def test_registration_is_limited_per_ip(limited_config, client):
    def register(n: int, ip: str):
        return client.post(REGISTER, environ_base={"REMOTE_ADDR": ip}, json={
            "name": f"N {n}", "email": f"n{n}@example.com", "password": "long enough pw"})

    assert register(1, IP_A).status_code == 201
    assert register(2, IP_A).status_code == 201
    assert_rate_limited(register(3, IP_A), "registrations from this address")
    assert register(4, IP_B).status_code == 201


def test_forged_forwarded_for_is_ignored_without_trusted_proxies(limited_config, client,
                                                                 users):
    accounts = [users.create() for _ in range(4)]
    for n, account in enumerate(accounts[:3]):
        headers = {"X-Forwarded-For": f"203.0.113.{n + 50}"}
        assert login(client, account.email, headers=headers).status_code == 200

    response = login(client, accounts[3].email, headers={"X-Forwarded-For": "203.0.113.77"})

    assert_rate_limited(response, "from this address")


@pytest.fixture
def behind_one_proxy(limited_config):
    """One trusted reverse proxy appends the client's address to X-Forwarded-For."""
    limited_config["TRUSTED_PROXY_COUNT"] = 1
    return limited_config


def test_one_trusted_proxy_keys_limits_by_the_forwarded_client(behind_one_proxy, client,
                                                                users):
    accounts = [users.create() for _ in range(5)]
    proxy = "127.0.0.1"
    for account in accounts[:3]:
        assert login(client, account.email, ip=proxy,
                     headers={"X-Forwarded-For": IP_A}).status_code == 200

    # The client may prepend anything; only the hop the proxy appended counts.
    forged = {"X-Forwarded-For": f"{IP_C}, {IP_A}"}
    assert_rate_limited(login(client, accounts[3].email, ip=proxy, headers=forged),
                        "from this address")
    assert login(client, accounts[4].email, ip=proxy,
                 headers={"X-Forwarded-For": IP_B}).status_code == 200


@pytest.fixture
def limits_store_down(limited_config):
    """The shared rate-limit store is configured but nothing listens there."""
    limited_config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1/0"
    return limited_config


def test_rate_limit_store_down_is_503_not_an_unthrottled_login(limits_store_down, client,
                                                                user):
    response = login(client, user.email)
    body = assert_problem(response, 503)
    assert response.headers["Retry-After"]
    assert "redis" not in body["detail"].lower()


PASSWORD = "/api/v1/auth/password"


def change_password(client, headers: dict, current: str, *, ip: str = IP_A):
    return client.post(PASSWORD, json={"current_password": current,
                                       "new_password": "a brand new secret"},
                       headers=headers, environ_base={"REMOTE_ADDR": ip})


def test_wrong_current_passwords_are_limited_per_account(limited_config, client, user,
                                                          auth_headers):
    headers = auth_headers(user)
    assert change_password(client, headers, "wrong 1", ip=IP_A).status_code == 401
    assert change_password(client, headers, "wrong 2", ip=IP_B).status_code == 401

    # The allowance is spent: even the right password waits, from any address.
    assert_rate_limited(change_password(client, headers, DEFAULT_PASSWORD, ip=IP_C),
                        "wrong current passwords")
    assert login(client, user.email).status_code == 200  # the password did not change


def test_password_checks_of_one_account_do_not_limit_another(limited_config, client, users,
                                                              auth_headers):
    first, second = users.create(), users.create()
    for attempt in range(2):
        assert change_password(client, auth_headers(first), f"wrong {attempt}").status_code == 401

    assert change_password(client, auth_headers(second), DEFAULT_PASSWORD).status_code == 204


def test_profile_images_sent_to_patch_me_are_limited_per_account(
        limited_config, app, client, user, auth_headers):
    # Each image is a decode (up to a second of a worker): like registration, limited.
    replace_settings(app, PROFILE_IMAGE_RATE_LIMIT="2 per minute")

    addresses = iter([IP_A, IP_B, IP_C, IP_A, IP_B])  # the account's bucket, not an address's

    def patch_me(**body):
        return client.patch("/api/v1/auth/me", headers=auth_headers(user), data=body,
                            content_type="multipart/form-data",
                            environ_base={"REMOTE_ADDR": next(addresses)})

    def image():
        return (io.BytesIO(image_bytes("PNG", (8, 8))), "me.png")

    assert patch_me(profile_image=image()).status_code == 200
    assert patch_me(profile_image=(io.BytesIO(b"not an image"), "x.png")).status_code == 422
    assert_rate_limited(patch_me(profile_image=image()), "profile images from this account")
    # A change of name alone, or a file input left blank, sends no image and is not counted.
    assert patch_me(name="Ada").status_code == 200
    assert patch_me(name="Ada", profile_image=(io.BytesIO(b""), "")).status_code == 200


def test_profile_images_are_limited_per_address_too(limited_config, app, client, users,
                                                    auth_headers):
    replace_settings(app, PROFILE_IMAGE_RATE_LIMIT="2 per minute")
    statuses = [
        client.patch("/api/v1/auth/me", headers=auth_headers(users.create()),
                     data={"profile_image": (io.BytesIO(image_bytes("PNG", (8, 8))), "a.png")},
                     content_type="multipart/form-data",
                     environ_base={"REMOTE_ADDR": IP_B}).status_code
        for _ in range(3)]
    assert statuses == [200, 200, 429]
