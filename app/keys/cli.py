"""`flask keys rotate|list|retire|reseal`: operate the signing keys."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.exceptions import DomainError
from app.keys import settings
from app.keys.service import list_keys, reseal_keys, retire_key, rotate_key

keys_cli = AppGroup("keys", help="Operate the signing keys published at /.well-known/jwks.json.")


@keys_cli.command("rotate")
@click.option("--alg", type=click.Choice(settings.ASYMMETRIC), default=None,
              help="Algorithm of the new key (default: SIGNING_KEY_ALGORITHM).")
@click.option("--now", "sign_now", is_flag=True,
              help="Sign with it at once, without the publication delay (after a leak).")
def rotate(alg: str | None, sign_now: bool) -> None:
    """Add a key: published at once, signing after SIGNING_KEY_PUBLISH_SECONDS."""
    key = rotate_key(alg=alg, sign_now=sign_now)
    click.echo(f"Added {key.alg} key {key.kid}: published now, signs from "
               f"{key.signs_from.isoformat()}.")


# A kid is a base64url thumbprint: one in 64 starts with "-", which click would otherwise
# read as an option ("No such option"). Unknown options are taken as the KID instead.
@keys_cli.command("retire", context_settings={"ignore_unknown_options": True})
@click.argument("kid")
@click.option("--compromised", is_flag=True,
              help="Unpublish it at once: every token it signed stops verifying.")
def retire(kid: str, compromised: bool) -> None:
    """Stop KID signing and destroy its private half; published until its tokens expire."""
    try:
        key = retire_key(kid, compromised=compromised)
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"Retired {key.kid}: published until {key.published_until.isoformat()}.")


@keys_cli.command("list")
def list_() -> None:
    """Every key: kid, algorithm, state, when it signs from, until when it is published."""
    keys = list_keys()
    if not keys:
        click.echo("No signing keys yet: the first is made when a token is signed.")
    for key in keys:
        until = key.published_until.isoformat() if key.published_until else "-"
        click.echo(f"{key.kid}  {key.alg:<5}  {key.state:<11}  created "
                   f"{key.created_at.isoformat()}  signs from {key.signs_from.isoformat()}  "
                   f"published until {until}")


@keys_cli.command("reseal")
def reseal() -> None:
    """Re-encrypt private keys with the first key of SIGNING_KEY_ENCRYPTION_KEY."""
    click.echo(f"Re-encrypted {reseal_keys()} private key(s) with the newest key.")
