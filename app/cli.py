"""Command-line tools: `flask users create-admin`, `flask tokens purge`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from marshmallow import ValidationError

from app.auth.schemas import RegisterForm
from app.auth.service import purge_expired_revocations
from app.exceptions import DomainError
from app.files.cli import files_cli
from app.users.models import Role
from app.users.service import create_user

users_cli = AppGroup("users", help="Manage user accounts.")
tokens_cli = AppGroup("tokens", help="Maintain the token revocation store.")


@users_cli.command("create-admin")
@click.option("--name", required=True, help="Display name.")
@click.option("--email", required=True, help="Login email.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Password (prompted for when omitted).")
def create_admin(name: str, email: str, password: str) -> None:
    """Create an active admin account (createdBy stays null)."""
    try:
        fields = RegisterForm(only=("name", "email", "password")).load(
            {"name": name, "email": email, "password": password}
        )
        user = create_user(**fields, role=Role.ADMIN)
    except ValidationError as error:
        for field, messages in error.messages.items():
            click.echo(f"{field}: {' '.join(messages)}", err=True)
        raise SystemExit(2) from None
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"Created admin {user.email} (id {user.id}).")


@tokens_cli.command("purge")
def purge_tokens() -> None:
    """Delete revocation entries whose tokens have expired anyway (run it from cron)."""
    click.echo(f"Purged {purge_expired_revocations()} expired revoked-token entries.")


def register_cli(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(users_cli)
    app.cli.add_command(files_cli)
    app.cli.add_command(tokens_cli)
