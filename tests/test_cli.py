"""`flask users create-admin`: creates an active admin with createdBy null, or refuses."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.users.models import Role, User
from tests.helpers import row_count

PASSWORD = "a long admin password"


@pytest.fixture
def cli(app):
    """Invoke a `flask` command against the test app."""
    runner = app.test_cli_runner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(args=list(args), input=input)

    return invoke


def admin_row(db, email: str) -> User | None:
    """The stored account for `email`, read fresh from the database."""
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_create_admin_with_password_option(cli, db, client):
    result = cli("users", "create-admin", "--name", "Root", "--email", "Root@Example.com",
                 "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    assert "root@example.com" in result.output
    admin = admin_row(db, "root@example.com")
    assert admin.role is Role.ADMIN
    assert admin.is_active is True
    assert admin.created_by is None and admin.updated_by is None
    assert admin.profile_image_id is None
    assert PASSWORD not in result.output and admin.password_hash not in result.output

    login = client.post("/api/v1/auth/login",
                        json={"email": "root@example.com", "password": PASSWORD})
    assert login.status_code == 200
    me = client.get("/api/v1/auth/me",
                    headers={"Authorization": f"Bearer {login.get_json()['access_token']}"})
    assert me.get_json()["role"] == "admin"
    assert me.get_json()["createdBy"] is None


def test_create_admin_prompts_for_the_password_twice(cli, db):
    result = cli("users", "create-admin", "--name", "Root", "--email", "root@example.com",
                 input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert admin_row(db, "root@example.com").role is Role.ADMIN


def test_mismatched_confirmation_is_asked_again(cli, db, client):
    result = cli("users", "create-admin", "--name", "Root", "--email", "root@example.com",
                 input=f"something else\n{PASSWORD}\n{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    # The pair that matched is the password, not the first value typed.
    login = client.post("/api/v1/auth/login",
                        json={"email": "root@example.com", "password": PASSWORD})
    assert login.status_code == 200


@pytest.mark.parametrize(("args", "field"), [
    (["--name", "Root", "--email", "not-an-email", "--password", PASSWORD], "email"),
    (["--name", "   ", "--email", "root@example.com", "--password", PASSWORD], "name"),
    (["--name", "Root", "--email", "root@example.com", "--password", "short"], "password"),
])
def test_invalid_input_exits_non_zero_and_creates_nothing(cli, args, field):
    result = cli("users", "create-admin", *args)

    assert result.exit_code != 0
    assert field in result.output
    assert row_count("users") == 0


@pytest.mark.parametrize("email", ["ada@example.com", "ADA@Example.com"])
def test_duplicate_email_exits_non_zero(cli, user, email):
    result = cli("users", "create-admin", "--name", "Again", "--email", email,
                 "--password", PASSWORD)

    assert result.exit_code != 0
    assert "already exists" in result.output
    assert row_count("users") == 1


def test_missing_name_is_a_usage_error(cli):
    result = cli("users", "create-admin", "--email", "root@example.com",
                 "--password", PASSWORD)

    assert result.exit_code == 2
    assert row_count("users") == 0
