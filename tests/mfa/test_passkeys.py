"""Passkeys: registration and sign-in with a software authenticator; py_webauthn verifies."""

from __future__ import annotations

import json
import time

import pytest
from flask_jwt_extended import decode_token

from app.sessions.models import UserSession
from app.settings import replace_settings
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem, row_count
from tests.mfa.authenticator import SoftwareAuthenticator
from tests.mfa.helpers import LOGIN, ME, enable_totp

BASE = "/api/v1/auth/passkeys"
# Adding or removing a passkey is a sensitive change: the current password proves it.
PROOF = {"current_password": DEFAULT_PASSWORD}
ORIGIN = "http://localhost:8000"  # PUBLIC_BASE_URL's default in the tests


def register(client, headers: dict, device: SoftwareAuthenticator, name: str = "Laptop",
             password: str = DEFAULT_PASSWORD):
    options = client.post(f"{BASE}/register/options", headers=headers,
                          json={"current_password": password})
    assert options.status_code == 200, options.get_data(as_text=True)
    body = options.get_json()
    credential = device.create(body["publicKey"])
    return client.post(f"{BASE}/register/verify", headers=headers, json={
        "ceremony": body["ceremony"], "credential": credential, "name": name})


def login_options(client) -> dict:
    response = client.post(f"{BASE}/login/options")
    assert response.status_code == 200
    return response.get_json()


def sign_in(client, device: SoftwareAuthenticator, **kwargs):
    options = login_options(client)
    return client.post(f"{BASE}/login/verify", json={
        "ceremony": options["ceremony"], "credential": device.get(options["publicKey"],
                                                                    **kwargs)})


@pytest.fixture
def device():
    return SoftwareAuthenticator(ORIGIN)


@pytest.fixture
def registered(client, user, auth_headers, device):
    response = register(client, auth_headers(user), device)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_registration_options_name_the_relying_party_and_ask_for_a_resident_key(
        client, user, auth_headers):
    body = client.post(f"{BASE}/register/options", headers=auth_headers(user),
                       json=PROOF).get_json()

    options = body["publicKey"]
    assert options["rp"] == {"id": "localhost", "name": "Signet"}
    assert options["user"]["name"] == user.email
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert body["ceremony"] and options["challenge"]
    assert row_count("webauthn_ceremonies") == 1


def test_register_then_list(client, user, auth_headers, registered):
    assert registered["name"] == "Laptop" and registered["lastUsedAt"] is None
    listed = client.get(BASE, headers=auth_headers(user))
    assert listed.status_code == 200
    assert [p["id"] for p in listed.get_json()] == [registered["id"]]
    assert "publicKey" not in listed.get_json()[0]


def test_a_passkey_signs_in_without_a_password(client, db, user, registered, device):
    response = sign_in(client, device)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.get_json()
    me = client.get(ME, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.get_json()["id"] == user.id
    session_id = decode_token(tokens["access_token"])["sid"]
    assert db.session.get(UserSession, session_id).auth_methods == "hwk"


def test_a_passkey_counts_as_both_factors_for_an_mfa_account(client, user, auth_headers,
                                                            registered, device):
    enable_totp(client, auth_headers(user))
    login = client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert login.get_json()["mfa_required"] is True

    response = sign_in(client, device)

    assert response.status_code == 200 and "access_token" in response.get_json()


def test_a_ceremony_answers_once(client, registered, device):
    options = login_options(client)
    first = client.post(f"{BASE}/login/verify", json={
        "ceremony": options["ceremony"], "credential": device.get(options["publicKey"])})
    assert first.status_code == 200

    again = client.post(f"{BASE}/login/verify", json={
        "ceremony": options["ceremony"], "credential": device.get(options["publicKey"])})

    assert_problem(again, 401)


def test_a_failed_attempt_also_uses_up_the_ceremony(client, registered, device):
    options = login_options(client)
    bad = device.get(options["publicKey"])
    bad["response"]["signature"] = bad["response"]["signature"][:-4] + "AAAA"
    assert_problem(client.post(f"{BASE}/login/verify", json={
        "ceremony": options["ceremony"], "credential": bad}), 401)

    good = client.post(f"{BASE}/login/verify", json={
        "ceremony": options["ceremony"], "credential": device.get(options["publicKey"])})

    assert_problem(good, 401)


def test_ceremonies_are_bound_to_their_kind_and_user(client, user, users, auth_headers,
                                                     registered, device):
    registration = client.post(f"{BASE}/register/options", headers=auth_headers(user),
                       json=PROOF)
    ceremony = registration.get_json()["ceremony"]
    assertion = device.get(login_options(client)["publicKey"])
    assert_problem(client.post(f"{BASE}/login/verify", json={
        "ceremony": ceremony, "credential": assertion}), 401)

    other = users.create()
    stolen = client.post(f"{BASE}/register/verify", headers=auth_headers(other), json={
        "ceremony": ceremony, "credential": SoftwareAuthenticator(ORIGIN).create(
            registration.get_json()["publicKey"])})
    body = assert_problem(stolen, 422)
    assert "ceremony" in body["errors"]


def test_another_origin_is_refused(client, user, auth_headers, registered, device):
    phishing = SoftwareAuthenticator("https://signet.evil.example")
    phishing.credentials = device.credentials
    assert_problem(sign_in(client, phishing), 401)

    body = assert_problem(register(client, auth_headers(user), phishing), 422)
    assert "credential" in body["errors"]


def test_another_relying_party_id_is_refused(client, registered, device):
    other_rp = SoftwareAuthenticator(ORIGIN, rp_id="evil.example")
    other_rp.credentials = device.credentials
    assert_problem(sign_in(client, other_rp), 401)


def test_user_verification_is_required(client, registered, device):
    assert_problem(sign_in(client, device, user_verified=False), 401)


def test_a_sign_counter_that_goes_back_is_refused(client, registered, device):
    assert sign_in(client, device).status_code == 200
    assert sign_in(client, device).status_code == 200
    device.credentials[-1].sign_count = 0  # a cloned authenticator, behind the original

    assert_problem(sign_in(client, device), 401)


def test_the_counter_is_stored(client, registered, device):
    sign_in(client, device)
    sign_in(client, device)
    from app.extensions import db
    from app.mfa.models import Passkey

    db.session.expire_all()
    assert db.session.get(Passkey, registered["id"]).sign_count == 2


def test_an_unknown_passkey_is_refused(client, user, registered):
    stranger = SoftwareAuthenticator(ORIGIN)
    stranger.create({"rp": {"id": "localhost"}, "user": {"id": "AAAA"}, "challenge": "AAAA"})
    assert_problem(sign_in(client, stranger), 401)


def test_an_expired_ceremony_is_refused(app, client, registered, device):
    # Shortened only after registering: a loaded CI machine can take a second to register.
    replace_settings(app, WEBAUTHN_CHALLENGE_EXPIRES=1)
    options = login_options(client)
    time.sleep(2.1)
    assert_problem(client.post(f"{BASE}/login/verify", json={
        "ceremony": options["ceremony"], "credential": device.get(options["publicKey"])}), 401)


def test_delete(client, user, users, auth_headers, registered, device):
    other = users.create()
    assert_problem(client.delete(f"{BASE}/{registered['id']}", headers=auth_headers(other),
                                 json=PROOF), 404)

    assert client.delete(f"{BASE}/{registered['id']}", headers=auth_headers(user),
                         json=PROOF).status_code == 204

    assert client.get(BASE, headers=auth_headers(user)).get_json() == []
    assert_problem(sign_in(client, device), 401)


def test_admin_reset_removes_passkeys(client, user, admin, auth_headers, registered, device):
    assert client.delete(f"/api/v1/users/{user.id}/mfa",
                         headers=auth_headers(admin)).status_code == 204
    assert row_count("passkeys") == 0
    assert_problem(sign_in(client, device), 401)


def test_a_deactivated_account_cannot_sign_in(client, user, admin, auth_headers, registered,
                                              device):
    client.patch(f"/api/v1/users/{user.id}", json={"isActive": False},
                 headers=auth_headers(admin))
    assert_problem(sign_in(client, device), 403)


@pytest.mark.parametrize("credential", ["not json", "[1]", "x" * 20000, 7])
def test_malformed_credentials_are_422(client, credential):
    options = login_options(client)
    body = assert_problem(client.post(f"{BASE}/login/verify", json={
        "ceremony": options["ceremony"], "credential": credential}), 422)
    assert "credential" in body["errors"]


@pytest.mark.parametrize("path", ["/register/options", "/register/verify", ""])
def test_the_signed_in_calls_need_a_token(client, path):
    method = client.get if path == "" else client.post
    assert_problem(method(f"{BASE}{path}", json={}), 401)


def test_the_browser_form_signs_in_with_cookies(client, registered, device):
    options = login_options(client)
    credential = json.dumps(device.get(options["publicKey"]))

    response = client.post(f"{BASE}/login/verify", headers={"Accept": "text/html"}, data={
        "ceremony": options["ceremony"], "credential": credential, "next": "/profile"})

    assert response.status_code == 303 and response.headers["Location"] == "/profile"
    assert "access_token_cookie=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_a_new_registration_voids_the_open_one(client, user, auth_headers, device):
    headers = auth_headers(user)
    first = client.post(f"{BASE}/register/options", headers=headers, json=PROOF).get_json()
    client.post(f"{BASE}/register/options", headers=headers, json=PROOF)

    response = client.post(f"{BASE}/register/verify", headers=headers, json={
        "ceremony": first["ceremony"], "credential": device.create(first["publicKey"])})

    assert "ceremony" in assert_problem(response, 422)["errors"]
    assert row_count("webauthn_ceremonies") == 1
