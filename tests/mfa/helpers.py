"""Driving the MFA calls like a client with an authenticator app would."""

from __future__ import annotations

import time

import pyotp

from tests.factories import DEFAULT_PASSWORD

TOTP = "/api/v1/auth/mfa/totp"
CONFIRM = "/api/v1/auth/mfa/totp/confirm"
RECOVERY = "/api/v1/auth/mfa/recovery-codes"
LOGIN = "/api/v1/auth/login"
LOGIN_MFA = "/api/v1/auth/login/mfa"
ME = "/api/v1/auth/me"
PERIOD = 30


def current_step() -> int:
    """The RFC 6238 time step of now."""
    return int(time.time()) // PERIOD


def code_at(secret: str, step: int) -> str:
    """The code an authenticator app shows during `step`."""
    return pyotp.TOTP(secret).generate_otp(step)


class Authenticator:
    """An authenticator app: hands out codes of ever later steps inside the ±1 window."""

    def __init__(self, secret: str):
        self.secret = secret
        self.last_step = 0

    def code(self) -> str:
        """A code the server has not seen yet (the oldest step still accepted)."""
        step = max(current_step() - 1, self.last_step + 1)
        if step > current_step() + 1:  # three codes used in one window: wait for the next
            time.sleep(PERIOD - time.time() % PERIOD + 0.1)
            step = max(current_step() - 1, self.last_step + 1)
        self.last_step = step
        return code_at(self.secret, step)


def enable_totp(client, headers: dict, password: str = DEFAULT_PASSWORD):
    """Set up and confirm TOTP; return (authenticator, recovery codes)."""
    setup = client.post(TOTP, json={"current_password": password}, headers=headers)
    assert setup.status_code == 200, setup.get_data(as_text=True)
    app = Authenticator(setup.get_json()["secret"])
    confirm = client.post(CONFIRM, json={"code": app.code()}, headers=headers)
    assert confirm.status_code == 200, confirm.get_data(as_text=True)
    return app, confirm.get_json()["recoveryCodes"]


def mfa_token(client, email: str, password: str = DEFAULT_PASSWORD) -> str:
    """The mfa_token the first step of a login answers for an MFA account."""
    response = client.post(LOGIN, json={"email": email, "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["mfa_required"] is True
    return body["mfa_token"]
