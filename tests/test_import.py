"""Importing people: the shared corpus, repeats, LinkedIn CSV, limits and types."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Contact, FollowUp
from tests.conftest import assert_api_error

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "vcards"
UNNAMED = {"(no FN)", "(empty)", ""}
# Read leniently on purpose: the AOSP reader accepts it too (see test_vcard_corpus).
LENIENT = {"aosp-vcard/v21_base64_no_2_crlf.vcf"}
# Malformed only in its photo, which is dropped with a warning (see test_vcard_corpus).
LENIENT |= {"aosp-vcard/v21_malformed_photo.vcf"}


def manifest() -> list:
    if not (CORPUS / "MANIFEST.tsv").exists():
        return [
            pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus at {CORPUS}"))
        ]
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [pytest.param(row, id=row["path"]) for row in rows]


def upload(api, data: bytes, name: str = "people.vcf", **kwargs):
    if len(data) > 400_000:
        # Werkzeug's test client spools a large multipart body to a temporary
        # file it never closes (a ResourceWarning); a raw body has no such file.
        kind = "text/csv" if name.endswith(".csv") else "text/vcard"
        return api.post("/api/v1/contacts/import", data=data, content_type=kind)
    return api.post(
        "/api/v1/contacts/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        **kwargs,
    )


def names(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(db.select(Contact.name)).scalars())


def count(app, model=Contact) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(db.func.count()).select_from(model)
        ).scalar()


def judge(row: dict, response, people: list[str]) -> tuple[int, int, bool]:
    """Return (cards right, cards, file right) for one corpus file's import."""
    cards = int(row["cards"])
    assert response.status_code in (200, 422), response.data[:300]
    if response.status_code == 422:
        assert_api_error(response, 422)
        ok = row["version"] == "malformed"
        return (cards if ok else 0), cards, ok
    body = response.get_json()
    failed = {e["card"] for e in body["errors"]}
    assert all(e["message"] for e in body["errors"])
    done = body["imported"] + body["merged"] + body["skipped"] + len(body["errors"])
    assert done == cards, body
    expected = row["expected_fn"].split("|") if row["expected_fn"] else [""] * cards
    right = 0
    for i, name in enumerate(expected, 1):
        if row["version"] == "malformed":
            right += i in failed or row["path"] in LENIENT
        elif name in UNNAMED:
            right += 1  # no name to compare: read without a 500 is right
        else:
            # Stored names are trimmed like every typed name (FN "Ñ Ñ " → "Ñ Ñ").
            right += i not in failed and name.strip() in people
    return right, cards, right == cards


@pytest.mark.parametrize("row", manifest())
def test_corpus_file_imports_each_readable_card_by_its_formatted_name(app, api, row):
    data = (CORPUS / row["path"]).read_bytes()
    response = upload(api, data, Path(row["path"]).name)
    right, cards, _ok = judge(row, response, names(app))
    assert right == cards, (response.get_json(), names(app))


def test_corpus_figures_are_reported(app, api, client, make_user, token_for, capsys):
    rows = [r.values[0] for r in manifest() if r.values[0] is not None]
    if not rows:
        pytest.skip(f"no corpus at {CORPUS}")
    files_right = cards_right = cards_total = 0
    for n, row in enumerate(rows):
        owner_id = make_user(f"corpus{n}@example.com")
        headers = {"Authorization": f"Bearer {token_for(owner_id)}"}
        response = client.post(
            "/api/v1/contacts/import",
            data={"file": (io.BytesIO((CORPUS / row["path"]).read_bytes()), "f.vcf")},
            headers=headers,
        )
        with app.app_context():
            people = list(
                db.session.execute(
                    db.select(Contact.name).filter_by(user_id=owner_id)
                ).scalars()
            )
        right, cards, ok = judge(row, response, people)
        files_right += ok
        cards_right += right
        cards_total += cards
    with capsys.disabled():
        print(
            f"\ncorpus: {files_right} of {len(rows)} files and {cards_right} of "
            f"{cards_total} cards imported exactly right"
        )
    assert files_right == len(rows)


def test_importing_the_same_file_twice_creates_nobody_new(app, api):
    rows = [r.values[0] for r in manifest() if r.values[0] is not None]
    if not rows:
        pytest.skip(f"no corpus at {CORPUS}")
    # Malformed files are left out: an unterminated card would swallow the next.
    files = [CORPUS / r["path"] for r in rows if r["version"] in ("2.1", "3.0", "4.0")]
    data = b"".join(p.read_bytes() + b"\r\n" for p in files)
    first = upload(api, data)
    assert first.status_code == 200
    stored = count(app)
    assert stored == first.get_json()["imported"] > 100
    second = upload(api, data)
    assert second.status_code == 200
    body = second.get_json()
    assert body["imported"] == 0
    assert count(app) == stored
    assert body["errors"] == first.get_json()["errors"]


def card(name: str, email: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nEMAIL:{email}\r\nEND:VCARD\r\n"


VCARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\n"
    "EMAIL:ada@example.com\r\nTEL:+44 20 7946 0018\r\nUID:ada-1\r\nEND:VCARD\r\n"
)


@pytest.mark.parametrize(
    "second, result",
    [
        (VCARD, "skipped"),
        (VCARD.replace("UID:ada-1", "ORG:Analytical Engines"), "merged"),
        (VCARD.replace("EMAIL:ada@example.com", "EMAIL:ADA@EXAMPLE.COM"), "skipped"),
        (
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A. L.\r\nTEL:+442079460018\r\n"
            "TITLE:Countess\r\nEND:VCARD\r\n",
            "merged",
        ),
        (
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Someone\r\nUID:ada-1\r\nEND:VCARD\r\n",
            "skipped",
        ),
        (
            VCARD.replace("ada@", "ada2@")
            .replace("+44 20 7946 0018", "")
            .replace("UID:ada-1", "UID:other"),
            "imported",
        ),
    ],
)
def test_a_card_matching_a_person_merges_or_skips(app, api, second, result):
    assert upload(api, VCARD.encode()).get_json()["imported"] == 1
    body = upload(api, second.encode()).get_json()
    assert body[result] == 1, body
    assert count(app) == (2 if result == "imported" else 1)


def test_a_bad_card_is_reported_by_position_and_the_good_ones_import(app, api):
    bad = "BEGIN:VCARD\r\nFN:No version\r\nEND:VCARD\r\n"
    body = upload(
        api, (VCARD + bad + card("Bob", "bob@example.com")).encode()
    ).get_json()
    assert body["imported"] == 2
    assert [e["card"] for e in body["errors"]] == [2]
    assert "VERSION" in body["errors"][0]["message"]


def test_an_invalid_phone_is_left_out_but_kept_in_the_notes(app, api):
    card = VCARD.replace("+44 20 7946 0018", "12")
    body = upload(api, card.encode()).get_json()
    assert body["imported"] == 1 and body["warnings"]
    with app.app_context():
        person = db.session.execute(db.select(Contact)).scalar_one()
        assert person.phone == "" and "phone: 12" in person.notes


LINKEDIN = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email '
    'addresses are missing."\n'
    "\n"
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    "Grace,Hopper,https://www.linkedin.com/in/grace-hopper,,US Navy,Rear Admiral,"
    "01 Jan 2024\n"
    "Alan,Turing,https://www.linkedin.com/in/alan-turing,alan@example.com,NPL,"
    "Scientist,02 Feb 2024\n"
)


def test_linkedin_connections_csv_imports_with_its_notes_above_the_header(app, api):
    response = upload(api, LINKEDIN.encode(), "Connections.csv")
    assert response.get_json()["imported"] == 2, response.get_json()
    with app.app_context():
        grace = db.session.execute(
            db.select(Contact).filter_by(name="Grace Hopper")
        ).scalar_one()
        assert grace.linkedin == "https://www.linkedin.com/in/grace-hopper"
        assert (grace.company, grace.title, grace.source) == (
            "US Navy",
            "Rear Admiral",
            "import",
        )
    again = upload(api, LINKEDIN.encode(), "Connections.csv").get_json()
    assert again["imported"] == 0 and again["skipped"] == 2


def test_imported_people_get_no_thank_you_but_keep_their_keep_in_touch(app, api, user):
    capture = api.post(
        "/api/v1/contacts",
        json={
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "keep_in_touch_days": 30,
        },
    )
    assert capture.status_code == 201
    upload(api, (VCARD + card("Bob Lovelace", "bob@example.com")).encode())
    with app.app_context():
        kinds = {
            (c.name, f.kind)
            for f, c in db.session.execute(
                db.select(FollowUp, Contact).join(
                    Contact, FollowUp.contact_id == Contact.id
                )
            )
        }
        bob = db.session.execute(
            db.select(Contact).filter_by(name="Bob Lovelace")
        ).scalar_one()
        assert bob.source == "import"
    assert ("Bob Lovelace", "thank_you") not in kinds
    assert not any(name == "Bob Lovelace" for name, _kind in kinds)
    assert ("Ada Lovelace", "keep_in_touch") in kinds


def test_an_import_of_thousands_of_cards_takes_seconds(app, api):
    cards = "".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {i}\r\nN:{i};Person;;;\r\n"
        f"EMAIL:p{i}@example.com\r\nORG:Company {i % 50}\r\nTITLE:Engineer\r\n"
        f"NOTE:{'x' * 40}\r\nEND:VCARD\r\n"
        for i in range(3000)
    )
    started = time.perf_counter()
    body = upload(api, cards.encode()).get_json()
    elapsed = time.perf_counter() - started
    assert body["imported"] == 3000
    assert elapsed < 15, elapsed


def test_a_file_over_the_limit_is_413(app, api):
    app.config["MAX_IMPORT_BYTES"] = 2048
    response = upload(api, VCARD.encode() * 40)
    body = assert_api_error(response, 413, "too_large")
    assert "MB" in body["error"]["message"]
    assert count(app) == 0


def test_a_body_over_the_app_limit_is_413_json(app, api):
    # A raw body: a multipart one this large makes the test client spool to a
    # temporary file that it never closes.
    response = api.post(
        "/api/v1/contacts/import",
        data=b"x" * (6 * 1024 * 1024 + 10),
        content_type="text/vcard",
    )
    assert_api_error(response, 413)


@pytest.mark.parametrize(
    "data, name, status",
    ids=["png", "plain-words", "vcf-without-card", "csv-unknown-header", "empty-card"],
    argvalues=[
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", 415),
        (b"just some words without separators", "notes.txt", 415),
        (b"hello, I am not a vcard", "people.vcf", 422),
        (b"a,b,c\n1,2,3\n", "people.csv", 422),
        (b"BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n", "empty.vcf", 200),
    ],
)
def test_a_file_that_is_not_a_vcard_or_csv_is_refused(app, api, data, name, status):
    response = upload(api, data, name)
    if status == 200:
        assert response.get_json()["errors"][0]["card"] == 1
    else:
        assert_api_error(response, status)
    assert count(app) == 0


@pytest.mark.parametrize(
    "content_type", ["text/vcard", "text/x-vcard; charset=utf-8", "text/csv"]
)
def test_a_raw_body_with_a_vcard_or_csv_type_imports(app, api, content_type):
    data = LINKEDIN.encode() if "csv" in content_type else VCARD.encode()
    response = api.post("/api/v1/contacts/import", data=data, content_type=content_type)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["imported"] >= 1


@pytest.mark.parametrize(
    "kwargs, status, field",
    [
        ({"json": {"file": "x"}}, 415, None),
        ({"data": {"other": "x"}, "content_type": "multipart/form-data"}, 400, "file"),
        ({"data": b"  ", "content_type": "text/vcard"}, 400, "file"),
    ],
)
def test_an_import_without_a_usable_file_is_a_clear_4xx(api, kwargs, status, field):
    response = api.post("/api/v1/contacts/import", **kwargs)
    assert_api_error(response, status, field=field)


def test_import_needs_a_login(client):
    response = client.post(
        "/api/v1/contacts/import", data=VCARD, content_type="text/vcard"
    )
    assert_api_error(response, 401)


def test_import_page_shows_counts_and_per_card_errors(app, owner):
    page = owner.get("/settings/import-export")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'type="file"' in html
    for link in ("export.vcf", "export.csv", "export.json"):
        assert f"/api/v1/{'contacts/' if link != 'export.json' else ''}{link}" in html
    bad = "BEGIN:VCARD\r\nFN:No version\r\nEND:VCARD\r\n"
    response = owner.form(
        "/settings/import-export",
        {"file": (io.BytesIO((VCARD + bad).encode()), "people.vcf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "1 imported" in html
    assert "Card 2" in html
    assert count(app) == 1


def test_import_page_explains_a_refused_file(app, owner):
    response = owner.form(
        "/settings/import-export",
        {"file": (io.BytesIO(b"\x89PNG\x00\x00"), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 415
    assert "vCard" in response.get_data(as_text=True)


def test_met_at_of_imported_people_is_the_import_time(app, api, clock):
    upload(api, VCARD.encode())
    with app.app_context():
        person = db.session.execute(db.select(Contact)).scalar_one()
        assert person.met_at == clock() and person.source == "import"
        assert person.vcard_uid == "ada-1"
    assert clock().tzinfo is dt.UTC
