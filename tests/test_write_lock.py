"""transactions.begin_write and commit_now: a capture's write lock, asked for
promptly and let go as soon as the capture is written."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models import Contact
from app.transactions import begin_write
from tests.conftest import TEST_DATABASE_URL

sqlite_only = pytest.mark.skipif(
    bool(TEST_DATABASE_URL), reason="SQLite's write lock; PostgreSQL locks rows"
)


def _path(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def _busy_timeout() -> int:
    dbapi = db.session.connection().connection.dbapi_connection
    return dbapi.execute("PRAGMA busy_timeout").fetchone()[0]


@sqlite_only
def test_the_lock_is_taken_once_another_writer_lets_it_go(app):
    holder = sqlite3.connect(
        _path(app), isolation_level=None, timeout=0, check_same_thread=False
    )
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(0.05, holder.rollback).start()
    with app.app_context():
        patience = _busy_timeout()
        begin_write()  # waits for the holder, then holds the lock itself
        dbapi = db.session.connection().connection.dbapi_connection
        assert dbapi.in_transaction
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            holder.execute("BEGIN IMMEDIATE")  # now the holder must wait
        assert _busy_timeout() == patience  # put back after the wait
        db.session.rollback()
    holder.close()


@sqlite_only
def test_a_lock_held_past_the_busy_timeout_fails_as_a_busy_database(app):
    holder = sqlite3.connect(_path(app), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with app.app_context():
            dbapi = db.session.connection().connection.dbapi_connection
            dbapi.execute("PRAGMA busy_timeout = 100")
            began = time.monotonic()
            with pytest.raises(OperationalError, match="database is locked"):
                begin_write()
            assert time.monotonic() - began >= 0.1  # it waited its patience
            assert _busy_timeout() == 100
            assert not dbapi.in_transaction
    finally:
        holder.rollback()
        holder.close()


@sqlite_only
def test_begin_write_inside_a_transaction_changes_nothing(app, user):
    with app.app_context():
        begin_write()
        begin_write()  # already writing: no second BEGIN, no error
        assert db.session.connection().connection.dbapi_connection.in_transaction
        db.session.rollback()


def test_on_postgresql_begin_write_sends_nothing(app, count_queries):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("PostgreSQL only: run with TEST_DATABASE_URL")
        db.session.connection()  # connected before counting
        with count_queries() as queries:
            begin_write()
        assert queries == []


@pytest.mark.parametrize("batch", [False, True])
def test_a_capture_is_kept_even_if_its_answer_then_fails(app, api, batch):
    """Committed as soon as it is written: an answer that fails after that
    (a 500) leaves the person stored, and the phone's retry finds them (200)."""
    person = {"id": "5c3e1a2b-7d4f-4e8a-9b6c-0d1e2f3a4b5c", "name": "Ada"}
    path = "/api/v1/contacts/batch" if batch else "/api/v1/contacts"
    body = {"items": [person]} if batch else person

    def broken(*args, **kwargs):
        raise RuntimeError("the answer could not be encoded")

    app.json.response = broken
    try:  # the test app lets the error through; a served one answers 500
        with pytest.raises(RuntimeError, match="could not be encoded"):
            api.post(path, json=body)
    finally:
        del app.json.response
    with app.app_context():
        assert db.session.get(Contact, person["id"]) is not None
    again = api.post(path, json=body)
    status = again.get_json()["results"][0]["status"] if batch else again.status_code
    assert status == 200


@sqlite_only
def test_a_batch_writes_each_table_in_one_statement(app, api, count_queries):
    """One INSERT with a row each per table, not one run per row: the driver
    then steps once per table while the capture holds SQLite's write lock."""
    items = [
        {"id": f"5c3e1a2b-7d4f-4e8a-9b6c-0d1e2f3a4b{n:02d}", "name": f"P{n}",
         "email": f"p{n}@example.com", "promise": "Send it", "tags": ["a", "b"]}
        for n in range(5)
    ]  # fmt: skip
    with count_queries() as queries:
        answer = api.post("/api/v1/contacts/batch", json={"items": items})
    assert [r["status"] for r in answer.get_json()["results"]] == [201] * 5
    inserts = [q for q in queries if q.startswith("INSERT")]
    assert [q.split()[2] for q in inserts] == ["contacts", "followups", "contact_tags"]
    assert inserts[0].count("), (") == 4  # five rows in one statement
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Contact.id))).scalar() == 5
