"""Tokens and account data are never cached (issue 13, item 11)."""

from __future__ import annotations

import pytest

from tests.factories import DEFAULT_PASSWORD
from tests.web.test_form_posts import sign_in


def login(client, user) -> dict:
    response = client.post("/api/v1/auth/login",
                           json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.headers.get("Cache-Control") == "no-store"
    return response.get_json()


def test_token_responses_are_no_store(client, user):
    tokens = login(client, user)

    response = client.post("/api/v1/auth/refresh",
                           headers={"Authorization": f"Bearer {tokens['refresh_token']}"})

    assert response.status_code == 200
    assert response.headers.get("Cache-Control") == "no-store"


def test_a_failed_login_is_no_store_too(client, user):
    response = client.post("/api/v1/auth/login",
                           json={"email": user.email, "password": "wrong password"})
    assert response.status_code == 401
    assert response.headers.get("Cache-Control") == "no-store"


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_me_is_no_store(client, user, auth_headers, method):
    response = client.open("/api/v1/auth/me", method=method, headers=auth_headers(user),
                           data={"name": "Ada L."} if method == "PATCH" else None)

    assert response.status_code == 200
    assert response.headers.get("Cache-Control") == "no-store"


@pytest.mark.parametrize(("path", "signed_in_text"), [
    ("/profile", "ada@example.com"),  # the user's own address
    ("/files", "Your files"),  # the heading a signed-in non-admin sees
])
def test_signed_in_pages_are_no_store(client, user, path, signed_in_text):
    sign_in(client, user.email)

    response = client.get(path)

    assert response.status_code == 200
    assert signed_in_text in response.get_data(as_text=True)
    assert response.headers.get("Cache-Control") == "no-store"
