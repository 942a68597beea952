"""`flask users create-admin`: the first admin account, from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from marshmallow import ValidationError

from app.exceptions import DomainError
from app.users.models import Role
from app.users.schemas import UserCreateForm
from app.users.service import create_user

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create-admin")
@click.option("--name", required=True, help="Display name.")
@click.option("--email", required=True, help="Login email.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Password (prompted for when omitted).")
def create_admin(name: str, email: str, password: str) -> None:
    """Create an active admin account (createdBy stays null)."""
    try:
        fields = UserCreateForm().load({"name": name, "email": email, "password": password})
        # Whoever runs the command typed the address and the password: nothing to prove.
        user = create_user(**fields, role=Role.ADMIN, email_verified=True)
    except ValidationError as error:
        for field, messages in error.messages.items():
            click.echo(f"{field}: {' '.join(messages)}", err=True)
        raise SystemExit(2) from None
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"Created admin {user.email} (id {user.id}).")
