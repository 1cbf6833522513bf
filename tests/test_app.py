"""The factory, configuration, health check, first run and error shapes."""

from __future__ import annotations

import pytest

from app import create_app
from app.config import ConfigError, from_environment
from tests.conftest import assert_api_error


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"PUBLIC_URL": "ftp://example.com"}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "example.com"}, "PUBLIC_URL"),
        ({"ALLOW_SIGNUP": "maybe"}, "ALLOW_SIGNUP"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"MAX_IMPORT_BYTES": "lots"}, "MAX_IMPORT_BYTES"),
        ({"DEFAULT_TIMEZONE": "Mars/Olympus"}, "DEFAULT_TIMEZONE"),
    ],
)
def test_bad_setting_stops_startup_with_its_name(env, message, tmp_path):
    with pytest.raises(ConfigError, match=message):
        from_environment(env, str(tmp_path))


def test_create_app_reads_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("PUBLIC_URL", "https://morrow.example.org/")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert app.config["PUBLIC_URL"] == "https://morrow.example.org"


def test_create_app_fails_on_bad_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "oracle://nope")
    with pytest.raises(ConfigError):
        create_app()


def test_generated_secret_key_survives_restart(tmp_path, monkeypatch):
    from app.config import secret_key_from_instance

    first = secret_key_from_instance(str(tmp_path))
    assert len(first) >= 32
    assert secret_key_from_instance(str(tmp_path)) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas only apply to SQLite")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            # No memory map, a small cache per connection: a worker's resident
            # memory stays bounded whatever the size of the database.
            assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == 0
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -512
            # Checkpoints every 10,000 pages, and a WAL cut back to 64 MiB.
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_000
            limit = conn.exec_driver_sql("PRAGMA journal_size_limit").scalar()
            assert limit == 64 * 1024 * 1024


def test_first_run_leads_every_page_to_setup(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/setup")
    assert client.get("/settings").headers["Location"].endswith("/setup")


def test_setup_creates_owner_and_logs_in(client, setup_code):
    from tests.conftest import csrf_from

    page = client.get("/setup")
    assert page.status_code == 200
    assert b"data-autotz" in page.data
    response = client.post(
        "/setup",
        data={
            "email": "me@example.com",
            "password": "long enough pw",
            "timezone": "Europe/Berlin",
            "setup_code": setup_code,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    # Once an account exists, setup is closed.
    assert client.get("/setup").status_code == 302


def test_new_accounts_get_the_instances_default_time_zone(
    app, client, runner, setup_code
):
    from app.extensions import db
    from app.models import User
    from tests.conftest import csrf_from

    app.config["DEFAULT_TIMEZONE"] = "Europe/Lisbon"
    page = client.get("/setup").get_data(as_text=True)
    # Offered in the form; the device's own zone replaces it (data-autotz).
    assert 'value="Europe/Lisbon"' in page
    assert 'data-autotz="Europe/Lisbon"' in page
    client.post(
        "/setup",
        data={
            "email": "me@example.com",
            "password": "long enough pw",
            "setup_code": setup_code,
            "csrf_token": csrf_from(page),
        },
    )
    result = runner.invoke(
        args=["user", "create", "cli@example.com", "--password", "long enough pw"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        zones = dict(db.session.execute(db.select(User.email, User.timezone)).all())
    assert zones == {
        "me@example.com": "Europe/Lisbon",
        "cli@example.com": "Europe/Lisbon",
    }


def test_a_larger_import_limit_raises_the_request_limit_with_it(tmp_path):
    from app.config import MAX_CONTENT_LENGTH, UPLOAD_FRAMING

    config = from_environment({"MAX_IMPORT_BYTES": str(20_000_000)}, str(tmp_path))
    assert config["MAX_CONTENT_LENGTH"] == 20_000_000 + UPLOAD_FRAMING
    smaller = from_environment({"MAX_IMPORT_BYTES": "100000"}, str(tmp_path))
    assert smaller["MAX_CONTENT_LENGTH"] == MAX_CONTENT_LENGTH


def test_setup_shows_field_errors(client, setup_code):
    from tests.conftest import csrf_from

    page = client.get("/setup")
    response = client.post(
        "/setup",
        data={
            "email": "not-an-email",
            "password": "short",
            "timezone": "Nowhere/Land",
            "setup_code": setup_code,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "doesn&#39;t look like an email" in html or "look like an email" in html
    assert "at least 8 characters" in html
    assert "time zone" in html.lower()


def test_api_404_and_405_are_json(client, user):
    assert_api_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    response = client.delete("/api/v1/me")
    assert response.status_code in (401, 405)
    assert response.mimetype == "application/json"


def test_page_404_is_friendly_html(owner):
    response = owner.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Go to Home" in response.get_data(as_text=True)


def test_a_stranger_on_a_wrong_card_address_is_not_sent_to_the_login(client, user):
    response = client.get("/c/no-such-card")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Go to Home" not in html and "Check the address" in html


def test_unexpected_error_is_json_500_under_api(app, api):
    @app.get("/api/v1/_boom")
    def boom():
        raise RuntimeError("kaput")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    body = assert_api_error(api.get("/api/v1/_boom"), 500, "internal_error")
    assert "kaput" not in body["error"]["message"]
