"""The floor: the least a Flask + Flask-SQLAlchemy capture endpoint can do.

Morrow's capture throughput is measured against this app, served by the same
gunicorn settings on the same kind of database, so the ratio shows what
Morrow's own work costs and nothing else.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3

from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, String, Text, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # The same pragmas as Morrow, so both pay the same price per commit.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-512")
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.execute("PRAGMA journal_size_limit=67108864")
        cursor.close()


class Capture(db.Model):
    __tablename__ = "captures"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    talked_about: Mapped[str] = mapped_column(Text, default="")
    promise: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    met_at: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


def create_app() -> Flask:
    """Create the floor app on FLOOR_DATABASE_URL."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["FLOOR_DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    db.init_app(app)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.post("/captures")
    def capture():
        data = request.get_json()
        row = Capture(
            id=data["id"],
            name=data["name"],
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            talked_about=data.get("talked_about", ""),
            promise=data.get("promise", ""),
            tags=data.get("tags", []),
            met_at=data.get("met_at", ""),
            created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        )
        db.session.add(row)
        db.session.commit()
        return {"id": row.id, "name": row.name}, 201

    return app


def create_tables() -> None:
    """Create the one table (run once, before gunicorn starts its workers)."""
    app = create_app()
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()


if os.environ.get("FLOOR_DATABASE_URL"):
    app = create_app()
