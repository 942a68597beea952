"""GET /api/v1/users/{id}: admins see anyone, users see themselves, others get 404."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem

USER_KEYS = {"id", "name", "email", "isActive", "role", "profileImageId", "profileImageUrl",
             "createdBy", "updatedBy", "createdAt", "updatedAt", "emailVerified", "mfaEnabled",
             "hasPassword",
             "storageUsed", "storageQuota"}


def url(user_id) -> str:
    """The resource path of one user."""
    return f"/api/v1/users/{user_id}"


def test_user_sees_themselves(client, user, auth_headers):
    response = client.get(url(user.id), headers=auth_headers(user))

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == USER_KEYS
    assert body["id"] == user.id
    assert body["createdBy"] is None  # made by the factory, not by anyone


def test_admin_sees_anyone_including_inactive_users(client, admin, users, auth_headers):
    sleeper = users.create(is_active=False)

    response = client.get(url(sleeper.id), headers=auth_headers(admin))

    assert response.status_code == 200
    assert response.get_json()["isActive"] is False


def test_user_cannot_see_another_user(client, user, users, auth_headers):
    other = users.create()

    body = assert_problem(client.get(url(other.id), headers=auth_headers(user)), 404)
    assert other.email not in str(body)


def test_not_found_answers_the_same_for_missing_and_forbidden(client, user, users,
                                                              auth_headers):
    other = users.create()

    hidden = client.get(url(other.id), headers=auth_headers(user))
    missing = client.get(url(other.id + 1000), headers=auth_headers(user))

    assert_problem(hidden, 404)
    assert hidden.get_data() == missing.get_data()


def test_admin_asking_for_an_unknown_id_is_404(client, admin, auth_headers):
    assert_problem(client.get(url(admin.id + 1000), headers=auth_headers(admin)), 404)


@pytest.mark.parametrize("user_id", ["abc", "-1", "1.5"])
def test_non_integer_id_is_404(client, admin, auth_headers, user_id):
    assert_problem(client.get(url(user_id), headers=auth_headers(admin)), 404)


def test_anonymous_request_is_401(client, user):
    response = client.get(url(user.id))

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_registered_user_is_readable_at_its_location(client):
    created = client.post("/api/v1/auth/register", json={
        "name": "Alan", "email": "alan@example.com", "password": "enigma-machine"})
    token = client.post("/api/v1/auth/login", json={
        "email": "alan@example.com", "password": "enigma-machine"}).get_json()["access_token"]

    response = client.get(created.headers["Location"],
                          headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.get_json() == created.get_json()


@pytest.mark.parametrize("user_id", ["2147483648", "9223372036854775808",
                                     "99999999999999999999"])
def test_id_beyond_the_column_range_is_404_not_an_overflow(client, admin, auth_headers,
                                                           user_id):
    assert_problem(client.get(url(user_id), headers=auth_headers(admin)), 404)
