"""Blank form parts as Swagger UI and HTML forms send them: "not given", never an error."""

from __future__ import annotations

from tests.helpers import assert_problem, row_count

FIELDS = {"name": "Blank Parts", "email": "blank@example.com", "password": "empty-fields-ok-1"}


def test_blank_role_and_blank_image_text_part_register_a_plain_user(client):
    response = client.post("/api/v1/auth/register", content_type="multipart/form-data",
                           data={**FIELDS, "role": "", "profile_image": ""})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["role"] == "user"
    assert response.get_json()["profileImageId"] is None
    assert row_count("files") == 0


def test_role_null_string_is_still_refused(client):
    body = assert_problem(client.post("/api/v1/auth/register", data={**FIELDS, "role": "null"}),
                          422)
    assert "role" in body["errors"]


def test_openapi_offers_no_default_role(client):
    role = client.get("/openapi.json").get_json()[
        "components"]["schemas"]["RegisterForm"]["properties"]["role"]
    assert "default" not in role


def test_blank_required_file_part_is_a_missing_field(client, user, auth_headers):
    response = client.post("/api/v1/files", headers=auth_headers(user),
                           content_type="multipart/form-data", data={"file": ""})
    body = assert_problem(response, 422)
    assert body["errors"] == {"file": ["Missing data for required field."]}
