"""Command-line tools: each domain's command group (its `cli.py`), attached to the app."""

from __future__ import annotations

from flask import Flask

from app.audit.cli import audit_cli
from app.auth.cli import tokens_cli
from app.files.cli import files_cli
from app.keys.cli import keys_cli
from app.mail.cli import mail_cli
from app.mfa.cli import mfa_cli
from app.settings.cli import settings_cli
from app.users.cli import users_cli


def register_cli(app: Flask) -> None:
    """Attach the command groups to the app."""
    for group in (users_cli, files_cli, tokens_cli, mail_cli, audit_cli, mfa_cli, keys_cli,
                  settings_cli):
        app.cli.add_command(group)
