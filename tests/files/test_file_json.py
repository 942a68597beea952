"""The hand-written file JSON (`file_json`) and Marshmallow's dump of FileOut agree."""

from __future__ import annotations

import pytest
from marshmallow import Schema

from app.extensions import db
from app.files.models import File
from app.files.schemas import FILE_JSON_FIELDS, FileOut, FilePage
from app.files.service import list_files


def generic_dump(file) -> dict:
    """FileOut dumped field by field by Marshmallow itself, as before the fast path."""
    return Schema.dump(FileOut(), file)


def stored(owner, number: int, name: str = "note.txt") -> File:
    file = File(path=f"k/{owner.id}/{number}", type="text/plain", original_name=name,
                modified_name=f"{number}-{name}"[:255], size=number * 1000, checksum="0" * 64,
                owner_id=owner.id)
    db.session.add(file)
    db.session.commit()
    return file


@pytest.mark.parametrize("name", ["note.txt", "Zoë \u00e9 \U0001f600.pdf", "a" * 255])
def test_fast_and_generic_dumps_give_the_same_json(app, user, name):
    file = stored(user, 1, name)

    with app.test_request_context():  # content URLs are built with url_for
        fast = FileOut().dump(file)
        assert fast == generic_dump(file)
    assert fast["url"] == f"/api/v1/files/{file.id}/content"


@pytest.mark.parametrize("admin_view", [False, True])
def test_a_listed_page_dumps_like_the_generic_schema(app, users, admin_view):
    owner, admin = users.create(), users.create(role="admin")
    files = [stored(owner, number) for number in range(1, 4)]

    with app.test_request_context():
        page = list_files(viewer=admin if admin_view else owner, limit=2)
        dumped = FilePage().dump(page)
        by_id = {file.id: generic_dump(file) for file in files}

    assert [item["id"] for item in dumped["items"]] == [files[2].id, files[1].id]
    assert dumped["items"] == [by_id[item["id"]] for item in dumped["items"]]
    assert dumped["nextCursor"] is not None


def test_file_out_takes_the_fast_path():
    # Someone adding a field to FileOut must add it to file_json too (or the fast path
    # silently turns off and this fails).
    assert set(FileOut().dump_fields) == FILE_JSON_FIELDS
