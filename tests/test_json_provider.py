"""orjson encodes exactly the JSON Flask's own provider would (app/json_provider.py).

Every JSON body the app writes during a tour of the API (every documented GET that needs no
path parameter, as a user and as an admin; the resources behind them by id; token pairs,
a registration, the OpenAPI and discovery documents) is encoded by both providers and
compared: the same parsed value, keys in the same order, and sorted.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import json
import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from authlib.oidc.core import UserInfo
from flask.json.provider import DefaultJSONProvider

from app.json_provider import OrjsonProvider
from tests.factories import image_bytes

PARAMETER = re.compile(r"\{[^}]+\}")


class ComparingProvider(OrjsonProvider):
    """Answers with orjson and keeps, for each body, what Flask's own provider wrote."""

    def __init__(self, app) -> None:
        super().__init__(app)
        self.standard = DefaultJSONProvider(app)
        self.pairs: list[tuple[bytes, str]] = []

    def response(self, *args, **kwargs):
        """The orjson response, after recording both encodings of its object."""
        response = super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        self.pairs.append((response.get_data(), self.standard.dumps(obj)))
        return response


def ordered(text: str | bytes):
    """The parsed JSON with every object as a list of its (key, value) pairs, in order."""
    return json.loads(text, object_pairs_hook=list)


def sorted_everywhere(value) -> bool:
    """True when the keys of every object in `value` (from `ordered`) are sorted."""
    if isinstance(value, list) and value and all(
            isinstance(item, tuple) and len(item) == 2 for item in value):
        keys = [key for key, _ in value]
        return keys == sorted(keys) and all(sorted_everywhere(v) for _, v in value)
    if isinstance(value, list):
        return all(sorted_everywhere(item) for item in value)
    return True


@pytest.fixture
def recorded(app):
    """The app answering through a ComparingProvider."""
    provider = ComparingProvider(app)
    app.json = provider
    return provider


def test_signet_answers_through_orjson(app):
    assert isinstance(app.json, OrjsonProvider)


def test_both_providers_write_the_same_json_for_every_response_shape(
        recorded, client, user, admin, auth_headers):
    paths = client.get("/openapi.json").get_json()["paths"]
    as_user, as_admin = auth_headers(user), auth_headers(admin)
    upload = client.post("/api/v1/files", headers=as_user, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(image_bytes()), "é.png")})
    assert upload.status_code == 201, upload.get_data(as_text=True)
    tour = [f"/api/v1/files/{upload.get_json()['id']}", f"/api/v1/users/{user.id}",
            "/openapi.json", "/.well-known/openid-configuration", "/.well-known/jwks.json"]
    tour += [path for path, operations in paths.items()
             if "get" in operations and not PARAMETER.search(path)]
    answered = 0
    for path in tour:
        for headers in (as_user, as_admin):
            response = client.get(path, headers=headers)
            answered += response.is_json and response.status_code < 300
    login = client.post("/api/v1/auth/login",
                        json={"email": user.email, "password": "correct horse battery"})
    refresh = client.post("/api/v1/auth/refresh", headers={
        "Authorization": f"Bearer {login.get_json()['refresh_token']}"})
    register = client.post(
        "/api/v1/auth/register", headers=as_admin, content_type="multipart/form-data",
        data={"name": "Zoë Ünïcode", "email": "zoe@example.com",
              "password": "correct horse battery",
              "profileImage": (io.BytesIO(image_bytes()), "z.png")})
    assert (login.status_code, refresh.status_code, register.status_code) == (200, 200, 201)
    assert answered >= 20  # the tour reached the API, not a wall of 401s and 404s
    assert len(recorded.pairs) >= answered
    for body, standard in recorded.pairs:
        assert ordered(body) == ordered(standard)
        assert sorted_everywhere(ordered(body))
        assert body.endswith(b"\n")


class Colour(enum.StrEnum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


@pytest.mark.parametrize("value", [
    UserInfo(sub="1", email="ada@example.com"),  # a dict subclass (the OpenID userinfo)
    {"colour": Colour.RED, "b": [1.5, None, True, -0.0, 10**18]},
    {"when": datetime(2026, 12, 7, 18, 0, tzinfo=UTC), "day": date(2026, 12, 7)},
    {"amount": Decimal("1.10"), "id": uuid.UUID(int=7), "point": Point(1, 2)},
    {"text": "Zoë </script> \u2028"},
])
def test_both_providers_write_the_same_json_for_odd_types(app, value):
    standard = DefaultJSONProvider(app)
    body = app.json.response(value).get_data()
    assert ordered(body) == ordered(standard.response(value).get_data())
    assert ordered(app.json.dumps(value)) == ordered(standard.dumps(value))


def test_asked_options_are_honoured_as_flask_s_provider_honours_them(app, client):
    standard = DefaultJSONProvider(app)
    value = {"b": 1, "a": {"z": [1, 2], "y": None}}

    assert app.json.dumps(value, indent=2, sort_keys=False) == standard.dumps(
        value, indent=2, sort_keys=False)
    # flask-smorest writes the OpenAPI document that way: Swagger UI offers a request
    # body's content types in the document's order (multipart first for registration).
    content = client.get("/openapi.json").get_json()["paths"]["/api/v1/auth/register"][
        "post"]["requestBody"]["content"]
    assert next(iter(content)) == "multipart/form-data"
