"""Imports under load: linear decoding, work caps, early refusal, short transactions.

Big files must finish (or be refused) in seconds, a file past the caps is a
clear 4xx before anything is written, and a big import never makes another
account's captures fail on SQLite.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from app import importing
from app.extensions import db
from app.formats.vcard_read import parse_vcard_file
from app.models import Contact
from tests.conftest import TEST_DATABASE_URL, assert_api_error

FIVE_MB = 5 * 1024 * 1024 - 4096
CONCURRENT_CARDS = 5000


def within(seconds: float, work):
    """Run `work()` and return its result; fail if it takes over `seconds`.

    A thread, so that a hang fails the test instead of stalling the suite.
    """
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the test below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    started = time.perf_counter()
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"], time.perf_counter() - started


def raw_import(api, data: bytes, kind: str = "text/vcard"):
    return api.post("/api/v1/contacts/import", data=data, content_type=kind)


def people(app) -> list[Contact]:
    with app.app_context():
        return list(db.session.execute(db.select(Contact)).scalars())


def qp_card(size: int) -> bytes:
    """A vCard 2.1 whose quoted-printable note ('A' repeated) fills `size` bytes."""
    head = b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Quentin Printable\r\n"
    head += b"NOTE;ENCODING=QUOTED-PRINTABLE:"
    line = b"=41" * 24 + b"=\r\n"  # 24 characters and a soft line break
    lines = (size - len(head) - 20) // len(line)
    return head + line * lines + b"=41\r\nEND:VCARD\r\n", lines * 24 + 1


def test_a_5_mb_quoted_printable_note_is_decoded_in_linear_time():
    data, chars = qp_card(FIVE_MB)
    cards, elapsed = within(5, lambda: parse_vcard_file(data))
    assert [c.error for c in cards] == [None]
    assert cards[0].fields["notes"] == "A" * chars
    assert elapsed < 5


def test_a_5_mb_quoted_printable_card_imports_with_its_note_cut_and_noted(app, api):
    data, chars = qp_card(FIVE_MB)
    response, _elapsed = within(10, lambda: raw_import(api, data))
    body = response.get_json()
    assert response.status_code == 200, body
    assert (body["imported"], body["errors"]) == (1, [])
    assert any(f"notes was cut to 20000 of its {chars}" in w for w in body["warnings"])
    [person] = people(app)
    assert person.name == "Quentin Printable"
    assert person.notes == "A" * 20000


def test_a_5_mb_file_of_small_cards_is_refused_in_seconds(app, api):
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:P{0:06}\r\nEND:VCARD\r\n"
    data = "".join(card.format(i) for i in range(FIVE_MB // len(card.format(0))))
    assert len(data) <= FIVE_MB
    response, _elapsed = within(10, lambda: raw_import(api, data.encode()))
    body = assert_api_error(response, 422, "unprocessable")
    assert "at most 20000" in body["error"]["message"]
    assert "Split it" in body["error"]["message"]
    assert people(app) == []


def test_a_vcard_file_of_too_many_lines_is_refused(app, api, monkeypatch):
    monkeypatch.setattr(importing, "MAX_VCARD_LINES", 10)
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Many\r\n" + b"NOTE:x\r\n" * 10
    body = assert_api_error(raw_import(api, data + b"END:VCARD\r\n"), 422)
    assert "more than 10 vCard lines" in body["error"]["message"]
    assert people(app) == []


def test_a_csv_file_of_too_many_rows_is_refused_before_anything_is_saved(
    app, api, monkeypatch
):
    monkeypatch.setattr(importing, "MAX_CARDS", 5)
    rows = "".join(f"Person {i},p{i}@example.com\r\n" for i in range(6))
    response = raw_import(api, ("Name,Email\r\n" + rows).encode(), "text/csv")
    body = assert_api_error(response, 422)
    assert "more than 5 rows" in body["error"]["message"]
    assert people(app) == []
    ok = raw_import(
        api, ("Name,Email\r\n" + rows[: rows.index("Person 5")]).encode(), "text/csv"
    )
    assert ok.get_json()["imported"] == 5


# --------------------------------------------------------------------------
# The header row is checked first


@pytest.mark.parametrize(
    "header",
    ids=["million-columns", "huge-cell"],
    argvalues=[
        "Name,Email" + ",x" * 1_000_000,
        "Name,Email," + "y" * 200_000,
    ],
)
def test_a_csv_header_too_large_is_refused_at_once(app, api, header):
    data = (header + "\r\nAda,ada@example.com\r\n").encode()
    response, elapsed = within(5, lambda: raw_import(api, data, "text/csv"))
    body = assert_api_error(response, 422, "unprocessable")
    assert "header row" in body["error"]["message"]
    assert elapsed < 1.5, elapsed
    assert people(app) == []


def test_a_csv_with_a_long_data_row_after_its_header_still_imports(app, api):
    data = f"Name,Notes\r\nAda,{'n' * 100_000}\r\nBob,short\r\n".encode()
    body = raw_import(api, data, "text/csv").get_json()
    assert (body["imported"], body["errors"]) == (2, [])


def test_a_csv_with_notes_above_its_header_and_old_mac_line_ends_imports(app, api):
    data = b"Notes:\rExported today\r\rFirst Name,Last Name,Email\rAda,Lovelace,ada@example.com\r"
    body = raw_import(api, data, "text/csv").get_json()
    assert body["imported"] == 1
    assert [p.name for p in people(app)] == ["Ada Lovelace"]


# --------------------------------------------------------------------------
# An unreadable character set fails one card only


@pytest.mark.parametrize("charset", ["punycode", "idna", "x-unheard-of", "base64"])
def test_a_card_with_an_unreadable_charset_fails_alone(app, api, charset):
    data = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Ada Lovelace\r\nEND:VCARD\r\n"
        f"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET={charset}:J\\xfcrgen=\r\n"
        "END:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Bob Babbage\r\nEND:VCARD\r\n"
    ).encode()
    response = raw_import(api, data)
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["imported"] == 2
    [error] = body["errors"]
    assert error["card"] == 2
    assert charset in error["message"]
    assert sorted(p.name for p in people(app)) == ["Ada Lovelace", "Bob Babbage"]


# --------------------------------------------------------------------------
# Short transactions


def test_a_batch_that_fails_keeps_the_batches_before_it_and_says_so(
    app, api, monkeypatch
):
    monkeypatch.setattr(importing, "BATCH", 3)
    real = importing._finish_batch
    calls = []

    def failing_second_batch(fresh, now):
        calls.append(len(fresh))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real(fresh, now)

    monkeypatch.setattr(importing, "_finish_batch", failing_second_batch)
    data = "".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {i}\r\nEMAIL:p{i}@example.com\r\n"
        "END:VCARD\r\n"
        for i in range(1, 9)
    ).encode()
    body = raw_import(api, data).get_json()
    assert (body["imported"], body["merged"], body["skipped"]) == (3, 0, 0)
    [error] = body["errors"]
    assert error["card"] == 4
    assert (
        "not saved" in error["message"] and "the 3 before it were" in error["message"]
    )
    assert sorted(p.name for p in people(app)) == ["Person 1", "Person 2", "Person 3"]
    # The rest is added by importing the same file again; nobody is doubled.
    monkeypatch.setattr(importing, "_finish_batch", real)
    again = raw_import(api, data).get_json()
    assert (again["imported"], again["skipped"], again["errors"]) == (5, 3, [])
    assert len(people(app)) == 8


def test_an_import_commits_in_batches(app, api, monkeypatch):
    monkeypatch.setattr(importing, "BATCH", 4)
    commits = []
    with app.app_context():
        from sqlalchemy import event

        engine = db.engine
    listener = lambda conn: commits.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:
        data = "".join(
            f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {i}\r\nEND:VCARD\r\n"
            for i in range(10)
        ).encode()
        body = raw_import(api, data).get_json()
    finally:
        event.remove(engine, "commit", listener)
    assert body["imported"] == 10
    assert len(commits) >= 3


# --------------------------------------------------------------------------
# A busy database is a 503 with Retry-After, never a 500


@pytest.fixture
def waiting_app(app, clock):
    """waiting_app(seconds) → an app on the same SQLite file with that busy timeout."""
    if TEST_DATABASE_URL:
        pytest.skip(
            "SQLite's busy timeout: this run is on PostgreSQL, which waits for locks itself"
        )
    from app import create_app

    made = []

    def make(seconds: float):
        other = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret-key-0123456789",
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "RATELIMIT_STORAGE_URI": "memory://",
                "CLOCK": clock,
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "PUBLIC_URL": None,
                "SQLITE_BUSY_TIMEOUT": seconds,
            }
        )
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def write_lock(app):
    """Hold SQLite's write lock from another connection within the block."""
    from contextlib import contextmanager

    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")

    @contextmanager
    def hold():
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()

    return hold


def test_a_write_on_a_locked_database_is_503_with_retry_after(
    make_user, token_for, waiting_app, write_lock
):
    busy = waiting_app(0.2)
    token = token_for(make_user("busy@example.com"))
    with write_lock():
        response = busy.test_client().post(
            "/api/v1/contacts",
            json={"name": "Ada Lovelace"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert_api_error(response, 503, "busy")
    assert response.headers["Retry-After"] == "5"
    with busy.app_context():
        assert db.session.execute(db.select(Contact)).first() is None


def test_a_page_write_on_a_locked_database_is_a_503_page(user, waiting_app, write_lock):
    from tests.conftest import LoggedInClient

    owner = LoggedInClient(waiting_app(0.2), user)
    with write_lock():
        response = owner.form("/capture", {"name": "Ada Lovelace"})
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    assert "busy" in response.get_data(as_text=True)


@pytest.mark.slow  # a real server and a few thousand cards: about 8 s
def test_captures_of_another_account_succeed_during_a_big_import(
    make_user, token_for, waiting_app
):
    import requests

    from tests.browser.browserlib import LiveServer

    # A short busy timeout: without short transactions an import this size
    # holds the write lock far longer, and the captures would fail.
    app = waiting_app(0.5)
    importer = {"Authorization": f"Bearer {token_for(make_user('big@example.com'))}"}
    capturer = {"Authorization": f"Bearer {token_for(make_user('cap@example.com'))}"}
    data = "".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {i}\r\nN:{i};Person;;;\r\n"
        f"EMAIL:p{i}@example.com\r\nORG:Company {i % 50}\r\nEND:VCARD\r\n"
        for i in range(CONCURRENT_CARDS)
    ).encode()
    server = LiveServer(app)
    answers: dict = {}
    try:

        def run_import() -> None:
            answers["import"] = requests.post(
                f"{server.url}/api/v1/contacts/import",
                data=data,
                headers={**importer, "Content-Type": "text/vcard"},
                timeout=120,
            )

        thread = threading.Thread(target=run_import)
        thread.start()
        time.sleep(1.0)  # the import is parsed and writing by now
        captures = []
        while thread.is_alive() or len(captures) < 12:
            captures.append(
                requests.post(
                    f"{server.url}/api/v1/contacts",
                    json={"name": f"Met {len(captures)}"},
                    headers=capturer,
                    timeout=30,
                )
            )
            if len(captures) >= 12 and not thread.is_alive():
                break
        thread.join(120)
    finally:
        server.stop()
    assert [r.status_code for r in captures] == [201] * len(captures), [
        r.text[:200] for r in captures if r.status_code != 201
    ]
    assert answers["import"].status_code == 200
    assert answers["import"].json()["imported"] == CONCURRENT_CARDS
