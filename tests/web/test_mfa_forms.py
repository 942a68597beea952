"""The profile page turns TOTP off and removes passkeys with plain forms (no script)."""

from __future__ import annotations

import pytest

from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem
from tests.mfa.helpers import Authenticator, enable_totp
from tests.mfa.test_passkeys import device, registered  # noqa: F401 - fixtures
from tests.mfa.test_passkeys import sign_in as passkey_sign_in
from tests.web.test_form_posts import HTML, sign_in

DISABLE = "/profile/mfa/totp/disable"
RECOVERY_CODES = "/api/v1/auth/mfa/recovery-codes"


def mfa_section(page: str) -> str:
    """The profile's two-factor card."""
    return page[page.index('id="mfa"'):].split("</section>")[0]


def form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to `action` on `page`."""
    form = page[page.index(f'action="{action}"'):].split("</form>")[0]
    return {chunk.split('"')[0]: chunk.split('value="')[1].split('"')[0]
            for chunk in form.split('type="hidden" name="')[1:]}


@pytest.fixture
def totp(client, user, auth_headers) -> Authenticator:
    app, _codes = enable_totp(client, auth_headers(user))
    return app


def test_the_turn_off_form_turns_totp_off_and_comes_back_to_the_profile(client, user, totp):
    csrf = sign_in_with_code(client, user, totp)
    page = client.get("/profile").get_data(as_text=True)
    hidden = form_fields(page, RECOVERY_CODES)
    assert hidden == {"csrf_token": csrf, "next": "/profile?notice=mfa_off"}
    assert f'formaction="{DISABLE}"' in page

    response = client.post(DISABLE, headers=HTML, data={
        **hidden, "current_password": DEFAULT_PASSWORD, "code": totp.code()})

    assert response.status_code == 303
    assert response.headers["Location"] == "/profile?notice=mfa_off"
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Two-factor sign-in is off" in after and 'id="mfa-status">Off.' in after
    login = client.application.test_client().post("/api/v1/auth/login", json={
        "email": user.email, "password": DEFAULT_PASSWORD})
    assert "access_token" in login.get_json()  # the password alone signs in again


@pytest.mark.parametrize(("fields", "status"), [
    ({"current_password": "wrong password"}, 401),
    ({"code": "000000"}, 401),
    ({"csrf_token": None}, 401),
])
def test_the_turn_off_form_refuses_a_wrong_password_code_or_csrf(client, user, totp, fields,
                                                                 status):
    csrf = sign_in_with_code(client, user, totp)
    data = {"csrf_token": csrf, "current_password": DEFAULT_PASSWORD, "code": totp.code(),
            "next": "/profile", **fields}

    response = client.post(DISABLE, headers=HTML,
                           data={k: v for k, v in data.items() if v is not None})

    assert response.status_code == status and response.mimetype == "text/html"
    assert 'id="mfa-status">On' in client.get("/profile").get_data(as_text=True)


def test_the_remove_form_removes_a_passkey(client, user, registered, device):  # noqa: F811
    csrf = sign_in(client)
    action = f"/profile/passkeys/{registered['id']}/remove"
    page = client.get("/profile").get_data(as_text=True)
    assert form_fields(page, action) == {
        "csrf_token": csrf, "next": "/profile?notice=passkey_removed"}
    form = page[page.index(f'action="{action}"'):].split("</form>")[0]
    assert 'name="current_password"' in form and "required" in form

    response = client.post(action, headers=HTML, data={
        **form_fields(page, action), "current_password": DEFAULT_PASSWORD})

    assert response.status_code == 303
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "That passkey was removed" in after and "No passkey yet." in after
    assert_problem(passkey_sign_in(client.application.test_client(), device), 401)


def test_the_remove_form_needs_the_current_password(client, user, auth_headers,
                                                    registered):  # noqa: F811
    csrf = sign_in(client)
    action = f"/profile/passkeys/{registered['id']}/remove"

    missing = client.post(action, headers=HTML, data={"csrf_token": csrf, "next": "/profile"})
    wrong = client.post(action, headers=HTML, data={"csrf_token": csrf, "next": "/profile",
                                                    "current_password": "not-the-password"})

    assert missing.status_code == 422 and "current_password" in missing.get_data(as_text=True)
    assert wrong.status_code == 401
    listed = client.get("/api/v1/auth/passkeys", headers=auth_headers(user)).get_json()
    assert [p["id"] for p in listed] == [registered["id"]]


def test_the_remove_form_touches_only_your_own_passkeys(client, user, users, auth_headers,
                                                       registered):  # noqa: F811
    other = users.create(email="eve@example.com")
    csrf = sign_in(client, other.email)

    response = client.post(f"/profile/passkeys/{registered['id']}/remove", headers=HTML,
                           data={"csrf_token": csrf, "next": "/profile",
                                 "current_password": DEFAULT_PASSWORD})

    assert response.status_code == 404
    listed = client.get("/api/v1/auth/passkeys", headers=auth_headers(user)).get_json()
    assert [p["id"] for p in listed] == [registered["id"]]


def sign_in_with_code(client, user, totp: Authenticator) -> str:
    """The browser's two-step sign-in; return the session's CSRF token."""
    first = client.post("/api/v1/auth/login", headers=HTML, data={
        "email": user.email, "password": DEFAULT_PASSWORD, "next": "/profile"})
    token = first.get_data(as_text=True).split('name="mfa_token" value="')[1].split('"')[0]
    done = client.post("/api/v1/auth/login/mfa", headers=HTML, data={
        "mfa_token": token, "code": totp.code(), "next": "/profile"})
    assert done.status_code == 303
    return client.get_cookie("csrf_access_token").value


def test_with_totp_on_one_form_asks_for_password_and_code_once(client, user, totp):
    sign_in_with_code(client, user, totp)
    section = mfa_section(client.get("/profile").get_data(as_text=True))

    assert section.count("<form") == 1
    assert section.count('name="current_password"') == 1 and section.count('name="code"') == 1
    buttons = section.split("<button")[1:]
    assert len(buttons) == 2
    main, turn_off = buttons
    assert "New recovery codes" in main and 'class="' not in main.split(">")[0]
    assert "Turn off" in turn_off and f'formaction="{DISABLE}"' in turn_off
    assert 'class="quiet-danger"' in turn_off


def test_new_recovery_codes_from_the_one_form_show_the_codes(client, user, totp):
    csrf = sign_in_with_code(client, user, totp)
    response = client.post(RECOVERY_CODES, headers=HTML, data={
        "csrf_token": csrf, "next": "/profile?notice=mfa_off",
        "current_password": DEFAULT_PASSWORD, "code": totp.code()})

    assert response.status_code == 200
    assert response.get_data(as_text=True).count("<li><code>") == 10


def test_a_wrong_code_shows_the_one_form_again_with_the_error_beside_the_code(
        client, user, totp):
    csrf = sign_in_with_code(client, user, totp)
    response = client.post(DISABLE, headers=HTML, data={
        "csrf_token": csrf, "next": "/profile?notice=mfa_off",
        "current_password": DEFAULT_PASSWORD, "code": "000000"})

    assert response.status_code == 401
    section = mfa_section(response.get_data(as_text=True))
    assert 'role="alert"' in section and section.count("<form") == 1
