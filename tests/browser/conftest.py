"""Morrow in Debian's chromium: a live server on loopback and a Pixel-sized phone."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from browserlib import (
    CHROMIUM,
    OWNER_EMAIL,
    PASSWORD,
    Faults,
    LiveServer,
    install_faults,
    log_in,
    new_context,
    wait_for_control,
)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_instance():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no chromium at {CHROMIUM}: install Debian's chromium "
            "(apt-get install chromium) or set CHROMIUM_PATH"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=["--disable-gpu", "--disable-quic"]
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def phone(playwright_instance) -> dict:
    return dict(playwright_instance.devices["Pixel 7"])


@pytest.fixture
def faults() -> Faults:
    return Faults()


def make_app(database: Path):
    from app import create_app
    from app.extensions import db, limiter

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret-key-0123456789",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "RATELIMIT_STORAGE_URI": "memory://",
            "PUBLIC_URL": None,
        }
    )
    limiter.reset()
    with app.app_context():
        db.create_all()
    return app


def serve(app):
    from app.extensions import db

    server = LiveServer(app)
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def live_server(tmp_path, faults):
    """Morrow on a free loopback port, with an owner whose card is filled in."""
    from app.auth import create_user
    from app.cards import update_card
    from app.extensions import db

    app = make_app(tmp_path / "browser.sqlite3")
    install_faults(app, faults)
    with app.app_context():
        user = create_user(OWNER_EMAIL, PASSWORD, "Europe/Berlin")
        with app.test_request_context("/", base_url="http://127.0.0.1"):
            update_card(
                user,
                {
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "headline": "Analyst of engines",
                    "company": "Morrow Labs",
                    "email": "ada@example.com",
                    "phone": "+49 30 1234567",
                    "public_fields": [
                        "first_name",
                        "last_name",
                        "headline",
                        "company",
                        "email",
                    ],
                },
            )
        db.session.commit()
        app.config["TEST_SLUG"] = user.card.slug
        db.session.remove()
    yield from serve(app)


@pytest.fixture
def empty_server(tmp_path):
    """Morrow before its first account: every page leads to setup."""
    yield from serve(make_app(tmp_path / "empty.sqlite3"))


@pytest.fixture
def context(browser, phone, live_server):
    context = new_context(browser, phone, live_server)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """The owner's phone: logged in, controlled by the service worker."""
    page = context.new_page()
    log_in(page)
    page.goto("/")
    wait_for_control(page)
    return page
