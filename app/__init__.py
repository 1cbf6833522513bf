"""Morrow: a self-hosted networking companion."""

from __future__ import annotations

import os
import sqlite3

import click
from flask import Flask, redirect, request, url_for
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import config as settings
from .extensions import csrf, db, limiter, login_manager, note_unlimited_endpoints
from .models import User

# A checkpoint every this many WAL pages, and the WAL cut back to this size
# after one (see _sqlite_pragmas).
WAL_CHECKPOINT_PAGES = 10_000
WAL_SIZE_LIMIT = 64 * 1024 * 1024


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # WAL lets readers work while one writer writes (the busy timeout, set in
    # create_app, makes a second writer wait instead of failing).
    #
    # No memory map: a mapped database file counts in every worker's resident
    # memory as far as it has been read, so a worker would grow with the
    # account (6–10 MB more after `make bench`, far more at 100,000 people)
    # and break its budget (DESIGN §9: 80 MB). Read through the operating
    # system's file cache instead, which all workers share either way, each
    # connection keeps a small cache of its own: 512 KiB rather than SQLite's
    # 2 MiB, for a worker's four connections. Captures cost the same CPU time
    # both ways (`make profile-capture`).
    #
    # A checkpoint (the WAL copied back into the database, with an fsync) comes
    # every 10,000 pages written, not SQLite's 1,000. A capture dirties some 15
    # pages (its row, nine indexes, the search index, follow-ups and tags),
    # so checkpoints came every 60-odd captures; a page written again and again
    # between two checkpoints is copied once, so fewer of them copy far less.
    # Measured on Morrow's schema, a capture's SQLite time fell from 1.0 to
    # 0.75 ms, a batch's from 0.58 to 0.35 ms a person. The WAL grows to about
    # 40 MB between checkpoints; journal_size_limit cuts it back to 64 MiB
    # after one that followed something bigger (an import).
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-512")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cursor.close()


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure a Morrow application."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(settings.defaults(app.instance_path))
    if test_config is None:
        app.config.update(
            settings.from_environment(dict(os.environ), app.instance_path)
        )
    else:
        app.config.update(test_config)
    settings.photo_limits(app.config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.secret_key_from_instance(app.instance_path)

    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
        )

    _sqlite_busy_timeout(app)
    db.init_app(app)
    _sqlite_inserts_in_one_statement(app)
    if test_config is not None or click.get_current_context(silent=True):
        # Alembic costs every server worker ~11 MB; only `flask db …` and tests use it.
        from flask_migrate import Migrate

        Migrate(
            app,
            db,
            directory=os.path.abspath(os.path.join(app.root_path, "..", "migrations")),
            render_as_batch=True,  # SQLite can only alter tables by copying them
        )
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from . import auth, compress, errors, security

    compress.init_app(app)
    errors.register_error_handlers(app)
    auth.init_app(app)
    security.init_app(app)
    register_blueprints(app)
    note_unlimited_endpoints(app)
    register_first_run_redirect(app)

    from . import cli, transactions

    cli.init_app(app)
    # Last registered, so it runs first: the answers it gives for a failed
    # commit still get the security headers and compression.
    transactions.init_app(app)
    return app


def _sqlite_inserts_in_one_statement(app: Flask) -> None:
    """On SQLite, send many rows' INSERT as one statement, not one per row.

    SQLAlchemy's "insertmanyvalues" (a documented dialect setting) writes the
    rows of an executemany INSERT as one INSERT with a row each, in pages.
    The driver runs one step per statement instead of one per row, and gives
    up Python's global lock at each step: under load, a capture holding
    SQLite's write lock waited for it again at each of a batch's hundred-odd
    rows, while every other writer waited for the capture. One statement per
    table also pays the search index's trigger once (FTS5 costs per
    statement). PostgreSQL's driver sends its rows in a pipeline already.
    """
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.engine.dialect.use_insertmanyvalues_wo_returning = True


def _sqlite_busy_timeout(app: Flask) -> None:
    """Make a SQLite writer wait SQLITE_BUSY_TIMEOUT seconds for another one.

    Imports commit in short batches, so a wait is normally well under a second;
    one that runs out answers 503 with Retry-After (see errors.py).
    """
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("timeout", float(app.config["SQLITE_BUSY_TIMEOUT"]))
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register_blueprints(app: Flask) -> None:
    from . import pages
    from .api import bp as api_bp

    pages.register(app)
    app.register_blueprint(api_bp)


# Paths that work before any account exists.
_FIRST_RUN_OPEN = (
    "/setup",
    "/static/",
    "/healthz",
    "/sw.js",
    "/manifest.webmanifest",
    "/offline",
    "/feed/",
)


def register_first_run_redirect(app: Flask) -> None:
    """Until an account exists, every page leads to the setup page."""

    @app.before_request
    def lead_to_setup():
        if app.extensions.get("morrow_has_users"):
            return None
        if request.path.startswith(_FIRST_RUN_OPEN) or request.path.startswith("/api/"):
            return None
        if db.session.execute(db.select(User.id).limit(1)).first() is not None:
            app.extensions["morrow_has_users"] = True
            return None
        return redirect(url_for("auth.setup"))
