"""`flask --app wsgi …` commands: accounts and tokens."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from . import auth
from .errors import ValidationError
from .extensions import db
from .models import User

user_cli = AppGroup("user", help="Manage accounts.")
token_cli = AppGroup("token", help="Manage personal API tokens.")


@user_cli.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone.")
def create_user_command(email: str, password: str, timezone: str) -> None:
    """Create an account."""
    try:
        user = auth.create_user(email, password, timezone)
    except ValidationError as error:
        details = "; ".join(f"{k}: {v}" for k, v in error.fields.items())
        raise click.ClickException(details or error.message) from None
    click.echo(f"Created account {user.email} (time zone {user.timezone}).")


@token_cli.command("create")
@click.argument("email")
@click.option("--name", default="CLI token", show_default=True)
def create_token_command(email: str, name: str) -> None:
    """Create an API token; the token is printed alone on the last line."""
    user = db.session.execute(
        db.select(User).filter(db.func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"No account with email {email}.")
    raw = auth.create_token(user, name)
    click.echo(f"Token {name!r} for {user.email}. It is shown only once:")
    click.echo(raw)


def init_app(app: Flask) -> None:
    app.cli.add_command(user_cli)
    app.cli.add_command(token_cli)
