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


# --- every authenticated JSON response (issue 20, #10) -----------------------------------

def _get_routes() -> list[tuple[str, str]]:
    """(endpoint, rule) of every API GET that reads a bearer token, from the URL map.

    HTML pages are no-store by their own rule (test_signed_in_pages_are_no_store); linking
    a provider answers a redirect to the provider, not JSON.
    """
    from app import create_app
    from app.scopes import OPEN, decision_for

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted((rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()
                  if "GET" in (rule.methods or ()) and rule.rule.startswith("/api/")
                  and decision_for(app, rule.endpoint, "GET") != OPEN
                  and rule.endpoint != "federation.ProviderLink")


GET_ROUTES = _get_routes()


def test_the_enumeration_finds_the_routes_of_the_finding():
    rules = {rule for _, rule in GET_ROUTES}
    for path in ("/api/v1/files", "/api/v1/auth/sessions", "/api/v1/auth/tokens",
                 "/api/v1/auth/me/audit", "/api/v1/auth/passkeys"):
        assert path in rules


@pytest.fixture
def world(client, admin, users, auth_headers):
    """An admin's headers, a file of theirs and another user."""
    import io

    headers = auth_headers(admin)
    file_id = client.post("/api/v1/files", headers=headers, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(b"bytes"), "a.txt")}).get_json()["id"]
    client_id = client.post("/api/v1/oauth/clients", headers=headers, json={
        "name": "App", "type": "public", "redirectUris": ["https://app.example/cb"],
        "scopes": ["openid"]}).get_json()["clientId"]
    return {"headers": headers, "file_id": file_id, "user_id": users.create().id,
            "client_id": client_id}


@pytest.mark.parametrize(("endpoint", "rule"), GET_ROUTES, ids=[r for _, r in GET_ROUTES])
def test_every_authenticated_json_answer_is_no_store(client, world, endpoint, rule):
    import re

    url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(world[m.group(1)]), rule)

    response = client.get(url, headers=world["headers"])

    assert response.status_code == 200, response.get_data(as_text=True)
    if response.is_json:
        assert response.headers.get("Cache-Control") == "no-store", url
    elif endpoint == "files.FileContent":
        # File bytes keep their revalidation semantics: private, checked by ETag each time.
        assert set(response.headers["Cache-Control"].split(", ")) == {"private", "no-cache"}
        assert response.headers["ETag"]
    else:
        assert response.headers.get("Cache-Control") == "no-store", url


@pytest.mark.parametrize("status_path", [(404, "/api/v1/files/987654"),
                                         (401, "/api/v1/auth/sessions")])
def test_authenticated_errors_are_no_store_too(client, user, auth_headers, status_path):
    status, path = status_path
    headers = auth_headers(user) if status != 401 else {"Authorization": "Bearer nope"}

    response = client.get(path, headers=headers)

    assert response.status_code == status
    assert response.headers.get("Cache-Control") == "no-store"


def test_a_write_answer_is_no_store(client, admin, users, auth_headers):
    other = users.create()
    response = client.patch(f"/api/v1/users/{other.id}", json={"name": "Renamed"},
                            headers=auth_headers(admin))
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") == "no-store"
