"""Who may list, read and delete which file; keyset pagination of the listing."""

from __future__ import annotations

import pytest

from app.files.models import File
from app.pagination import encode_cursor
from app.users.models import User
from tests.factories import image_bytes
from tests.helpers import assert_problem, row_count

pytestmark = pytest.mark.all_storage_backends

URL = "/api/v1/files"
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def other(users):
    """A second regular user."""
    return users.create(name="Charles Babbage", email="charles@example.com")


@pytest.fixture
def file_of(upload):
    """`file_of(user)` uploads a PDF as `user` and returns its JSON."""

    def put(account, name: str = "doc.pdf") -> dict:
        response = upload(account, PDF, name)
        assert response.status_code == 201
        return response.get_json()

    return put


@pytest.fixture
def profile_image_of(client, auth_headers):
    """`profile_image_of(user)` gives `user` a profile image via PATCH /auth/me."""
    from io import BytesIO

    def put(account) -> int:
        response = client.patch(
            "/api/v1/auth/me", headers=auth_headers(account),
            data={"profile_image": (BytesIO(image_bytes("PNG")), "me.png")},
            content_type="multipart/form-data")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["profileImageId"]

    return put


@pytest.mark.parametrize("suffix", ["", "/content"])
def test_owner_and_admin_read_a_private_file(client, auth_headers, user, admin, file_of,
                                             suffix):
    file = file_of(user)

    for reader in (user, admin):
        response = client.get(f"{URL}/{file['id']}{suffix}", headers=auth_headers(reader))
        assert response.status_code == 200
    assert client.get(f"{URL}/{file['id']}", headers=auth_headers(user)).get_json() == file


@pytest.mark.parametrize("suffix", ["", "/content"])
def test_another_users_private_file_is_404_like_a_missing_one(client, auth_headers, user,
                                                              other, file_of, suffix):
    file = file_of(user)

    hidden = assert_problem(
        client.get(f"{URL}/{file['id']}{suffix}", headers=auth_headers(other)), 404)
    missing = assert_problem(
        client.get(f"{URL}/{file['id'] + 1000}{suffix}", headers=auth_headers(other)), 404)
    assert hidden == missing


@pytest.mark.parametrize("suffix", ["", "/content"])
def test_a_profile_image_is_readable_by_anyone_signed_in(client, auth_headers, user, other,
                                                         profile_image_of, suffix):
    image_id = profile_image_of(user)

    response = client.get(f"{URL}/{image_id}{suffix}", headers=auth_headers(other))

    assert response.status_code == 200


@pytest.mark.parametrize(("method", "suffix"), [
    ("get", ""), ("get", "/content"), ("delete", ""), ("get", "?"), ("post", "?")])
def test_every_files_endpoint_needs_a_token(client, user, file_of, method, suffix):
    file = file_of(user)
    url = URL if suffix == "?" else f"{URL}/{file['id']}{suffix}"

    assert_problem(getattr(client, method)(url), 401)


def test_owner_deletes_row_and_bytes(client, auth_headers, user, file_of, blobs, db):
    file = file_of(user)
    assert len(blobs()) == 1

    response = client.delete(f"{URL}/{file['id']}", headers=auth_headers(user))

    assert response.status_code == 204
    assert response.get_data() == b""
    assert db.session.get(File, file["id"]) is None
    assert blobs() == set()
    assert_problem(client.get(f"{URL}/{file['id']}", headers=auth_headers(user)), 404)


def test_admin_deletes_anyones_file(client, auth_headers, user, admin, file_of, blobs):
    file = file_of(user)

    assert client.delete(f"{URL}/{file['id']}", headers=auth_headers(admin)).status_code == 204
    assert row_count("files") == 0
    assert blobs() == set()


def test_deleting_another_users_private_file_is_404(client, auth_headers, user, other,
                                                    file_of, blobs):
    file = file_of(user)

    assert_problem(client.delete(f"{URL}/{file['id']}", headers=auth_headers(other)), 404)
    assert_problem(client.delete(f"{URL}/99999", headers=auth_headers(other)), 404)
    assert row_count("files") == 1
    assert len(blobs()) == 1


def test_deleting_someone_elses_visible_profile_image_is_403(client, auth_headers, user,
                                                             other, profile_image_of, db):
    image_id = profile_image_of(user)

    assert_problem(client.delete(f"{URL}/{image_id}", headers=auth_headers(other)), 403)
    db.session.expire_all()
    assert db.session.get(User, user.id).profile_image_id == image_id


@pytest.mark.parametrize("deleter", ["owner", "admin"])
def test_deleting_a_profile_image_clears_profile_image_id(client, auth_headers, user, admin,
                                                          profile_image_of, blobs, db,
                                                          deleter):
    image_id = profile_image_of(user)
    caller = user if deleter == "owner" else admin

    assert client.delete(f"{URL}/{image_id}", headers=auth_headers(caller)).status_code == 204

    db.session.expire_all()
    assert db.session.get(User, user.id).profile_image_id is None
    me = client.get("/api/v1/auth/me", headers=auth_headers(user)).get_json()
    assert me["profileImageId"] is None and me["profileImageUrl"] is None
    assert blobs() == set()


def test_listing_shows_own_files_newest_first_and_admin_sees_all(client, auth_headers, user,
                                                                 other, admin, file_of):
    mine = [file_of(user, f"{n}.pdf")["id"] for n in range(3)]
    theirs = [file_of(other)["id"]]

    own = client.get(URL, headers=auth_headers(user)).get_json()
    everything = client.get(URL, headers=auth_headers(admin)).get_json()

    assert [item["id"] for item in own["items"]] == mine[::-1]
    assert own["nextCursor"] is None
    assert [item["id"] for item in everything["items"]] == sorted(mine + theirs, reverse=True)
    assert set(own["items"][0]) == {"id", "originalName", "modifiedName", "type", "size",
                                    "url", "createdAt"}


def test_keyset_pages_cover_every_file_once(client, auth_headers, user, file_of):
    ids = [file_of(user)["id"] for _ in range(5)]
    seen, cursor, pages = [], None, 0

    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(URL, query_string=query, headers=auth_headers(user)).get_json()
        pages += 1
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break

    assert seen == sorted(ids, reverse=True)
    assert pages == 3


def test_a_file_deleted_between_pages_does_not_break_the_listing(client, auth_headers, user,
                                                                  file_of):
    ids = [file_of(user)["id"] for _ in range(4)]
    first = client.get(URL, query_string={"limit": 2}, headers=auth_headers(user)).get_json()
    client.delete(f"{URL}/{ids[-2]}", headers=auth_headers(user))

    second = client.get(URL, query_string={"limit": 2, "cursor": first["nextCursor"]},
                        headers=auth_headers(user)).get_json()

    assert [item["id"] for item in second["items"]] == [ids[1], ids[0]]


@pytest.mark.parametrize(("query", "field"), [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": "ten"}, "limit"),
    ({"cursor": "not-a-cursor"}, "cursor"), ({"cursor": "dXNlcnM6MQ"}, "cursor"),
    ({"cursor": encode_cursor(10**20)}, "cursor"),
])
def test_bad_limit_or_cursor_is_422(client, auth_headers, user, query, field):
    response = client.get(URL, query_string=query, headers=auth_headers(user))

    assert field in assert_problem(response, 422)["errors"]


@pytest.mark.parametrize("limit", [1, 100])
def test_limit_bounds_are_accepted(client, auth_headers, user, file_of, limit):
    file_of(user)
    file_of(user)

    page = client.get(URL, query_string={"limit": limit}, headers=auth_headers(user))

    assert page.status_code == 200
    assert len(page.get_json()["items"]) == min(limit, 2)


@pytest.mark.parametrize("storage_backend", ["local"])  # the route refuses: no storage
@pytest.mark.parametrize("file_id", ["2147483648", "9223372036854775808",
                                     "99999999999999999999"])
@pytest.mark.parametrize(("method", "suffix"), [
    ("get", ""), ("get", "/content"), ("delete", "")])
def test_id_beyond_the_column_range_is_404_not_an_overflow(client, auth_headers, admin,
                                                           file_id, method, suffix,
                                                           storage_backend):
    response = getattr(client, method)(f"{URL}/{file_id}{suffix}",
                                       headers=auth_headers(admin))

    assert_problem(response, 404)
