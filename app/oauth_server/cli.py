"""`flask oauth create-client`: register an application from the command line."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.oauth_server.clients import create_client
from app.oauth_server.models import CONFIDENTIAL, PUBLIC
from app.users.models import Role, User

oauth_cli = AppGroup("oauth", help="OpenID Provider: applications that sign in with Signet.")


@oauth_cli.command("create-client")
@click.option("--name", required=True)
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True,
              help="Exact redirect URI (repeat for several).")
@click.option("--type", "client_type", type=click.Choice([PUBLIC, CONFIDENTIAL]),
              default=CONFIDENTIAL, show_default=True)
@click.option("--scope", "scopes", multiple=True, default=("openid", "profile", "email"),
              show_default=True, help="Allowed scope (repeat for several).")
@click.option("--first-party", is_flag=True, help="Users are never asked to consent.")
@click.option("--post-logout-redirect-uri", "post_logout", multiple=True)
def create_client_command(name, redirect_uris, client_type, scopes, first_party, post_logout):
    """Register an application and print its clientId (and secret, shown once) as JSON."""
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN, User.is_active)
                              .order_by(User.id).limit(1))
    if admin is None:
        raise click.ClickException("Create an admin first: flask users create-admin.")
    row = create_client(admin=admin, name=name, redirect_uris=list(redirect_uris),
                        client_type=client_type, scopes=list(scopes), first_party=first_party,
                        post_logout_redirect_uris=list(post_logout))
    click.echo(json.dumps({"clientId": row.client_id, "clientSecret": row.secret,
                           "type": row.client_type, "redirectUris": row.redirect_uris}))
