"""Deleting an account, and backing up the database."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from app.account_deletion import owned_row_counts
from app.extensions import db
from app.models import Contact, Event, Interaction, Template, User
from tests.conftest import PASSWORD


def add_rows(app, user_id: int) -> None:
    import datetime as dt

    with app.app_context():
        event = Event(user_id=user_id, name="Meetup", date=dt.date(2026, 3, 9))
        db.session.add(event)
        db.session.flush()
        intro = Contact(
            user_id=user_id,
            name="Ina Intro",
            email="ina@example.com",
            event_id=event.id,
        )
        db.session.add(intro)
        db.session.flush()
        met = Contact(
            user_id=user_id, name="Max Met", introduced_by_id=intro.id, tags=["design"]
        )
        db.session.add(met)
        db.session.flush()
        db.session.add(Interaction(user_id=user_id, contact_id=met.id, kind="talked"))
        db.session.add(Template(user_id=user_id, kind="thank_you", body="Hi"))
        db.session.commit()


def test_delete_account_removes_every_row_it_owns(
    app, owner, user, make_user, token_for
):
    other = make_user("other@example.com")
    add_rows(app, user)
    add_rows(app, other)
    token_for(user)
    with app.app_context():
        before = owned_row_counts(user)
        other_before = owned_row_counts(other)
    assert before["contacts"] == 2 and before["api_tokens"] >= 1
    response = owner.form("/settings/delete", {"password": PASSWORD})
    assert response.status_code == 302
    with app.app_context():
        after = owned_row_counts(user)
        assert all(count == 0 for count in after.values()), after
        assert owned_row_counts(other) == other_before
    assert owner.get("/").status_code == 302


def test_delete_account_needs_the_password(app, owner, user):
    response = owner.form("/settings/delete", {"password": "wrong"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, user) is not None


def test_backup_copies_a_consistent_database_while_writes_go_on(
    app, runner, user, tmp_path
):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("backup copies SQLite files; PostgreSQL uses pg_dump")
    stop = threading.Event()

    def keep_writing():
        with app.app_context():
            n = 0
            while not stop.is_set() and n < 2000:
                db.session.add(Contact(user_id=user, name=f"Person {n}"))
                db.session.commit()
                n += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        target = tmp_path / "backup.sqlite3"
        result = runner.invoke(args=["backup", str(target)])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM users").fetchone()[0] == 1
        copy.execute("SELECT count(*) FROM contacts").fetchone()
    finally:
        copy.close()


def test_backup_on_postgres_points_to_pg_dump(tmp_path):
    from app import create_app

    app = create_app(
        {
            "SECRET_KEY": "x" * 32,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@127.0.0.1:1/x",
        }
    )
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")])
    assert result.exit_code != 0
    assert "pg_dump" in result.output


def test_a_deleted_accounts_sessions_do_not_open_an_account_reusing_its_id(
    app, login, make_user
):
    gone = make_user("gone@example.com")
    phone, laptop = login(gone), login(gone)
    assert laptop.form("/settings/delete", {"password": PASSWORD}).status_code == 302
    newcomer = make_user("newcomer@example.com")
    with app.app_context():
        # SQLite hands a deleted row's id to the next account; PostgreSQL doesn't.
        assert newcomer == gone or db.engine.dialect.name != "sqlite"
    assert phone.get("/api/v1/me").status_code == 401
    phone.client.delete_cookie("session")  # the remember-me cookie alone
    assert phone.get("/api/v1/me").status_code == 401
