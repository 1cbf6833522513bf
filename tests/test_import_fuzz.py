"""Property-based runs of the vCard, CSV and account-JSON importers.

Whatever a file holds, an import ends in one of its documented results: an
answer whose every card is imported, merged, skipped or an `errors` entry, or
a DomainError (a 4xx). Nothing else may escape, no example may hang, and an
account import that is refused leaves the account empty. Examples are
bounded and derandomized, so the run is short and repeatable.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from app.errors import DomainError
from app.extensions import db
from app.models import Contact, ContactTag, Event, FollowUp, Interaction, Template, User
from tests.test_account_import import document

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
FUZZ = settings(
    max_examples=40,
    deadline=dt.timedelta(seconds=3),
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from(
        ["\u2028", "\u2029", "\x00", "\r", "\n", ";", ",", '"', "\\", "="]
    ),
    max_size=24,
)
VCARD_LINES = st.sampled_from(
    [
        b"BEGIN:VCARD",
        b"END:VCARD",
        b"VERSION:2.1",
        b"VERSION:3.0",
        b"VERSION:4.0",
        b"FN:Ann Lee",
        b"N:Lee;Ann;;;",
        b"EMAIL:ann@example.com",
        b"EMAIL;TYPE=PREF:a@b",
        b"TEL;TYPE=CELL:+49 30 1234567",
        b"TEL:12",
        b"ORG:Acme;Labs",
        b"URL:linkedin.com/in/ann",
        b"UID:urn:uuid:1",
        b"CATEGORIES:a,b",
        b"NOTE;ENCODING=QUOTED-PRINTABLE:caf=C3=A9=",
        b"=41=",
        b"FN;CHARSET=punycode:x-=",
        b"FN;CHARSET=utf-7:+AGEA-",
        b"FN;CHARSET=nonsense:x",
        b"FN;CHARSET=ISO-8859-1:J\xfcrgen",
        b"PHOTO;ENCODING=b:@@",
        b"PHOTO;ENCODING=BASE64:QUJD",
        b" folded on",
        b"\tfolded on",
        b"NOTE:\xe2\x80\xa8 separator",
        b'X-CUSTOM;TYPE="a,b:c":v',
        b"",
    ]
)


def lines_to_file(lines: list[bytes], ending: bytes) -> bytes:
    return ending.join(lines) + ending


@pytest.fixture
def owner_user(app, user):
    """The owner, inside a request context, for calling the importers directly."""
    with app.test_request_context():
        yield db.session.get(User, user)


def empty_account(user_id: int) -> None:
    for model in (ContactTag, Interaction, FollowUp, Template, Contact, Event):
        db.session.execute(delete(model).where(model.user_id == user_id))
    db.session.commit()


def check_result(result) -> None:
    body = result.to_dict()
    assert min(body["imported"], body["merged"], body["skipped"]) >= 0
    for error in body["errors"]:
        assert isinstance(error["card"], int) and error["card"] >= 1
        assert isinstance(error["message"], str) and error["message"]
        assert "not saved" not in error["message"], error  # no batch failed
    assert all(isinstance(w, str) for w in body["warnings"])


@FUZZ
@given(
    cards=st.lists(
        st.lists(VCARD_LINES | st.binary(max_size=16), max_size=8), max_size=4
    ),
    ending=st.sampled_from([b"\r\n", b"\n", b"\r"]),
)
def test_the_vcard_importer_gives_a_result_or_a_4xx(owner_user, cards, ending):
    from app.importing import import_file

    lines = [b"BEGIN:VCARD", b"VERSION:3.0", b"FN:Start", b"END:VCARD"]
    for card in cards:
        lines += [b"BEGIN:VCARD", *card, b"END:VCARD"]
    try:
        result = import_file(
            owner_user, lines_to_file(lines, ending), NOW, filename="f.vcf"
        )
    except DomainError as error:
        assert 400 <= error.status < 500 and error.message
    else:
        check_result(result)


HEADERS = st.lists(
    st.sampled_from(
        ["Name", "First Name", "Last Name", "E-mail Address", "Phone", "Company",
         "Tags", "Notes", "URL", "Job Title", "Promise", "Talked about", "x"]
    ),
    min_size=2,
    max_size=6,
)  # fmt: skip


@FUZZ
@given(
    header=HEADERS,
    rows=st.lists(st.lists(TEXT, max_size=7), max_size=6),
    delimiter=st.sampled_from([",", ";", "\t"]),
    quote=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_the_csv_importer_gives_a_result_or_a_4xx(
    owner_user, header, rows, delimiter, quote, encoding
):
    from app.importing import import_file

    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if quote else value

    text = "\r\n".join(delimiter.join(cell(v) for v in row) for row in [header, *rows])
    data = text.encode(encoding, "replace")
    try:
        result = import_file(owner_user, data, NOW, filename="f.csv")
    except DomainError as error:
        assert 400 <= error.status < 500 and error.message
    else:
        check_result(result)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3)
    ),
    max_leaves=8,
)
SECTIONS = [
    "account",
    "card",
    "events",
    "people",
    "followups",
    "templates",
    "interactions",
]
FIELDS = [
    "id", "name", "date", "event_id", "tags", "met_at", "contact_id", "kind",
    "status", "due_at", "subject", "body", "note", "happened_at", "slug", "links",
    "timezone", "followup_hour", "introduced_by_id", "vcard_uid", "channel",
]  # fmt: skip


@st.composite
def account_documents(draw) -> dict:
    """The valid document with some sections, entries or fields replaced."""
    doc = document()
    for _ in range(draw(st.integers(1, 4))):
        section = draw(st.sampled_from(SECTIONS))
        target = doc[section]
        if isinstance(target, list) and target and draw(st.booleans()):
            if isinstance(target[0], dict):
                target[0][draw(st.sampled_from(FIELDS))] = draw(JSON)
            else:
                target[0] = draw(JSON)
        elif isinstance(target, dict) and draw(st.booleans()):
            target[draw(st.sampled_from(FIELDS))] = draw(JSON)
        else:
            doc[section] = draw(JSON)
    return doc


@settings(FUZZ, max_examples=150)
@given(doc=account_documents())
def test_the_account_importer_loads_all_or_refuses_with_a_4xx(owner_user, doc):
    from app.exporting import import_account

    doc = json.loads(json.dumps(doc))  # exactly what a client would send
    owner_user.timezone = "UTC"
    db.session.commit()
    try:
        counts = import_account(owner_user, doc, NOW)
    except DomainError as error:
        assert 400 <= error.status < 500 and error.message
        db.session.rollback()  # as the request does when it is refused
        assert (
            db.session.execute(db.select(db.func.count()).select_from(Contact)).scalar()
            == 0
        )
        assert db.session.get(User, owner_user.id).timezone == "UTC"
    else:
        assert set(counts) == {
            "events",
            "people",
            "followups",
            "templates",
            "interactions",
        }
    finally:
        empty_account(owner_user.id)
