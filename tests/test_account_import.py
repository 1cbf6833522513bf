"""Loading a malformed account export: a 4xx naming the fault, and nothing saved.

POST /api/v1/import.json loads into an empty account all or nothing: a
document with a wrong type, a missing key, a bad time or an absurd size is
refused as a whole, and the account (settings and card included) is left as
it was.
"""

from __future__ import annotations

import copy
import json

import pytest

from app.extensions import db
from app.models import Card, Contact, Event, FollowUp, Interaction, Template, User
from tests.conftest import assert_api_error

URL = "/api/v1/import.json"


def document() -> dict:
    """A small, valid account export."""
    return {
        "format": "morrow-account",
        "version": 1,
        "exported_at": "2026-03-10T12:00:00+00:00",
        "account": {"timezone": "Asia/Tokyo", "followup_hour": 8},
        "card": {"first_name": "Imported", "slug": "imported-card", "links": []},
        "events": [{"id": 7, "name": "Meetup", "date": "2026-03-09"}],
        "people": [
            {
                "id": "11111111-2222-3333-4444-555555555555",
                "name": "Bob Babbage",
                "event_id": 7,
                "tags": ["rust"],
                "met_at": "2026-03-09T18:00:00+00:00",
            }
        ],
        "followups": [
            {
                "contact_id": "11111111-2222-3333-4444-555555555555",
                "kind": "thank_you",
                "status": "pending",
                "due_at": "2026-03-10T08:00:00+00:00",
            }
        ],
        "templates": [{"kind": "thank_you", "subject": "Hi", "body": "Hello!"}],
        "interactions": [
            {
                "contact_id": "11111111-2222-3333-4444-555555555555",
                "kind": "talked",
                "note": "Rust",
                "happened_at": "2026-03-09T18:30:00+00:00",
            }
        ],
    }


def changed(path: str, value=None, *, delete: bool = False):
    """document() with the value at a dotted path (list indexes as numbers) set."""
    doc = document()
    *parents, last = path.split(".")
    node = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key = int(last) if isinstance(node, list) else last
    if delete:
        del node[key]
    else:
        node[key] = copy.deepcopy(value)
    return doc


def nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


PERSON = "people.0"
MALFORMED = [
    ("no-format", changed("format", delete=True), "format"),
    ("version-as-text", changed("version", "1"), "version"),
    ("account-a-list", changed("account", []), "account"),
    ("timezone-a-number", changed("account.timezone", 5), "timezone"),
    ("followup-hour-text", changed("account.followup_hour", "eight"), "followup_hour"),
    ("card-a-string", changed("card", "Ada"), "card"),
    ("card-links-a-number", changed("card.links", 5), "links"),
    ("card-slug-a-list", changed("card.slug", ["a"]), "slug"),
    ("card-public-fields-text", changed("card.public_fields", "all"), "public_fields"),
    ("events-an-object", changed("events", {"id": 7}), "events"),
    ("events-of-numbers", changed("events", [1, 2]), "events"),
    ("event-bad-date", changed("events.0.date", "2026-02-30"), "events[0]"),
    ("event-id-a-list", changed("events.0.id", [7]), "events[0]"),
    ("event-name-an-object", changed("events.0.name", {"a": 1}), "events[0]"),
    ("people-a-string", changed("people", "Bob"), "people"),
    ("person-null", changed(PERSON, None), "people"),
    ("person-without-name", changed(f"{PERSON}.name", delete=True), "people[0]"),
    ("person-name-a-number", changed(f"{PERSON}.name", 5), "people[0]"),
    ("person-id-an-object", changed(f"{PERSON}.id", {"x": 1}), "people[0]"),
    ("person-event-id-a-list", changed(f"{PERSON}.event_id", [7]), "people[0]"),
    ("person-tags-a-number", changed(f"{PERSON}.tags", 5), "people[0]"),
    ("person-met-at-words", changed(f"{PERSON}.met_at", "yesterday"), "met_at"),
    ("person-met-at-a-number", changed(f"{PERSON}.met_at", 12345), "met_at"),
    ("person-met-at-a-list", changed(f"{PERSON}.met_at", ["2026"]), "met_at"),
    (
        "person-met-at-past-year-9999",
        changed(f"{PERSON}.met_at", "9999-12-31T23:59:59-14:00"),
        "met_at",
    ),
    (
        "person-met-at-before-year-1",
        changed(f"{PERSON}.met_at", "0001-01-01T00:00:00+14:00"),
        "met_at",
    ),
    (
        "person-introducer-a-list",
        changed(f"{PERSON}.introduced_by_id", [1]),
        "people[0]",
    ),
    (
        "person-keep-in-touch-text",
        changed(f"{PERSON}.keep_in_touch_days", "x"),
        "people[0]",
    ),
    ("person-notes-nested", changed(f"{PERSON}.notes", nested(50)), "people[0]"),
    ("person-notes-huge", changed(f"{PERSON}.notes", "x" * 100_000), "people[0]"),
    ("person-uid-an-object", changed(f"{PERSON}.vcard_uid", {"a": 1}), "people[0]"),
    (
        "followup-contact-a-list",
        changed("followups.0.contact_id", ["x"]),
        "followups[0]",
    ),
    ("followup-without-due-at", changed("followups.0.due_at", delete=True), "due_at"),
    (
        "followup-channel-huge",
        changed("followups.0.channel", "x" * 10_000),
        "followups[0]",
    ),
    ("followup-key-an-object", changed("followups.0.key", {"a": 1}), "followups[0]"),
    ("followup-subject-a-list", changed("followups.0.subject", ["a"]), "followups[0]"),
    ("template-subject-a-number", changed("templates.0.subject", 5), "templates[0]"),
    (
        "interaction-note-a-list",
        changed("interactions.0.note", ["x"]),
        "interactions[0]",
    ),
    (
        "interaction-time-true",
        changed("interactions.0.happened_at", True),
        "happened_at",
    ),
    ("interactions-null-entry", changed("interactions", [None]), "interactions"),
]


def snapshot(app, user_id: int) -> tuple:
    with app.app_context():
        user = db.session.get(User, user_id)
        card = db.session.execute(db.select(Card).filter_by(user_id=user_id)).scalar()
        counts = tuple(
            db.session.execute(db.select(db.func.count()).select_from(model)).scalar()
            for model in (Contact, Event, FollowUp, Template, Interaction)
        )
        return (
            user.timezone,
            user.followup_hour,
            card.first_name if card else None,
            card.slug if card else None,
        ) + counts


def test_the_valid_document_loads(app, api, user):
    response = api.post(URL, json=document())
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["loaded"] == {
        "events": 1, "people": 1, "followups": 1, "templates": 1, "interactions": 1,
    }  # fmt: skip
    with app.app_context():
        assert db.session.get(User, user).timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    "doc, named", [pytest.param(d, n, id=i) for i, d, n in MALFORMED]
)
def test_a_malformed_document_is_a_4xx_naming_the_fault_and_saves_nothing(
    app, api, user, doc, named
):
    before = snapshot(app, user)
    response = api.post(URL, data=json.dumps(doc), content_type="application/json")
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    body = assert_api_error(response, response.status_code)
    error = body["error"]
    assert named in error["message"] + " " + " ".join(error.get("fields", {})), error
    assert snapshot(app, user) == before


@pytest.mark.parametrize(
    "raw",
    ids=["deeply-nested", "not-json", "a-list", "a-string"],
    argvalues=[
        b"[" * 100_000 + b"]" * 100_000,
        b'{"format": "morrow-account",',
        b"[]",
        b'"morrow-account"',
    ],
)
def test_a_body_that_is_no_export_is_a_400(app, api, user, raw):
    before = snapshot(app, user)
    response = api.post(URL, data=raw, content_type="application/json")
    assert_api_error(response, 400)
    assert snapshot(app, user) == before


def test_a_malformed_export_on_the_settings_page_is_a_form_error(app, owner, user):
    import io

    before = snapshot(app, user)
    doc = changed(f"{PERSON}.met_at", "9999-12-31T23:59:59-14:00")
    response = owner.form(
        "/settings/import-export",
        {
            "action": "account",
            "file": (io.BytesIO(json.dumps(doc).encode()), "morrow.json"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "met_at" in response.get_data(as_text=True)
    assert snapshot(app, user) == before
