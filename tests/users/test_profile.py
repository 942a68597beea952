"""PATCH /api/v1/auth/me: name and profile image, replaced without leaving anything behind.

It lives with the files tests so that it runs on both storage backends.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.files.models import File
from app.users.models import User
from tests.factories import gps_exif, has_exif, image_bytes
from tests.helpers import assert_problem, row_count

pytestmark = pytest.mark.all_storage_backends

URL = "/api/v1/auth/me"


@pytest.fixture
def patch_me(client, auth_headers):
    """`patch_me(user, **fields)` sends a multipart PATCH; `json=` sends JSON instead."""

    def send(account, json=None, content_type="multipart/form-data", headers=None, **fields):
        if headers is None:  # signing in writes a session row: pass headers to avoid it
            headers = auth_headers(account) if account is not None else {}
        if json is not None:
            return client.patch(URL, json=json, headers=headers)
        return client.patch(URL, data=fields, headers=headers, content_type=content_type)

    return send


def image_part(data: bytes | None = None, name: str = "me.png"):
    return (io.BytesIO(data if data is not None else image_bytes("PNG")), name)


def reload(db, user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.mark.parametrize("encoding", ["json", "urlencoded", "multipart"])
def test_name_change_sets_updated_by_self(patch_me, users, admin, db, encoding):
    user = users.create(name="Old Name")
    user.created_by = user.updated_by = admin.id
    user.updated_at = datetime(2020, 1, 1, tzinfo=UTC)
    db.session.commit()

    if encoding == "json":
        response = patch_me(user, json={"name": "  New Name  "})
    else:
        response = patch_me(user, name="  New Name  ", content_type={
            "urlencoded": "application/x-www-form-urlencoded",
            "multipart": "multipart/form-data"}[encoding])

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["name"] == "New Name"
    assert body["updatedBy"] == user.id
    assert body["createdBy"] == admin.id
    assert body["updatedAt"] > "2020-01-01T00:00:00+00:00"
    assert "password" not in body
    stored = reload(db, user)
    assert (stored.name, stored.updated_by) == ("New Name", user.id)


def test_first_profile_image_is_stored_without_metadata(patch_me, user, db, blobs, client,
                                                        auth_headers):
    response = patch_me(user, profile_image=image_part(image_bytes("JPEG", exif=gps_exif()),
                                                      "phone.jpg"))

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    image = db.session.get(File, body["profileImageId"])
    assert (image.owner_id, image.type, image.original_name) == (user.id, "image/jpeg",
                                                                 "phone.jpg")
    assert body["profileImageUrl"] == f"/api/v1/files/{image.id}/content"
    assert blobs() == {image.path}
    served = client.get(body["profileImageUrl"], headers=auth_headers(user)).get_data()
    assert not has_exif(served)


def test_replacing_the_image_removes_the_old_row_and_bytes(patch_me, user, db, blobs):
    old_id = patch_me(user, profile_image=image_part()).get_json()["profileImageId"]
    old_path = db.session.get(File, old_id).path

    response = patch_me(user, profile_image=image_part(image_bytes("GIF"), "new.gif"))

    assert response.status_code == 200
    new_id = response.get_json()["profileImageId"]
    assert new_id != old_id
    db.session.expire_all()
    assert db.session.get(File, old_id) is None
    new = db.session.get(File, new_id)
    assert new.type == "image/gif"
    assert blobs() == {new.path}
    assert old_path not in blobs()


def test_name_and_image_change_together(patch_me, user, db):
    response = patch_me(user, name="Ada King", profile_image=image_part())

    body = response.get_json()
    assert response.status_code == 200
    assert body["name"] == "Ada King" and body["profileImageId"] is not None


def test_blank_file_input_and_no_fields_change_nothing(patch_me, user, db, blobs):
    old_id = patch_me(user, profile_image=image_part()).get_json()["profileImageId"]

    response = patch_me(user, profile_image=(io.BytesIO(b""), ""))

    assert response.status_code == 200
    assert response.get_json()["profileImageId"] == old_id
    assert len(blobs()) == 1


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 256}, "name"),
    ({"profile_image": lambda: image_part(b"just text, not an image", "x.png")},
     "profile_image"),
    ({"profile_image": lambda: image_part(b"%PDF-1.4\n%%EOF\n", "x.jpg")}, "profile_image"),
])
def test_invalid_field_is_422_and_the_old_image_stays(patch_me, user, db, blobs, fields,
                                                      field):
    old_id = patch_me(user, profile_image=image_part()).get_json()["profileImageId"]
    before = blobs()

    fresh = {key: value() if callable(value) else value for key, value in fields.items()}
    body = assert_problem(patch_me(user, **fresh), 422)

    assert field in body["errors"]
    stored = reload(db, user)
    assert stored.profile_image_id == old_id and stored.name == "Ada Lovelace"
    assert blobs() == before
    assert row_count("files") == 1


@pytest.mark.parametrize("json", [{"name": None}, {"profile_image": "aGVsbG8="}])
def test_invalid_json_field_is_422(patch_me, user, json):
    assert_problem(patch_me(user, json=json), 422)


def test_image_over_the_profile_limit_is_413(app_config, request):
    app_config["PROFILE_IMAGE_MAX_BYTES"] = 100
    patch_me = request.getfixturevalue("patch_me")
    blobs = request.getfixturevalue("blobs")

    response = patch_me(request.getfixturevalue("user"),
                        profile_image=image_part(image_bytes("PNG", (64, 64))))

    assert "profile_image" in assert_problem(response, 413)["errors"]
    assert blobs() == set()
    assert row_count("files") == 0


def test_without_token_is_401(patch_me, user, blobs):
    assert_problem(patch_me(None, name="Mallory", profile_image=image_part()), 401)
    assert blobs() == set()


def test_failed_commit_keeps_the_old_image_and_leaves_no_new_bytes(patch_me, user, db,
                                                                   blobs, auth_headers):
    headers = auth_headers(user)  # sign in (a session row) before writes are refused
    old_id = patch_me(user, profile_image=image_part(), headers=headers
                      ).get_json()["profileImageId"]
    before = blobs()

    def refuse(session, flush_context):
        raise RuntimeError("the database refused the write")

    event.listen(Session, "after_flush", refuse)
    try:
        response = patch_me(user, name="Nope", profile_image=image_part(image_bytes("GIF")),
                            headers=headers)
    finally:
        event.remove(Session, "after_flush", refuse)

    assert_problem(response, 500)
    stored = reload(db, user)
    assert stored.profile_image_id == old_id and stored.name == "Ada Lovelace"
    assert blobs() == before
    assert row_count("files") == 1


@pytest.mark.parametrize(("payload", "field", "says"), [
    ({"email": "new@example.com"}, "email", "/api/v1/auth/email/change"),
    ({"nmae": "Typo"}, "nmae", "Unknown field"),
    ({"name": "Fine", "role": "admin"}, "role", "Only an admin"),
])
def test_a_field_this_endpoint_does_not_change_is_422_naming_it(patch_me, db, user, payload,
                                                                 field, says):
    before = (user.name, user.email, user.role)

    body = assert_problem(patch_me(user, json=payload), 422)

    assert list(body["errors"]) == [field]
    assert says in body["errors"][field][0]
    reloaded = reload(db, user)
    assert (reloaded.name, reloaded.email, reloaded.role) == before


def test_an_unknown_form_field_is_422_too_but_not_the_forms_own(patch_me, db, user):
    refused = patch_me(user, nmae="Typo", content_type="application/x-www-form-urlencoded")
    assert assert_problem(refused, 422)["errors"] == {"nmae": [
        "Unknown field: this endpoint changes only name and profile_image."]}
    accepted = patch_me(user, name="Kept", next="/profile",
                        content_type="application/x-www-form-urlencoded")
    assert accepted.status_code == 200
    assert reload(db, user).name == "Kept"
