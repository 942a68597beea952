"""`flask settings`: print the settings in effect, write their reference."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.settings import settings
from app.settings.base import env_name
from app.settings.build import DOMAINS
from app.settings.reference import write_reference

settings_cli = AppGroup("settings", help="Inspect and document the settings.")


@settings_cli.command("docs")
def docs() -> None:
    """Write docs/configuration.md and .env.example from the settings' fields."""
    docs_path, env_path = write_reference()
    click.echo(f"Wrote {docs_path} and {env_path}.")


@settings_cli.command("show")
def show() -> None:
    """Print every setting in effect (secrets masked)."""
    built = settings()
    for domain, model in DOMAINS.items():
        values = getattr(built, domain)
        for name, field in model.model_fields.items():
            value = getattr(values, name)
            if (field.json_schema_extra or {}).get("secret") and value:
                value = "***"
            click.echo(f"{env_name(field)}={value}")
