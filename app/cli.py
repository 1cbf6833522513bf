"""`flask --app wsgi …` commands: accounts, tokens, the setup code, backups, nudges."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from . import auth
from .errors import ValidationError
from .extensions import db
from .models import User
from .polish import polish_command

user_cli = AppGroup("user", help="Manage accounts.")
token_cli = AppGroup("token", help="Manage personal API tokens.")


@user_cli.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--timezone",
    default=None,
    help="IANA time zone [default: DEFAULT_TIMEZONE, else UTC].",
)
def create_user_command(email: str, password: str, timezone: str | None) -> None:
    """Create an account."""
    try:
        user = auth.create_user(email, password, timezone)
    except ValidationError as error:
        details = "; ".join(f"{k}: {v}" for k, v in error.fields.items())
        raise click.ClickException(details or error.message) from None
    db.session.commit()
    click.echo(f"Created account {user.email} (time zone {user.timezone}).")


@user_cli.command("password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def reset_password_command(email: str, password: str) -> None:
    """Set a new password (for an owner who forgot theirs).

    Ends every session of the account and revokes its API tokens.
    """
    user = find_user(email)
    try:
        auth.set_password(user, password)
    except ValidationError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(
        f"New password set for {user.email}; every session was logged out "
        "and its API tokens were revoked."
    )


def find_user(email: str) -> User:
    user = auth.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with email {email}.")
    return user


@token_cli.command("create")
@click.argument("email")
@click.option("--name", default="CLI token", show_default=True)
def create_token_command(email: str, name: str) -> None:
    """Create an API token; the token is printed alone on the last line."""
    user = find_user(email)
    raw = auth.create_token(user, name)
    db.session.commit()
    click.echo(f"Token {name!r} for {user.email}. It is shown only once:")
    click.echo(raw)


@click.command("setup-code")
@with_appcontext
def setup_code_command() -> None:
    """Print the code the first-run setup page asks for, alone on the last line."""
    if db.session.execute(db.select(User.id).limit(1)).first():
        raise click.ClickException(
            "This Morrow has an account already; setup is closed. "
            "Add accounts with: flask --app wsgi user create EMAIL"
        )
    click.echo("Type this code on the setup page to create the owner account:")
    click.echo(auth.setup_code())


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path: str) -> None:
    """Copy the SQLite database to PATH while Morrow keeps running."""
    import sqlite3

    from sqlalchemy.engine import make_url

    url = make_url(db.engine.url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise click.ClickException(
            "backup copies the SQLite database; for PostgreSQL use pg_dump "
            "(see README, 'Backups')."
        )
    source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
    target = sqlite3.connect(path)
    try:
        # The online backup API copies a consistent snapshot page by page while
        # other connections keep writing.
        with target:
            source.backup(target, pages=256)
    finally:
        target.close()
        source.close()
    click.echo(f"Backed up {url.database} to {path}.")


@click.command("nudge")
@with_appcontext
def nudge_command() -> None:
    """Send the nudges due now and retry failed ones (safe to run any time)."""
    from . import clock
    from .nudges import run_due

    click.echo(run_due(clock.now()))


def init_app(app: Flask) -> None:
    app.cli.add_command(user_cli)
    app.cli.add_command(token_cli)
    app.cli.add_command(setup_code_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(polish_command)
    app.cli.add_command(nudge_command)
