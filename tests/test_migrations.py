"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db
from app.search_index import PG_INDEX

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# SQLite's expression index (user_id, lower(email)) can't be reflected, so the
# comparison skips it with a warning; PostgreSQL compares it.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*expression-based index '?ix_contacts_user_email_lower"
)


@pytest.fixture
def empty_app(tmp_path):
    uri = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    app = create_app({"SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        if TEST_DATABASE_URL:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
    yield app
    with app.app_context():
        db.session.remove()
        if TEST_DATABASE_URL:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.engine.dispose()


def schema_differences(app) -> list:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = compare_metadata(context, db.metadata)
    return [
        d
        for d in diffs
        if not (
            isinstance(d, tuple)
            and d[0] in ("remove_table", "remove_index")
            and not_modelled(d[1].name)
        )
    ]


def not_modelled(name: str) -> bool:
    """Tables and indexes outside the models: Alembic's own, the search indexes."""
    return name in ("alembic_version", PG_INDEX) or name.startswith("contact_fts")


INSERT_CONTACT = (
    "INSERT INTO contacts (id, user_id, name, first_name, last_name, email, phone, "
    "company, title, website, linkedin, talked_about, promise, notes, tags, met_at, "
    "source, unread, created_at, updated_at) "
)


def add_owner(conn) -> None:
    """Insert account 1 with raw SQL, as an older revision's schema takes it."""
    conn.execute(
        text(
            "INSERT INTO users (id, email, password_hash, timezone, followup_hour, "
            "default_region, weekly_goal, session_version, feed_token, created_at) "
            "VALUES (1, 'a@example.com', 'x', 'UTC', 9, 'US', 1, 1, 't', "
            "'2026-01-01 10:00:00')"
        )
    )


def test_migrations_build_the_models_schema_on_an_empty_database(empty_app):
    with empty_app.app_context():
        upgrade()
    assert schema_differences(empty_app) == []


def test_migrations_downgrade_to_nothing_and_up_again(empty_app):
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        assert "contacts" in inspect(db.engine).get_table_names()


def test_upgrading_a_database_from_the_first_release_keeps_its_data(empty_app):
    """Data written at the oldest revision survives `flask db upgrade` to head."""
    from alembic.script import ScriptDirectory

    with empty_app.app_context():
        config = empty_app.extensions["migrate"].migrate.get_config()
        first = list(ScriptDirectory.from_config(config).walk_revisions())[-1].revision
        upgrade(revision=first)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, timezone, followup_hour, "
                    "default_region, weekly_goal, session_version, feed_token, created_at) "
                    "VALUES (1, 'kept@example.com', 'x', 'Europe/Berlin', 9, 'DE', 1, 1, "
                    "'feed-token', '2026-01-01 10:00:00')"
                )
            )
            conn.execute(
                text(
                    INSERT_CONTACT + "VALUES "
                    "('00000000-0000-4000-8000-000000000001', 1, 'Kept Person', 'Kept', "
                    "'Person', 'kp@example.com', '', '', '', '', '', 'maps', '', '', "
                    "'[\"caf\\u00e9-owners\"]', "
                    "'2026-01-01 10:00:00', 'capture', false, '2026-01-01 10:00:00', "
                    "'2026-01-01 10:00:00')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT c.name, c.talked_about, u.email FROM contacts c "
                    "JOIN users u ON u.id = c.user_id"
                )
            ).one()
    assert tuple(row) == ("Kept Person", "maps", "kept@example.com")
    assert schema_differences(empty_app) == []
    # Tags written escaped by the first release are stored as typed, and found.
    with empty_app.app_context():
        from app.contacts import search_contacts
        from app.models import Contact, User

        person = db.session.execute(db.select(Contact)).scalar_one()
        assert person.tags == ["café-owners"]
        found, _ = search_contacts(db.session.get(User, 1), "café")
        assert [c.name for c in found] == ["Kept Person"]
        # People already there get their folded search text: accents don't count.
        for q in ("CAFE", "kept person", "maps"):
            found, _ = search_contacts(db.session.get(User, 1), q)
            assert [c.name for c in found] == ["Kept Person"], q


def test_migrations_create_the_search_index_and_fill_it(empty_app):
    """SQLite's people search index exists at head and holds people already there."""
    from app.search_index import TRIGGERS

    with empty_app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the FTS5 index is SQLite's; PostgreSQL's is tested below")
        config = empty_app.extensions["migrate"].migrate.get_config()
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(config)
        before_index = script.get_revision("b3f0c2d4e5a6").down_revision
        upgrade(revision=before_index)
        with db.engine.begin() as conn:
            add_owner(conn)
            conn.execute(
                text(
                    INSERT_CONTACT + "VALUES "
                    "('00000000-0000-4000-8000-000000000001', 1, 'Grace Hopper', '', '', "
                    "'', '', 'Navy', '', '', '', 'compilers', '', '', '[]', "
                    "'2026-01-01 10:00:00', 'capture', 0, '2026-01-01 10:00:00', "
                    "'2026-01-01 10:00:00')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            triggers = set(
                conn.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                ).scalars()
            )
            found = (
                conn.execute(
                    text(
                        "SELECT contact_id FROM contact_fts WHERE contact_fts MATCH "
                        "'body : \"compil\"'"
                    )
                )
                .scalars()
                .all()
            )
    assert set(TRIGGERS) <= triggers
    assert found == ["00000000-0000-4000-8000-000000000001"]


def test_migrations_create_postgresqls_trigram_index(empty_app):
    with empty_app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("pg_trgm is PostgreSQL's; SQLite's FTS5 index is tested above")
        upgrade()
        indexes = {i["name"] for i in inspect(db.engine).get_indexes("contacts")}
        assert PG_INDEX in indexes
        downgrade(revision="b3f0c2d4e5a6")
        indexes = {i["name"] for i in inspect(db.engine).get_indexes("contacts")}
        assert PG_INDEX not in indexes


def test_upgrading_postgresql_gathers_statistics_on_the_searched_text(empty_app):
    """Without them the planner can't tell a common search word from a rare one."""
    with empty_app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("expression statistics are PostgreSQL's planner's")
        upgrade(revision="d5e6f7a8b9c0")
        with db.engine.begin() as conn:
            add_owner(conn)
            conn.execute(
                text(
                    INSERT_CONTACT + "SELECT "
                    "gen_random_uuid()::text, 1, 'Person ' || n, '', '', '', '', '', '', '', "
                    "'', 'maps', '', '', '[]', '2026-01-01 10:00:00', 'capture', false, "
                    "'2026-01-01 10:00:00', '2026-01-01 10:00:00' "
                    "FROM generate_series(1, 200) AS n"
                )
            )

        def statistics(query: str) -> int:
            with db.engine.connect() as conn:
                return conn.execute(text(query), {"index": PG_INDEX}).scalar()

        assert statistics("SELECT count(*) FROM pg_stats WHERE tablename = :index") == 0
        upgrade()
        # At head the index covers the folded search text, a plain column.
        searched = (
            "SELECT count(*) FROM pg_stats WHERE tablename = 'contacts' "
            "AND attname = 'search_text'"
        )
        assert statistics(searched) == 1


def add_account(conn, user_id: int, email: str) -> None:
    conn.execute(
        text(
            "INSERT INTO users (id, email, password_hash, timezone, followup_hour, "
            "default_region, weekly_goal, session_version, feed_token, created_at) "
            "VALUES (:id, :email, 'x', 'UTC', 9, 'US', 1, 1, :feed, "
            "'2026-01-01 10:00:00')"
        ),
        {"id": user_id, "email": email, "feed": f"feed-{user_id}"},
    )


def test_upgrading_folds_emails_and_keeps_every_account(empty_app):
    with empty_app.app_context():
        upgrade(revision="f2a3b4c5d6e7")
        with db.engine.begin() as conn:
            add_account(conn, 1, "Alice@example.com")
            add_account(conn, 2, "bob@example.com")
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT email, email_folded FROM users ORDER BY id")
            ).all()
            claimed = conn.execute(text("SELECT count(*) FROM setup_claim")).scalar()
    assert [tuple(r) for r in rows] == [
        ("Alice@example.com", "alice@example.com"),
        ("bob@example.com", "bob@example.com"),
    ]
    assert claimed == 1  # an instance with accounts is set up already


def test_upgrading_refuses_accounts_sharing_an_email_in_different_case(
    empty_app, capsys
):
    with empty_app.app_context():
        upgrade(revision="f2a3b4c5d6e7")
        with db.engine.begin() as conn:
            add_account(conn, 1, "alice@example.com")
            add_account(conn, 2, "ALICE@example.com")
            add_account(conn, 3, "carol@example.com")
        with pytest.raises(SystemExit):  # `flask db upgrade` exits with an error
            upgrade()
        message = capsys.readouterr().err
        assert "alice@example.com (account id 1)" in message
        assert "ALICE@example.com (account id 2)" in message
        assert "carol" not in message
        assert "Nothing was changed" in message
        assert "UPDATE users SET email = 'ALICE+2@example.com' WHERE id = 2;" in message
        with db.engine.connect() as conn:
            emails = conn.execute(text("SELECT email FROM users ORDER BY id")).all()
            version = conn.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar() == "f2a3b4c5d6e7"
    assert [e for (e,) in emails] == [
        "alice@example.com",
        "ALICE@example.com",
        "carol@example.com",
    ]


OLD_PROMISE_BODY = (
    "Hi[ {first_name}],\n\n"
    "Thanks again for the chat[ at {event}]. "
    "As promised, here it is: {promise}\n\n"
    "[It was good talking about {talked_about}. ]"
    "Let me know if there's anything else I can do.\n\n"
    "Best,\n{my_name}"
)


def test_upgrading_rewrites_the_old_promise_phrase_in_saved_templates(empty_app):
    """A saved promise template that kept "here it is: {promise}" won't say it twice."""
    from app.drafts import DEFAULTS, render

    with empty_app.app_context():
        upgrade(revision="f2a3b4c5d6e7")
        with db.engine.begin() as conn:
            add_owner(conn)
            for kind, body in (
                ("promise", OLD_PROMISE_BODY),
                ("thank_you", "Hi {first_name}. As promised, here it is: {promise}"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO templates (user_id, kind, subject, body) "
                        "VALUES (1, :kind, 'Hi', :body)"
                    ),
                    {"kind": kind, "body": body},
                )
        upgrade()
        with db.engine.connect() as conn:
            bodies = dict(conn.execute(text("SELECT kind, body FROM templates")).all())
    values = {"first_name": "Ana", "promise": "As promised, I'm sending you our deck"}
    assert render(bodies["promise"], values) == render(DEFAULTS["promise"][1], values)
    assert "here it is" not in bodies["promise"]
    assert bodies["thank_you"] == "Hi {first_name}. As promised, here it is: {promise}"
