"""One error path: every failure is problem+json, never a trace, a hash or a password."""

from __future__ import annotations

import io
import logging

import pytest

from app import create_app
from app.auth.tokens import issue_token_pair
from app.extensions import db as _db
from tests.factories import DEFAULT_PASSWORD, image_bytes
from tests.helpers import DatabaseOutage, assert_problem, stored_blobs

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"


@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope", "/api/v1/users/1/nope"])
def test_unknown_route_is_404_problem(client, path):
    assert_problem(client.get(path), 404)


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("get", REGISTER, {"POST"}),
    ("put", LOGIN, {"POST"}),
    ("put", "/api/v1/auth/me", {"GET", "PATCH", "DELETE"}),
    ("post", "/healthz", {"GET"}),
])
def test_wrong_method_is_405_with_allow(client, method, path, allowed):
    response = getattr(client, method)(path)

    assert_problem(response, 405)
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.mark.parametrize("raw", [b"{bad", b'{"email": "a@b.c",', b"\xff\xfe{}", b"{'a': 1}"])
@pytest.mark.parametrize("path", [LOGIN, REGISTER])
def test_malformed_json_is_400(client, path, raw):
    response = client.post(path, data=raw, content_type="application/json")

    body = assert_problem(response, 400)
    assert "Traceback" not in body["detail"]


@pytest.mark.parametrize("rate_limited", [False, True], ids=["unlimited", "rate-limited"])
@pytest.mark.parametrize("raw", [b"[" * 5000 + b"]" * 5000,
                                 b'{"email": ' + b"[" * 5000 + b"]" * 5000 + b"}"],
                         ids=["deep-body", "deep-field"])
@pytest.mark.parametrize("path", [LOGIN, REGISTER])
def test_json_nested_too_deeply_is_400(app_config, path, raw, rate_limited):
    # 10 KB of brackets overflowed the JSON decoder's recursion limit: a 500. The login
    # rate limit reads the body too (its per-account key), before the route does.
    app_config.update(RATELIMIT_ENABLED=rate_limited, RATELIMIT_STORAGE_URI="memory://")
    client = create_app(app_config).test_client()

    response = client.post(path, data=raw, content_type="application/json")

    assert_problem(response, 400)


def test_unexpected_exception_is_a_generic_500_logged_with_its_traceback(
        client, user, auth_headers, monkeypatch, caplog):
    secret = "SELECT password FROM users -- /srv/signet/app/secret.py"

    def explode(viewer, user_id):
        raise RuntimeError(secret)

    monkeypatch.setattr("app.users.routes.get_user_for", explode)

    with caplog.at_level(logging.ERROR):
        response = client.get(f"/api/v1/users/{user.id}", headers=auth_headers(user))

    body = assert_problem(response, 500)
    assert secret not in response.get_data(as_text=True)
    assert "RuntimeError" not in response.get_data(as_text=True)
    assert body["detail"] == "An unexpected error occurred."
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.exc_info[0] is RuntimeError
    assert secret in caplog.text and "Traceback" in caplog.text


def test_the_app_keeps_working_after_a_500(client, user, auth_headers, monkeypatch):
    monkeypatch.setattr("app.users.routes.get_user_for",
                        lambda viewer, user_id: 1 / 0)
    assert client.get(f"/api/v1/users/{user.id}",
                      headers=auth_headers(user)).status_code == 500
    monkeypatch.undo()

    assert client.get(f"/api/v1/users/{user.id}", headers=auth_headers(user)).status_code == 200


# --- the database goes away ----------------------------------------------------------


@pytest.fixture
def outage(database_url, tmp_path):
    """A database that starts out unreachable; see DatabaseOutage."""
    database = DatabaseOutage(database_url, tmp_path)
    yield database
    database.close()


@pytest.fixture
def outage_client(app_config, outage):
    """A second app whose database is `outage` (the first app keeps the real one)."""
    second = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": outage.url})
    yield second.test_client()
    with second.app_context():
        _db.engine.dispose()


def assert_unavailable(response) -> None:
    """503 problem that tells the client when to retry."""
    assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    text = response.get_data(as_text=True).lower()
    for leak in ("sqlite", "pymysql", "operationalerror", "127.0.0.1", "select"):
        assert leak not in text


def test_database_down_is_503_and_the_next_request_works_once_it_is_back(
        outage, outage_client, user, upload_dir):
    credentials = {"email": user.email, "password": DEFAULT_PASSWORD}
    token = issue_token_pair(user)["access_token"]
    me = {"Authorization": f"Bearer {token}"}

    assert_unavailable(outage_client.post(LOGIN, json=credentials))
    assert_unavailable(outage_client.get("/api/v1/auth/me", headers=me))
    assert_unavailable(outage_client.post(REGISTER, data={
        "name": "N", "email": "n@example.com", "password": "long enough",
        "profile_image": (io.BytesIO(image_bytes("PNG")), "me.png")},
        content_type="multipart/form-data"))
    assert stored_blobs(upload_dir) == []

    outage.restore()

    assert outage_client.post(LOGIN, json=credentials).status_code == 200
    assert outage_client.get("/api/v1/auth/me", headers=me).status_code == 200

    if not outage.can_fail_again:
        return
    # The server vanishes under pooled connections, then returns.
    outage.fail()
    assert_unavailable(outage_client.post(LOGIN, json=credentials))
    assert_unavailable(outage_client.get("/api/v1/auth/me", headers=me))
    outage.restore()
    assert outage_client.post(LOGIN, json=credentials).status_code == 200
    assert outage_client.get("/api/v1/auth/me", headers=me).status_code == 200


# --- nothing secret ever leaves ------------------------------------------------------


def test_no_response_contains_a_password_hash_or_a_password(client, users, admin,
                                                            auth_headers):
    password = "hunter2-is-my-password"
    target = users.create(email="target@example.com", password=password)
    admin_headers = auth_headers(admin)
    responses = [
        client.post(REGISTER, data={
            "name": "New", "email": "new@example.com", "password": password,
            "profile_image": (io.BytesIO(image_bytes("JPEG")), "me.jpg")},
            content_type="multipart/form-data"),
        client.post(REGISTER, json={"name": "Dup", "email": "NEW@example.com",
                                    "password": password}),
        client.post(REGISTER, json={"name": "", "email": "x", "password": password[:5]}),
        client.post(REGISTER, json={"name": "Adm", "email": "adm@example.com",
                                    "password": password, "role": "admin"},
                    headers=admin_headers),
        client.post(LOGIN, json={"email": target.email, "password": password}),
        client.post(LOGIN, data={"email": target.email, "password": password + "x"}),
        client.post(LOGIN, json={"email": "nobody@example.com", "password": password}),
        client.get("/api/v1/auth/me", headers=auth_headers(target)),
        client.get(f"/api/v1/users/{target.id}", headers=admin_headers),
        client.get(f"/api/v1/users/{target.id}", headers=auth_headers(target)),
        client.get("/openapi.json"),
    ]
    assert responses[0].status_code == 201 and responses[4].status_code == 200

    for response in responses:
        text = response.get_data(as_text=True) + str(response.headers)
        assert "$2b$" not in text and "$2a$" not in text and "$2y$" not in text
        assert password not in text and password[:5] not in text
        if response.is_json and response.status_code < 300:
            assert "password" not in response.get_json()
