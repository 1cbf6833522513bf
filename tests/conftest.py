"""Fixtures shared by the test suite: app, clients, users and helpers."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import event as sa_event

from app import create_app
from app.extensions import db, limiter

ROOT = Path(__file__).resolve().parents[1]
SHARED_VCARDS = ROOT.parent / "shared" / "vcards"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct horse battery"


class FrozenClock:
    """A clock tests move by hand instead of sleeping."""

    def __init__(self, start: dt.datetime) -> None:
        self.current = start

    def __call__(self) -> dt.datetime:
        return self.current

    def set(self, when: dt.datetime) -> None:
        self.current = when

    def advance(self, **delta) -> None:
        self.current += dt.timedelta(**delta)


@pytest.fixture(scope="session", autouse=True)
def _end_the_card_reader():
    """A test that read a card started an OCR process: end it with the session."""
    yield
    from app.card_reading import client

    client.stop_if_started_here()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC))


def _database_uri(tmp_path: Path) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


_POSTGRES_READY = {"schema": False}


def _reset_postgres() -> None:
    """Give the test an empty PostgreSQL database: build once, then truncate."""
    from sqlalchemy.exc import ProgrammingError

    if _POSTGRES_READY["schema"]:
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        try:
            # RESTART IDENTITY: tests may count on the first row having id 1.
            with db.engine.begin() as conn:
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            return
        except ProgrammingError:
            pass  # a test dropped the schema; build it again
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    db.create_all()
    _POSTGRES_READY["schema"] = True


@pytest.fixture
def app(tmp_path, clock):
    """A fresh app on an empty database, with a hand-moved clock."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-0123456789",
            "SQLALCHEMY_DATABASE_URI": _database_uri(tmp_path),
            "RATELIMIT_STORAGE_URI": "memory://",
            "CLOCK": clock,
            # scrypt is deliberately slow; tests hash hundreds of passwords.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "PUBLIC_URL": None,
        }
    )
    limiter.reset()
    with app.app_context():
        if TEST_DATABASE_URL:
            _reset_postgres()
        else:
            db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def setup_code(app) -> str:
    """The code the first-run setup page asks for (printed by `make run`)."""
    from app.auth import setup_code

    with app.app_context():
        return setup_code()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create an account (email, password PASSWORD) and return its id."""
    from app.auth import create_user

    counter = iter(range(1, 10_000))

    def make(email: str | None = None, timezone: str = "UTC", **settings) -> int:
        with app.app_context():
            user = create_user(
                email or f"user{next(counter)}@example.com", PASSWORD, timezone
            )
            for key, value in settings.items():
                setattr(user, key, value)
            db.session.commit()
            return user.id

    return make


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


class LoggedInClient:
    """A test client logged in through the real login form, sending CSRF tokens."""

    def __init__(self, app, user_id: int) -> None:
        from app.models import User

        self.app = app
        self.client = app.test_client()
        with app.app_context():
            self.user_id = user_id
            self.email = db.session.get(User, user_id).email
        page = self.client.get("/login")
        response = self.client.post(
            "/login",
            data={
                "email": self.email,
                "password": PASSWORD,
                "remember": "1",
                "csrf_token": csrf_from(page.get_data(as_text=True)),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        self.csrf = csrf_from(self.client.get("/settings").get_data(as_text=True))

    def _headers(self, kwargs) -> dict:
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("X-CSRFToken", self.csrf)
        return headers

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        return self.client.post(*args, headers=self._headers(kwargs), **kwargs)

    def put(self, *args, **kwargs):
        return self.client.put(*args, headers=self._headers(kwargs), **kwargs)

    def patch(self, *args, **kwargs):
        return self.client.patch(*args, headers=self._headers(kwargs), **kwargs)

    def delete(self, *args, **kwargs):
        return self.client.delete(*args, headers=self._headers(kwargs), **kwargs)

    def form(self, url: str, data: dict, **kwargs):
        """Post an HTML form with its CSRF field, as a browser would."""
        return self.client.post(url, data={"csrf_token": self.csrf, **data}, **kwargs)


@pytest.fixture
def login(app):
    """login(user_id) → a client logged in as that user."""

    def make(user_id: int) -> LoggedInClient:
        return LoggedInClient(app, user_id)

    return make


@pytest.fixture
def user(make_user) -> int:
    return make_user("owner@example.com", timezone="Europe/Berlin")


@pytest.fixture
def owner(login, user) -> LoggedInClient:
    """The logged-in owner of a fresh account."""
    return login(user)


@pytest.fixture
def token_for(app):
    """token_for(user_id) → a fresh personal API token."""
    from app.auth import create_token
    from app.models import User

    def make(user_id: int) -> str:
        with app.app_context():
            token = create_token(db.session.get(User, user_id), "test")
            db.session.commit()
            return token

    return make


@pytest.fixture
def api(client, user, token_for):
    """api.get/post/... with the owner's bearer token."""

    class Api:
        def __init__(self) -> None:
            self.token = token_for(user)
            self.headers = {"Authorization": f"Bearer {self.token}"}

        def __getattr__(self, method):
            func = getattr(client, method)

            def call(url, **kwargs):
                headers = {**self.headers, **(kwargs.pop("headers", None) or {})}
                return func(url, headers=headers, **kwargs)

            return call

    return Api()


def assert_api_error(response, status: int, code: str | None = None, field=None):
    """Assert the one error shape of the API and return its body."""
    assert response.status_code == status, (response.status_code, response.data[:500])
    assert response.mimetype == "application/json", response.mimetype
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    if code is not None:
        assert error["code"] == code, body
    if field is not None:
        assert field in error.get("fields", {}), body
    return body


@pytest.fixture
def count_queries(app):
    """count_queries() as a context manager counting SQL statements."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        seen: list[str] = []

        def before(conn, cursor, statement, *args):
            seen.append(statement)

        with app.app_context():
            engine = db.engine
        sa_event.listen(engine, "before_cursor_execute", before)
        try:
            yield seen
        finally:
            sa_event.remove(engine, "before_cursor_execute", before)

    return counter


# A capture at 20:00 in Berlin; its follow-ups are due at 09:00 the next morning.
MET = dt.datetime(2026, 11, 20, 19, 0, tzinfo=dt.UTC)
DUE = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def meet(app, clock):
    """meet(user_id, **fields) → contact id, with follow-ups scheduled at MET."""
    from app.models import Contact
    from app.scheduling import schedule_followups

    def make(user_id: int, **fields) -> str:
        values = {"name": "Ana Lima", "email": "ana@example.com", "met_at": MET}
        values.update(fields)
        with app.app_context():
            contact = Contact(user_id=user_id, **values)
            db.session.add(contact)
            db.session.flush()
            db.session.refresh(contact)
            schedule_followups(contact, now=MET)
            db.session.commit()
            return contact.id

    clock.set(MET)
    return make


@pytest.fixture
def other_objects(app, make_user):
    """Objects of a second account, to be aimed at by the first."""
    from app.models import Card, Contact, Event, FollowUp, Merge

    other = make_user("intruder-target@example.com")
    with app.app_context():
        event = Event(user_id=other, name="Their meetup", date=dt.date(2026, 3, 9))
        contact = Contact(user_id=other, name="Their Person", email="tp@example.com")
        db.session.add_all([event, contact])
        db.session.flush()
        followup = FollowUp(
            user_id=other,
            contact_id=contact.id,
            kind="thank_you",
            key="thank_you",
            due_at=dt.datetime(2026, 3, 10, 8, tzinfo=dt.UTC),
        )
        db.session.add(followup)
        merge = Merge(
            user_id=other,
            kept_id=contact.id,
            other_id="00000000-0000-4000-8000-00000000abcd",
            snapshot={},
            created_at=dt.datetime(2026, 3, 10, 8, tzinfo=dt.UTC),
        )
        db.session.add(merge)
        card = db.session.execute(db.select(Card).filter_by(user_id=other)).scalar_one()
        card.slug, card.published = "their-card", True
        db.session.commit()
        return {
            "contact_id": contact.id,
            "event_id": event.id,
            "followup_id": followup.id,
            "merge_id": merge.id,
            "slug": "their-card",
        }
