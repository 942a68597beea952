"""JSON bodies: at most MAX_JSON_BYTES, refused before parsing, parsed once (issue 20, #4)."""

from __future__ import annotations

import io
import json

import pytest

from app.settings import settings_of
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_problem

LOGIN = "/api/v1/auth/login"
LIMIT = 64 * 1024


def big_array(size: int) -> bytes:
    """`[{},{},...]`, the body that costs the most memory per byte to parse."""
    return b"[" + b",".join([b"{}"] * (size // 3)) + b"]"


@pytest.fixture
def parses(monkeypatch):
    """The number of times json.loads read each body: {body text: count}."""
    seen: dict[str, int] = {}
    real = json.loads

    def counting(text, *args, **kwargs):
        key = text.decode() if isinstance(text, bytes) else text
        seen[key] = seen.get(key, 0) + 1
        return real(text, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counting)
    return seen


def test_the_default_limit_is_64_kib(app):
    assert settings_of(app).web.max_json_bytes == LIMIT


@pytest.mark.parametrize("path", [LOGIN, "/api/v1/auth/verify-email",
                                  "/api/v1/auth/register", "/api/v1/auth/login/mfa"])
def test_a_json_body_over_the_limit_is_413_naming_it_before_parsing(client, path, parses):
    body = big_array(LIMIT + 10)

    response = client.post(path, data=body, content_type="application/json")

    assert sum(parses.values()) == 0
    problem = assert_problem(response, 413)
    assert "MAX_JSON_BYTES" in problem["detail"] and str(LIMIT) in problem["detail"]


def test_a_chunked_body_over_the_limit_is_413_too(client, parses):
    # No Content-Length: the bytes read are counted, and reading stops past the limit.
    response = client.post(LOGIN, input_stream=io.BytesIO(big_array(LIMIT * 4)),
                           content_type="application/json",
                           environ_overrides={"wsgi.input_terminated": True})

    assert sum(parses.values()) == 0
    problem = assert_problem(response, 413)
    assert "MAX_JSON_BYTES" in problem["detail"]


def test_the_limit_is_a_setting(app_config):
    from app import create_app

    small = create_app({**app_config, "MAX_JSON_BYTES": 100})
    response = small.test_client().post(LOGIN, json={"email": "x" * 200, "password": "p"})
    assert_problem(response, 413)


def test_a_body_just_under_the_limit_is_parsed(client, user):
    padding = "x" * (LIMIT - 200)
    response = client.post(LOGIN, json={"email": user.email, "password": DEFAULT_PASSWORD,
                                        "padding": padding})
    assert response.status_code == 200


@pytest.mark.parametrize("password", [DEFAULT_PASSWORD, "wrong password"])
def test_a_login_body_is_parsed_once(limits_on, client, user, parses, password):
    # The rate-limit keys (per account, per account and address) and the route all read it.
    body = json.dumps({"email": user.email, "password": password})

    response = client.post(LOGIN, data=body, content_type="application/json")

    assert response.status_code in (200, 401)
    assert parses[body] == 1


def test_an_mfa_login_body_is_parsed_once(limits_on, client, parses):
    body = json.dumps({"mfa_token": "not-a-token", "code": "123456"})

    response = client.post("/api/v1/auth/login/mfa", data=body,
                           content_type="application/json")

    assert response.status_code == 401
    assert parses[body] == 1


def test_malformed_json_is_still_400_and_empty_json_still_422(client):
    assert_problem(client.post(LOGIN, data=b"{nope", content_type="application/json"), 400)
    assert_problem(client.post(LOGIN, data=b"", content_type="application/json"), 422)


@pytest.fixture
def limits_on(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    return app_config


@pytest.fixture
def verify_limited(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                      VERIFY_EMAIL_RATE_LIMIT="2 per hour")
    return app_config


def test_verify_email_is_rate_limited_per_address(verify_limited, client):
    for _ in range(2):
        assert_problem(client.post("/api/v1/auth/verify-email", json={"token": "x" * 43}), 422)

    refused = client.post("/api/v1/auth/verify-email", json={"token": "x" * 43})

    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml"])
def test_a_body_of_another_type_is_415_naming_the_types_read(client, content_type):
    body = json.dumps({"email": "ada@example.com", "password": DEFAULT_PASSWORD})

    response = client.post(LOGIN, data=body, content_type=content_type)

    problem = assert_problem(response, 415)
    assert content_type in problem["detail"]
    assert "application/json" in problem["detail"] and "Missing data" not in str(problem)
    assert "application/json" in response.headers["Accept-Post"]


def test_the_415_is_documented_on_every_operation_with_a_body(client):
    spec = client.get("/openapi.json").get_json()
    with_body = [(path, method) for path, item in spec["paths"].items()
                 for method, operation in item.items()
                 if isinstance(operation, dict) and "requestBody" in operation]
    assert with_body
    assert all("415" in spec["paths"][path][method]["responses"] for path, method in with_body)
