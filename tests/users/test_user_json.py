"""The hand-written user JSON (`user_json`) and Marshmallow's dump of UserOut agree."""

from __future__ import annotations

import pytest
from marshmallow import Schema, fields

from app.extensions import db
from app.files.models import File
from app.users.schemas import USER_JSON_FIELDS, UserOut, UserPage, user_json


def generic_dump(user) -> dict:
    """UserOut dumped field by field by Marshmallow itself, as before the fast path."""
    return Schema.dump(UserOut(), user)


def image_for(user) -> File:
    file = File(path=f"k/{user.id}.png", type="image/png", original_name="me.png",
                modified_name=f"{user.id}-me.png", size=10, checksum="0" * 64,
                owner_id=user.id)
    db.session.add(file)
    db.session.flush()
    return file


@pytest.mark.parametrize("role", ["user", "admin"])
@pytest.mark.parametrize("is_active", [True, False])
@pytest.mark.parametrize("with_image", [True, False])
@pytest.mark.parametrize("authored", [True, False])
def test_fast_and_generic_dumps_give_the_same_json(app, users, role, is_active, with_image,
                                                    authored):
    creator = users.create(role="admin")
    user = users.create(role=role, is_active=is_active, name="Zoë \u00e9 \U0001f600")
    if with_image:
        user.profile_image_id = image_for(user).id
    if authored:
        user.created_by = user.updated_by = creator.id
    db.session.commit()

    with app.test_request_context():  # image URLs are built with url_for
        fast = UserOut().dump(user)
        assert fast == generic_dump(user)
        assert fast == user_json(user)
    assert (fast["profileImageUrl"] is None) is (not with_image)
    assert (fast["createdBy"] is None) is (not authored)


def test_a_page_of_users_dumps_like_the_generic_schema(users):
    people = [users.create(role="admin"), users.create(is_active=False), users.create()]
    page = {"items": people, "next_cursor": None}

    assert UserPage().dump(page)["items"] == [generic_dump(user) for user in people]


def test_user_out_takes_the_fast_path():
    # Someone adding a field to UserOut must add it to user_json too (or the fast path
    # silently turns off and this fails).
    assert set(UserOut().dump_fields) == USER_JSON_FIELDS


def test_a_schema_with_a_field_user_json_lacks_falls_back_to_the_generic_dump(user):
    class Wider(UserOut):
        shout = fields.Function(lambda u: u.name.upper())

    assert Wider().dump(user)["shout"] == user.name.upper()
    assert "email" not in UserOut(exclude=("email",)).dump(user)
