"""Exports: vCard that validates and re-imports, safe CSV, the account round trip."""

from __future__ import annotations

import csv
import io
import json

import pytest

from app.extensions import db
from app.formats.csv import EXPORT_COLUMNS as EXPORT_HEADER
from app.models import Contact
from tests.conftest import assert_api_error

PEOPLE = [
    {
        "name": "Zoë Łukasiewicz",
        "email": "zoe@example.com",
        "company": "Acme, Inc.",
        "title": "CTO; founder",
        "tags": ["ai", "berlin"],
        "talked_about": "line one\nline two",
        "promise": "send the deck",
        "linkedin": "https://www.linkedin.com/in/zoe",
    },
    {
        "name": '=HYPERLINK("http://x")',
        "company": "+1 Corp",
        "title": "-lead",
        "notes": "@mention",
        "phone": "+14155550123",
    },
    {"name": "Plain Person", "email": "plain@example.com", "keep_in_touch_days": 30},
]


@pytest.fixture
def people(api):
    ids = []
    for person in PEOPLE:
        response = api.post("/api/v1/contacts", json=person)
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    return ids


def mask(text: str) -> str:
    # The validator rejects any character above U+00FF (its own bug).
    return "".join(c if ord(c) <= 0xFF else "\xff" for c in text)


def test_vcf_export_passes_the_vcard_validator_and_reimports(
    app, api, people, make_user, token_for
):
    from vcard.vcard_validator import VCard

    response = api.get("/api/v1/contacts/export.vcf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/vcard; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    for block in text.split("END:VCARD\r\n")[:-1]:
        VCard(mask(block + "END:VCARD\r\n"))
    again = api.post(
        "/api/v1/contacts/import", data=text.encode(), content_type="text/vcard"
    )
    assert again.get_json()["imported"] == 0
    other = {"Authorization": f"Bearer {token_for(make_user('other@example.com'))}"}
    fresh = api.post(
        "/api/v1/contacts/import", data=text.encode(), content_type="text/vcard",
        headers=other,
    )  # fmt: skip
    assert fresh.get_json()["imported"] == 3
    with app.app_context():
        mine = {
            (c.name, c.email, c.phone, c.company, c.title)
            for c in db.session.execute(
                db.select(Contact).filter_by(source="capture")
            ).scalars()
        }
        copied = {
            (c.name, c.email, c.phone, c.company, c.title)
            for c in db.session.execute(
                db.select(Contact).filter_by(source="import")
            ).scalars()
        }
    assert mine == copied


def test_one_persons_vcf_downloads_and_others_are_404(
    api, people, client, make_user, token_for
):
    response = api.get(f"/api/v1/contacts/{people[0]}/vcard")
    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="Zoe-Lukasiewicz.vcf"'
    )
    assert "FN:Zoë Łukasiewicz" in response.get_data(as_text=True)
    other = {"Authorization": f"Bearer {token_for(make_user('other@example.com'))}"}
    assert_api_error(
        client.get(f"/api/v1/contacts/{people[0]}/vcard", headers=other), 404
    )


def test_csv_export_has_a_bom_and_neutralises_formulas(api, people):
    response = api.get("/api/v1/contacts/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 3
    for row in rows:
        for key, value in row.items():
            if key != "phone":
                assert not value.startswith(("=", "+", "-", "@")), value
    risky = next(r for r in rows if "HYPERLINK" in r["name"])
    # A phone number is no formula: spreadsheets get it without an apostrophe.
    assert risky["phone"] == "+14155550123"
    assert (risky["name"][0], risky["company"], risky["title"], risky["notes"]) == (
        "'",
        "'+1 Corp",
        "'-lead",
        "'@mention",
    )


def test_csv_export_reimports_to_the_same_people(api, people):
    data = api.get("/api/v1/contacts/export.csv").get_data()
    assert (
        api.post(
            "/api/v1/contacts/import", data=data, content_type="text/csv"
        ).get_json()["imported"]
        == 0
    )


VOLATILE = {"id", "exported_at", "slug", "public_url"}


def normalise(export: dict) -> dict:
    """Replace ids by the names they point to; drop what must differ."""
    people = {p["id"]: p["name"] for p in export["people"]}
    events = {e["id"]: e["name"] for e in export["events"]}

    def clean(item: dict) -> dict:
        out = {k: v for k, v in item.items() if k not in VOLATILE}
        for key in ("contact_id", "about_contact_id", "introduced_by_id"):
            if key in out:
                out[key] = people.get(out[key])
        if "event_id" in out:
            out["event_id"] = events.get(out["event_id"])
        return out

    return {
        "account": {k: v for k, v in export["account"].items() if k != "email"},
        "card": clean(export["card"]),
        **{
            key: sorted((clean(i) for i in export[key]), key=json.dumps)
            for key in ("events", "people", "followups", "templates", "interactions")
        },
    }


def fill_account(api, people) -> None:
    event = api.post("/api/v1/events", json={"name": "Meetup", "date": "2026-03-09"})
    api.patch(f"/api/v1/contacts/{people[1]}",
              json={"event_id": event.get_json()["id"], "introduced_by_id": people[0]})  # fmt: skip
    api.patch("/api/v1/me", json={"timezone": "Europe/Berlin", "followup_hour": 8})
    api.put("/api/v1/card", json={"first_name": "Owner", "pitch": "I help"})
    queue = api.get("/api/v1/followups?status=all&due=all").get_json()["items"]
    api.post(f"/api/v1/followups/{queue[0]['id']}/done")
    api.patch(f"/api/v1/followups/{queue[1]['id']}", json={"body": "Edited text"})


def test_account_export_loads_into_an_empty_account_and_exports_the_same(
    app, api, people, client, make_user, token_for
):
    fill_account(api, people)
    first = api.get("/api/v1/export.json")
    assert (
        first.status_code == 200
        and "attachment" in first.headers["Content-Disposition"]
    )
    exported = json.loads(first.get_data())
    assert exported["followups"] and exported["interactions"] and exported["events"]
    other = {"Authorization": f"Bearer {token_for(make_user('second@example.com'))}"}
    loaded = client.post("/api/v1/import.json", json=exported, headers=other)
    assert loaded.status_code == 200, loaded.get_json()
    assert loaded.get_json()["loaded"]["people"] == 3
    second = json.loads(client.get("/api/v1/export.json", headers=other).get_data())
    assert normalise(second) == normalise(exported)
    # The UUIDs were taken by the first account, so the copies got new ones.
    assert not {p["id"] for p in second["people"]} & {
        p["id"] for p in exported["people"]
    }


def test_account_import_keeps_free_contact_ids(
    api, people, client, make_user, token_for
):
    exported = json.loads(api.get("/api/v1/export.json").get_data())
    for person in exported["people"]:
        api.delete(f"/api/v1/contacts/{person['id']}")
    other = {"Authorization": f"Bearer {token_for(make_user('second@example.com'))}"}
    assert (
        client.post("/api/v1/import.json", json=exported, headers=other).status_code
        == 200
    )
    second = json.loads(client.get("/api/v1/export.json", headers=other).get_data())
    assert {p["id"] for p in second["people"]} == set(people)


def test_account_import_into_an_account_with_people_is_409(api, people):
    exported = json.loads(api.get("/api/v1/export.json").get_data())
    body = assert_api_error(
        api.post("/api/v1/import.json", json=exported), 409, "conflict"
    )
    assert "empty" in body["error"]["message"]


@pytest.mark.parametrize(
    "payload, status",
    [
        ({"format": "something-else", "version": 1}, 400),
        ({"format": "morrow-account", "version": 99}, 400),
        ({"format": "morrow-account", "version": 1, "people": "nope"}, 400),
        ({"format": "morrow-account", "version": 1, "people": [{"name": ""}]}, 400),
    ],
)
def test_a_bad_account_file_is_a_4xx_and_saves_nothing(app, api, payload, status):
    assert_api_error(api.post("/api/v1/import.json", json=payload), status)
    with app.app_context():
        assert (
            db.session.execute(db.select(db.func.count()).select_from(Contact)).scalar()
            == 0
        )


def test_account_import_needs_json(api):
    assert_api_error(
        api.post("/api/v1/import.json", data="x", content_type="text/plain"), 415
    )


def test_exports_need_a_login(client):
    for url in (
        "/api/v1/contacts/export.vcf",
        "/api/v1/contacts/export.csv",
        "/api/v1/export.json",
    ):
        assert_api_error(client.get(url), 401)


def test_the_person_page_links_to_their_vcf(owner, api, people):
    html = owner.get(f"/people/{people[0]}").get_data(as_text=True)
    assert f'href="/api/v1/contacts/{people[0]}/vcard"' in html
    assert owner.get(f"/api/v1/contacts/{people[0]}/vcard").status_code == 200


TRICKY_TAGS = ["berlin, 2026", "ai; ml", "c:::d", "back\\slash", "plain"]


def test_csv_tags_with_commas_and_semicolons_survive_export_and_import(api):
    person = {"name": "Tess Tagger", "email": "tess@example.com"}
    created = api.post("/api/v1/contacts", json={**person, "tags": TRICKY_TAGS})
    assert created.get_json()["tags"] == TRICKY_TAGS
    data = api.get("/api/v1/contacts/export.csv").get_data()
    assert api.delete(f"/api/v1/contacts/{created.get_json()['id']}").status_code == 204
    answer = api.post("/api/v1/contacts/import", data=data, content_type="text/csv")
    assert answer.get_json()["imported"] == 1, answer.get_json()
    (back,) = api.get("/api/v1/contacts").get_json()["items"]
    assert back["tags"] == TRICKY_TAGS


@pytest.mark.parametrize(
    ("header", "cell", "tags"),
    [
        # A Morrow export from before tags were escaped.
        (",".join(EXPORT_HEADER), "ai; berlin", ["ai", "berlin"]),
        # Google's labels, Outlook's categories, a plain comma list.
        ("Name,E-mail 1 - Value,Labels", "friends ::: * myContacts", ["friends"]),
        ("Name,E-mail Address,Categories", "work;vip", ["work", "vip"]),
        ("Name,Email,Tags", "one, two", ["one", "two"]),
    ],
)
def test_csv_tags_of_other_files_and_older_exports_read_as_before(
    api, header, cell, tags
):
    columns = header.split(",")
    row = {c: "" for c in columns}
    row[columns[0] if columns[0] != "id" else "name"] = "Old Export"
    row[columns[1] if columns[0] != "id" else "email"] = "old@example.com"
    row[columns[-1] if columns[0] != "id" else "tags"] = cell
    buffer = io.StringIO()
    csv.writer(buffer).writerows([columns, [row[c] for c in columns]])
    answer = api.post(
        "/api/v1/contacts/import", data=buffer.getvalue(), content_type="text/csv"
    )
    assert answer.get_json()["imported"] == 1, answer.get_json()
    (back,) = api.get("/api/v1/contacts").get_json()["items"]
    assert back["tags"] == tags
