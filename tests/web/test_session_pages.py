"""The profile page's "Your sessions": listed, and ended with a CSRF-protected form."""

from __future__ import annotations

from flask_jwt_extended import decode_token

from tests.web.test_form_posts import HTML, PASSWORD, sign_in


def api_login(client, email: str, agent: str) -> dict:
    other = client.application.test_client()  # another device: its own cookie jar
    response = other.post("/api/v1/auth/login", headers={"User-Agent": agent},
                          json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    return response.get_json()


IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1")


def test_profile_lists_sessions_with_an_end_button_for_the_others(client, user):
    csrf = sign_in(client)
    phone = api_login(client, user.email, IPHONE)
    phone_sid = decode_token(phone["access_token"])["sid"]
    api_login(client, user.email, "Phone <script>")

    body = client.get("/profile").get_data(as_text=True)

    assert "Your sessions" in body
    assert "Mobile Safari 17 on iOS" in body  # a device name, not the whole User-Agent
    assert "AppleWebKit" not in body and "<script>" not in body
    assert "Unknown device" in body  # what the parser cannot name
    assert f'action="/profile/sessions/{phone_sid}/end"' in body
    assert f'name="csrf_token" value="{csrf}"' in body
    assert body.count("End session") == 2  # not for this browser
    assert "This browser" in body


def test_the_form_ends_the_session_and_comes_back_to_the_profile(client, user):
    csrf = sign_in(client)
    phone = api_login(client, user.email, "Phone")
    phone_sid = decode_token(phone["access_token"])["sid"]

    response = client.post(f"/profile/sessions/{phone_sid}/end", headers=HTML, data={
        "csrf_token": csrf, "next": "/profile?notice=session_ended"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/profile?notice=session_ended"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "That session was ended" in page
    assert f"/profile/sessions/{phone_sid}/end" not in page
    me = client.application.test_client().get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {phone['access_token']}"})
    assert me.status_code == 401


def test_the_form_without_the_csrf_token_is_refused(client, user):
    sign_in(client)
    phone = api_login(client, user.email, "Phone")
    phone_sid = decode_token(phone["access_token"])["sid"]

    response = client.post(f"/profile/sessions/{phone_sid}/end", headers=HTML,
                           data={"next": "/profile"})

    assert response.status_code == 401
    assert response.mimetype == "text/html"
    me = client.application.test_client().get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {phone['access_token']}"})
    assert me.status_code == 200
