"""POST /api/v1/auth/register: every status code of the contract, on a real database."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from app.files.models import File
from app.users.models import Role, User
from tests.account.registration import (
    STORED_NAME,
    URL,
    USER_KEYS,
    assert_nothing_stored,
    fields,
    with_image,
)
from tests.factories import (
    image_bytes,
    noise_image_bytes,
    png_claiming_size,
)
from tests.helpers import assert_problem, row_count, stored_blobs

# --- 201 ---------------------------------------------------------------------------


def test_self_registration_with_image_returns_user_and_location(client, db, upload_dir):
    response = client.post(URL, data=with_image(image_bytes("PNG")),
                           content_type="multipart/form-data")

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == USER_KEYS
    assert response.headers["Location"] == f"/api/v1/users/{body['id']}"
    assert body["name"] == "Alan Turing"
    assert body["email"] == "alan@example.com"
    assert body["role"] == "user"
    assert body["isActive"] is True
    assert body["createdBy"] == body["updatedBy"] == body["id"]
    assert body["profileImageUrl"] == f"/api/v1/files/{body['profileImageId']}/content"
    for stamp in ("createdAt", "updatedAt"):
        assert datetime.fromisoformat(body[stamp]).utcoffset().total_seconds() == 0
        assert body[stamp].endswith("+00:00")

    user = db.session.get(User, body["id"])
    stored = db.session.get(File, body["profileImageId"])
    assert user.profile_image_id == stored.id
    assert stored.owner_id == user.id
    assert stored.type == "image/png"
    assert stored.original_name == "me.png"
    assert STORED_NAME.match(stored.modified_name)
    [blob] = stored_blobs(upload_dir)
    assert blob.name == stored.modified_name
    assert blob.stat().st_size == stored.size


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded", "json"])
def test_every_body_encoding_registers(client, encoding):
    body = fields()
    if encoding == "json":
        response = client.post(URL, json=body)
    else:
        content_type = ("multipart/form-data" if encoding == "multipart"
                        else "application/x-www-form-urlencoded")
        response = client.post(URL, data=body, content_type=content_type)

    assert response.status_code == 201
    assert response.get_json()["profileImageId"] is None
    assert response.get_json()["profileImageUrl"] is None


def test_email_is_stored_lower_cased_and_name_trimmed(client, db):
    response = client.post(URL, json=fields(email="Alan@Example.COM", name="  Alan  "))

    assert response.status_code == 201
    assert response.get_json()["email"] == "alan@example.com"
    assert db.session.get(User, response.get_json()["id"]).name == "Alan"


@pytest.mark.parametrize("override", [
    {"name": "x" * 255},
    {"name": "é" * 255},
    {"name": "😀" * 255},  # four-byte characters: utf8mb4 on MariaDB
    {"password": "p" * 8},
    {"password": "p" * 128},
])
def test_boundary_values_are_accepted(client, override):
    assert client.post(URL, json=fields(**override)).status_code == 201


def test_empty_file_input_means_no_image(client, upload_dir):
    body = {**fields(), "profile_image": (io.BytesIO(b""), "")}

    response = client.post(URL, data=body, content_type="multipart/form-data")

    assert response.status_code == 201
    assert response.get_json()["profileImageId"] is None
    assert row_count("files") == 0
    assert stored_blobs(upload_dir) == []


def test_admin_registers_someone_with_a_role(client, admin, auth_headers, db):
    response = client.post(URL, json=fields(role="admin"), headers=auth_headers(admin))

    assert response.status_code == 201
    body = response.get_json()
    assert body["role"] == "admin"
    assert body["createdBy"] == body["updatedBy"] == admin.id
    assert db.session.get(User, body["id"]).role is Role.ADMIN


def test_admin_registration_defaults_to_user_role(client, admin, auth_headers):
    response = client.post(URL, data=fields(), headers=auth_headers(admin))

    assert response.status_code == 201
    assert response.get_json()["role"] == "user"


def test_anonymous_may_ask_for_the_user_role(client):
    response = client.post(URL, json=fields(role="user"))

    assert response.status_code == 201
    assert response.get_json()["role"] == "user"


# --- 409 -----------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["ada@example.com", "ADA@EXAMPLE.COM", "Ada@Example.com"])
def test_case_variant_duplicate_email_is_409(client, user, upload_dir, variant):
    response = client.post(URL, data=with_image(image_bytes("PNG"), email=variant),
                           content_type="multipart/form-data")

    body = assert_problem(response, 409)
    assert "email" in body["errors"]
    assert_nothing_stored(upload_dir, users_before=1)


# --- 422 -----------------------------------------------------------------------------


@pytest.mark.parametrize(("override", "field"), [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 256}, "name"),
    ({"name": None}, "name"),
    ({"name": "Ada\x00Lovelace"}, "name"),
    ({"name": "Ada\nLovelace"}, "name"),
    ({"email": "not-an-email"}, "email"),
    ({"email": "alan@"}, "email"),
    ({"email": "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"}, "email"),
    ({"email": None}, "email"),
    ({"password": "p" * 7}, "password"),
    ({"password": "p" * 129}, "password"),
    ({"password": None}, "password"),
    ({"role": "superuser"}, "role"),
])
@pytest.mark.parametrize("encoding", ["urlencoded", "json"])
def test_each_invalid_field_is_a_422_naming_that_field(client, upload_dir, override, field,
                                                       encoding):
    body = fields(**override)
    response = client.post(URL, json=body) if encoding == "json" else client.post(URL, data=body)

    problem = assert_problem(response, 422)
    assert set(problem["errors"]) == {field}
    assert problem["errors"][field]
    assert_nothing_stored(upload_dir)


def test_several_invalid_fields_are_reported_together(client):
    response = client.post(URL, json={"name": " ", "email": "nope", "password": "short"})

    problem = assert_problem(response, 422)
    assert set(problem["errors"]) == {"name", "email", "password"}


@pytest.mark.parametrize(("data", "filename"), [
    (b"just some text, not an image\n", "x.png"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "doc.jpg"),
    (image_bytes("PNG")[:40], "truncated.png"),
    (b"", "empty-but-named.png"),
    (image_bytes("BMP"), "bitmap.bmp"),
])
def test_bytes_that_are_not_an_accepted_image_are_a_422_on_profile_image(client, upload_dir,
                                                                         data, filename):
    response = client.post(URL, data=with_image(data, filename),
                           content_type="multipart/form-data")

    problem = assert_problem(response, 422)
    assert set(problem["errors"]) == {"profile_image"}
    assert_nothing_stored(upload_dir)


@pytest.mark.parametrize("size", [(100_000, 100_000), (10_000, 10_000), (7_000, 7_000)])
def test_decompression_bomb_header_is_a_422(client, upload_dir, size):
    response = client.post(URL, data=with_image(png_claiming_size(*size), "bomb.png"),
                           content_type="multipart/form-data")

    problem = assert_problem(response, 422)
    assert set(problem["errors"]) == {"profile_image"}
    assert_nothing_stored(upload_dir)


def test_profile_image_sent_as_text_is_a_422(client):
    response = client.post(URL, json=fields(profile_image="aGVsbG8="))

    assert set(assert_problem(response, 422)["errors"]) == {"profile_image"}


# --- 413 -----------------------------------------------------------------------------


@pytest.fixture
def small_image_limit(app_config):
    app_config["PROFILE_IMAGE_MAX_BYTES"] = 2048


def test_image_over_the_profile_limit_is_413(small_image_limit, client, upload_dir):
    data = noise_image_bytes("PNG", (64, 64))
    assert len(data) > 2048

    response = client.post(URL, data=with_image(data), content_type="multipart/form-data")

    problem = assert_problem(response, 413)
    assert "profile_image" in problem["errors"]
    assert_nothing_stored(upload_dir)


def test_image_at_the_profile_limit_is_accepted(small_image_limit, client):
    data = noise_image_bytes("PNG", (16, 16))
    assert len(data) <= 2048

    response = client.post(URL, data=with_image(data), content_type="multipart/form-data")

    assert response.status_code == 201


@pytest.mark.parametrize("content_type", ["multipart/form-data",
                                          "application/x-www-form-urlencoded"])
def test_megabyte_long_text_field_is_413(client, upload_dir, content_type):
    response = client.post(URL, data=fields(name="x" * 1_000_000), content_type=content_type)

    assert_problem(response, 413)
    assert_nothing_stored(upload_dir)


@pytest.mark.parametrize("content_type", ["multipart/form-data",
                                          "application/x-www-form-urlencoded"])
def test_form_with_thousands_of_parts_is_413(client, upload_dir, content_type):
    body = {**fields(), **{f"field{i}": "v" for i in range(5000)}}

    response = client.post(URL, data=body, content_type=content_type)

    assert_problem(response, 413)
    assert_nothing_stored(upload_dir)


# --- 403 and 401 ---------------------------------------------------------------------


def test_anonymous_caller_asking_for_admin_is_403(client, upload_dir):
    response = client.post(URL, json=fields(role="admin"))

    assert_problem(response, 403)
    assert_nothing_stored(upload_dir)


def test_signed_in_non_admin_cannot_register_anyone(client, user, auth_headers, upload_dir):
    response = client.post(URL, data=with_image(image_bytes("PNG")),
                           content_type="multipart/form-data", headers=auth_headers(user))

    assert_problem(response, 403)
    assert_nothing_stored(upload_dir, users_before=1)


def test_inactive_admin_token_is_refused(client, users, auth_headers, db):
    admin = users.create(role="admin")
    headers = auth_headers(admin)
    admin.is_active = False
    db.session.commit()

    response = client.post(URL, json=fields(role="admin"), headers=headers)

    assert_problem(response, 401)
    assert row_count("users") == 1


@pytest.mark.parametrize("authorization", [
    "Bearer not-a-token",
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
])
def test_invalid_token_on_register_is_401_not_anonymous(client, upload_dir, authorization):
    response = client.post(URL, json=fields(), headers={"Authorization": authorization})

    assert_problem(response, 401)
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert_nothing_stored(upload_dir)


class TestSelfRegistrationOff:
    """ALLOW_SELF_REGISTRATION=false: only admins create accounts."""

    @pytest.fixture(autouse=True)
    def _closed(self, app_config):
        app_config["ALLOW_SELF_REGISTRATION"] = False

    def test_anonymous_registration_is_403(self, client, upload_dir):
        response = client.post(URL, data=with_image(image_bytes("PNG")),
                               content_type="multipart/form-data")

        assert_problem(response, 403)
        assert_nothing_stored(upload_dir)

    def test_admin_can_still_register(self, client, admin, auth_headers):
        response = client.post(URL, json=fields(), headers=auth_headers(admin))

        assert response.status_code == 201
        assert response.get_json()["createdBy"] == admin.id


def test_lone_surrogate_in_a_json_field_is_400(client, upload_dir):
    raw = '{"name": "\\udc80x", "email": "alan@example.com", "password": "enigma-machine"}'

    response = client.post(URL, data=raw, content_type="application/json")

    assert_problem(response, 400)
    assert_nothing_stored(upload_dir)


@pytest.mark.parametrize(("first", "second"), [
    ("josé@example.com", "jose@example.com"),
    ("strasse@example.com", "straße@example.com"),
])
def test_emails_differing_beyond_case_are_different_accounts(client, first, second):
    # MySQL's default collation would equate them; the contract only ignores case.
    for email in (first, second):
        response = client.post(URL, json=fields(email=email))
        assert response.status_code == 201, response.get_data(as_text=True)
        assert response.get_json()["email"] == email

    assert client.post(URL, json=fields(email=second.upper())).status_code == 409


@pytest.fixture
def small_body_limit(app_config):
    app_config["MAX_CONTENT_LENGTH"] = 4096


def test_body_over_max_content_length_is_413(small_body_limit, client, upload_dir):
    data = noise_image_bytes("PNG", (64, 64))
    assert len(data) > 4096

    response = client.post(URL, data=with_image(data), content_type="multipart/form-data")

    assert_problem(response, 413)
    assert_nothing_stored(upload_dir)
