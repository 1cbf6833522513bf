"""Import keeps what it can read: tags, every email and phone, names, URLs.

Realistic Google (current layout) and Outlook (English and German) CSV exports,
vCard CATEGORIES, photos that cannot be decoded, placeholder names and the
CSV/vCard export round trips.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
import warnings
from types import SimpleNamespace

import vobject
from vcard.vcard_validator import VCard

from app.extensions import db
from app.formats.csv import contacts_csv, parse_csv_file, safe_cell
from app.formats.vcard import (
    card_vcard,
    compact_qr_payload,
    contact_vcard,
    contacts_vcf,
)
from app.formats.vcard_read import parse_vcard_file
from app.models import Contact


def valid_vcard(text: str) -> None:
    masked = re.sub(r"[^\x00-\xff]", "\xff", text)  # the validator's own bug
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        VCard(masked)


def person(**overrides: object) -> SimpleNamespace:
    values: dict[str, object] = dict.fromkeys(
        "name first_name last_name email phone company title website linkedin "
        "talked_about promise notes met_at source vcard_uid".split(),
        "",
    )
    values.update(id=str(uuid.uuid4()), tags=[], name="Ann Lee")
    values.update(overrides)
    return SimpleNamespace(**values)


def post_file(api, data: bytes, name: str, headers=None):
    return api.post(
        "/api/v1/contacts/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers=headers or {},
    )


def people_of(app, user_id: int) -> dict[str, Contact]:
    with app.app_context():
        rows = db.session.execute(db.select(Contact).filter_by(user_id=user_id))
        return {c.name: c for c in rows.scalars()}


# --------------------------------------------------------------------------
# vCard: tags and photos


def test_categories_become_tags_and_escaped_commas_stay_inside_a_tag() -> None:
    [three, two] = parse_vcard_file(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Lee\r\n"
        b"CATEGORIES:Friends,Rust\\, Go,myContacts\r\nCATEGORIES:Berlin\r\n"
        b"END:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Bo\r\nCATEGORIES:VIP;Family\r\nEND:VCARD\r\n"
    )

    assert three.fields and three.fields["tags"] == ["Friends", "Rust, Go", "Berlin"]
    assert two.fields and two.fields["tags"] == ["VIP", "Family"]


def test_exported_tags_come_back_on_import(app, api, make_user, token_for) -> None:
    tagged = [
        {"name": f"Person {n}", "email": f"p{n}@example.com", "tags": [f"t{n}", "ai"]}
        for n in range(5)
    ]
    tagged[0]["tags"] = ["rust, go", "berlin"]
    for body in tagged:
        assert api.post("/api/v1/contacts", json=body).status_code == 201
    text = api.get("/api/v1/contacts/export.vcf").get_data()

    other = make_user("other@example.com")
    headers = {"Authorization": f"Bearer {token_for(other)}"}
    answer = post_file(api, text, "people.vcf", headers).get_json()

    assert answer["imported"] == 5, answer
    copied = people_of(app, other)
    assert {n: sorted(c.tags) for n, c in copied.items()} == {
        b["name"]: sorted(b["tags"]) for b in tagged
    }


def test_too_many_categories_are_kept_in_the_notes(app, api, user) -> None:
    tags = ",".join(f"tag{n}" for n in range(25))
    data = f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Many Tags\r\nCATEGORIES:{tags}\r\nEND:VCARD\r\n"

    answer = post_file(api, data.encode(), "many.vcf").get_json()

    assert answer["imported"] == 1
    assert any("tags" in w for w in answer["warnings"])
    notes = people_of(app, user)["Many Tags"].notes
    assert "tag0, tag1" in notes and "tag24" in notes


def test_a_photo_that_cannot_be_decoded_is_dropped_with_a_warning(
    app, api, user
) -> None:
    data = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Data Uri\r\nEMAIL:du@example.com\r\n"
        b"PHOTO;ENCODING=b;TYPE=PNG:data:image/png;base64,iVBORw0KGgo=\r\n"
        b"CATEGORIES:photo\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Broken Base\r\nTEL:+4915112345678\r\n"
        b"PHOTO;ENCODING=BASE64;TYPE=JPEG:/9j/4AAQ!!##\r\nEND:VCARD\r\n"
    )

    cards = parse_vcard_file(data)
    answer = post_file(api, data, "photos.vcf").get_json()

    assert [c.error for c in cards] == [None, None]
    assert cards[0].warnings == [
        "line 5: the photo is a data: URI, not base64; it was left out"
    ]
    assert cards[1].warnings == [
        "line 12: the photo is not valid base64; it was left out"
    ]
    assert (answer["imported"], answer["errors"]) == (2, [])
    stored = people_of(app, user)
    assert stored["Data Uri"].email == "du@example.com"
    assert stored["Data Uri"].tags == ["photo"]
    assert stored["Broken Base"].phone == "+4915112345678"


# --------------------------------------------------------------------------
# vCard export: URLs keep their commas and semicolons


def test_urls_keep_commas_and_semicolons_through_export_and_import() -> None:
    url = "https://example.com/a,b;c?q=1,2"
    linkedin = "https://www.linkedin.com/in/ann,lee"
    text = contact_vcard(person(website=url, linkedin=linkedin))

    assert "URL:https://example.com/a\\,b\\;c?q=1\\,2\r\n" in text
    assert "%2C" not in text and "%3B" not in text
    valid_vcard(text)
    theirs = vobject.readOne(text)
    assert sorted(u.value for u in theirs.contents["url"]) == sorted([url, linkedin])
    [card] = parse_vcard_file(text.encode())
    assert card.fields and (card.fields["website"], card.fields["linkedin"]) == (
        url,
        linkedin,
    )


def test_the_owners_full_card_escapes_url_commas_the_qr_keeps_percent() -> None:
    card = SimpleNamespace(
        first_name="Ann", last_name="Lee", headline="", company="", email="",
        phone="", pitch="", links=["https://example.com/x;y"], public_fields=[],
        website="https://example.com/a,b", linkedin="https://www.linkedin.com/in/a,b",
    )  # fmt: skip

    text = card_vcard(card, public_only=False, public_url=None)

    assert "URL:https://example.com/a\\,b\r\n" in text
    assert "URL:https://example.com/x\\;y\r\n" in text
    valid_vcard(text)
    urls = {u.value for u in vobject.readOne(text).contents["url"]}
    assert urls == {card.website, card.linkedin, card.links[0]}
    [parsed] = parse_vcard_file(text.encode())
    assert parsed.fields and parsed.fields["website"] == card.website
    assert "URL:https://example.com/a%2Cb\r\n" in compact_qr_payload(card)


# --------------------------------------------------------------------------
# CSV files as Outlook and Google write them

OUTLOOK_EN = (
    "Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,"
    "Business Street,Business City,Business Postal Code,Business Country/Region,"
    "Home Street,Home City,Assistant's Phone,Business Fax,Business Phone,"
    "Business Phone 2,Callback,Car Phone,Company Main Phone,Home Fax,Home Phone,"
    "Home Phone 2,ISDN,Mobile Phone,Other Fax,Other Phone,Pager,Primary Phone,"
    "Radio Phone,TTY/TDD Phone,Telex,Anniversary,Birthday,Categories,"
    "E-mail Address,E-mail Type,E-mail Display Name,E-mail 2 Address,"
    "E-mail 2 Type,E-mail 2 Display Name,E-mail 3 Address,E-mail 3 Type,"
    "E-mail 3 Display Name,Gender,Initials,Keywords,Notes,Office Location,"
    "Priority,Private,Sensitivity,Web Page"
).split(",")

OUTLOOK_DE = (
    "Anrede,Vorname,Weitere Vornamen,Nachname,Suffix,Firma,Abteilung,Position,"
    "Straße geschäftlich,Ort geschäftlich,Postleitzahl geschäftlich,"
    "Land/Region geschäftlich,Straße privat,Ort privat,Telefon Assistent,"
    "Fax geschäftlich,Telefon geschäftlich,Telefon geschäftlich 2,Rückmeldung,"
    "Autotelefon,Telefon Firma,Fax privat,Telefon privat,Telefon privat 2,ISDN,"
    "Mobiltelefon,Weiteres Fax,Weiteres Telefon,Pager,Haupttelefon,"
    "Telefon für Hörbehinderte,Telex,Jahrestag,Geburtstag,Kategorien,"
    "E-Mail-Adresse,E-Mail-Typ,E-Mail: Angezeigter Name,E-Mail 2: Adresse,"
    "E-Mail 2: Typ,E-Mail 2: Angezeigter Name,E-Mail 3: Adresse,E-Mail 3: Typ,"
    "E-Mail 3: Angezeigter Name,Geschlecht,Initialen,Stichwörter,Notizen,Büro,"
    "Priorität,Privat,Vertraulichkeit,Webseite"
).split(",")

GOOGLE = (
    "First Name,Middle Name,Last Name,Phonetic First Name,Phonetic Middle Name,"
    "Phonetic Last Name,Name Prefix,Name Suffix,Nickname,File As,"
    "Organization Name,Organization Title,Organization Department,Birthday,"
    "Notes,Photo,Labels,E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,"
    "E-mail 2 - Value,Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,"
    "Phone 2 - Value,Address 1 - Label,Address 1 - Formatted,Website 1 - Label,"
    "Website 1 - Value"
).split(",")


def csv_file(header: list[str], rows: list[dict], *, encoding="utf-8") -> bytes:
    """Write rows as an exporter does: every header column, empty cells too."""
    for row in rows:
        assert set(row) <= set(header), set(row) - set(header)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, restval="", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def by_name(cards) -> dict[str, dict]:
    assert [c.error for c in cards] == [None] * len(cards)
    return {c.fields["name"]: c.fields for c in cards}


def test_outlook_csv_reads_every_phone_and_email_column() -> None:
    data = csv_file(
        OUTLOOK_EN,
        [
            {
                "Title": "Dr.",
                "First Name": "Ann",
                "Last Name": "Lee",
                "Company": "Acme",
                "Job Title": "CTO",
                "E-mail Type": "SMTP",
                "Business Phone": "+49 30 1234567",
                "E-mail Address": "ann@acme.example",
                "E-mail Display Name": "Ann Lee (ann@acme.example)",
                "Categories": "Kunden;VIP",
                "Web Page": "acme.example",
            },
            {
                "First Name": "Bo",
                "Last Name": "Berg",
                "E-mail 2 Address": "bo@home.example",
                "Home Phone": "030 7654321",
            },
            {
                "First Name": "Cy",
                "Middle Name": "J.",
                "Last Name": "Cole",
                "Mobile Phone": "+49 151 12345678",
                "Business Phone": "+49 30 1111111",
                "E-mail Address": "cy@work.example",
                "E-mail 3 Address": "cy@home.example",
                "Notes": "Met at the meetup.",
            },
        ],
        encoding="cp1252",
    )

    people = by_name(parse_csv_file(data, default_region="DE"))

    ann, bo, cy = people["Ann Lee"], people["Bo Berg"], people["Cy J. Cole"]
    assert (ann["phone"], ann["email"], ann["title"]) == (
        "+49301234567", "ann@acme.example", "CTO",
    )  # fmt: skip
    assert (ann["tags"], ann["website"]) == (["Kunden", "VIP"], "https://acme.example")
    assert (bo["phone"], bo["email"]) == ("+49307654321", "bo@home.example")
    assert (cy["phone"], cy["email"]) == ("+4915112345678", "cy@work.example")
    assert (cy["first_name"], cy["last_name"]) == ("Cy", "Cole")
    assert cy["notes"] == (
        "Met at the meetup.\n\n"
        "Also: cy@home.example (E-mail 3 Address)\n"
        "Also: +49301111111 (Business Phone)"
    )


def test_german_outlook_csv_is_read() -> None:
    data = csv_file(
        OUTLOOK_DE,
        [
            {
                "Anrede": "Herr",
                "Vorname": "Jürgen",
                "Nachname": "Groß",
                "Firma": "Müller GmbH",
                "Position": "Geschäftsführer",
                "Telefon geschäftlich": "030 1234567",
                "Mobiltelefon": "0151 12345678",
                "E-Mail-Adresse": "jg@mueller.example",
                "E-Mail-Typ": "SMTP",
                "E-Mail 2: Adresse": "juergen@privat.example",
                "Webseite": "www.mueller.example",
                "Notizen": "Kennt Anna.",
                "Kategorien": "Geschäftlich;Berlin",
            },
            {
                "Vorname": "Eva",
                "Nachname": "Klein",
                "Telefon privat": "040 555666",
                "E-Mail 3: Adresse": "eva@example.de",
            },
        ],
        encoding="cp1252",
    )

    people = by_name(parse_csv_file(data, default_region="DE"))

    jg, eva = people["Jürgen Groß"], people["Eva Klein"]
    assert (jg["company"], jg["title"], jg["email"], jg["phone"]) == (
        "Müller GmbH", "Geschäftsführer", "jg@mueller.example", "+4915112345678",
    )  # fmt: skip
    assert (jg["website"], jg["tags"]) == (
        "https://www.mueller.example",
        ["Geschäftlich", "Berlin"],
    )
    assert jg["notes"] == (
        "Kennt Anna.\n\n"
        "Also: juergen@privat.example (E-Mail 2: Adresse)\n"
        "Also: +49301234567 (Telefon geschäftlich)"
    )
    assert (eva["phone"], eva["email"]) == ("+4940555666", "eva@example.de")


def test_google_csv_keeps_title_middle_name_labels_and_every_value() -> None:
    data = csv_file(
        GOOGLE,
        [
            {
                "First Name": "Ann",
                "Middle Name": "Marie",
                "Last Name": "Lee",
                "Organization Name": "Acme",
                "Organization Title": "Head of Data",
                "Labels": "Friends ::: * myContacts ::: * starred ::: Rust Berlin",
                "E-mail 1 - Label": "* Work",
                "E-mail 1 - Value": "ann@acme.example ::: ann.lee@acme.example",
                "E-mail 2 - Label": "Home",
                "E-mail 2 - Value": "ann@home.example",
                "Phone 1 - Label": "Mobile",
                "Phone 1 - Value": "+49 151 12345678",
                "Phone 2 - Label": "Work",
                "Phone 2 - Value": "030 1234567",
                "Website 1 - Label": "Profile",
                "Website 1 - Value": "https://www.linkedin.com/in/annlee ::: ann.example",
            },
            {
                "First Name": "Bo",
                "Labels": "* myContacts",
                "Phone 2 - Value": "0301112223",
            },
        ],
    )
    data = b"\xef\xbb\xbf" + data

    people = by_name(parse_csv_file(data, default_region="DE"))

    ann, bo = people["Ann Marie Lee"], people["Bo"]
    assert (ann["first_name"], ann["last_name"]) == ("Ann", "Lee")
    assert (ann["company"], ann["title"]) == ("Acme", "Head of Data")
    assert ann["tags"] == ["Friends", "Rust Berlin"]
    assert (ann["email"], ann["phone"]) == ("ann@acme.example", "+4915112345678")
    assert ann["linkedin"] == "https://www.linkedin.com/in/annlee"
    assert ann["website"] == "https://ann.example"
    assert ann["notes"] == (
        "Also: ann.lee@acme.example (E-mail 1)\n"
        "Also: ann@home.example (E-mail 2)\n"
        "Also: +49301234567 (Phone 2)"
    )
    assert (bo["phone"], bo["tags"]) == ("+49301112223", [])


def test_csv_import_keeps_the_extra_phone_and_the_labels(app, api, user) -> None:
    data = csv_file(
        OUTLOOK_EN,
        [
            {
                "First Name": "Cy",
                "Last Name": "Cole",
                "Categories": "VIP",
                "Mobile Phone": "+49 151 12345678",
                "Business Phone": "+49 30 1111111",
            }
        ],
    )

    answer = post_file(api, data, "outlook.csv").get_json()

    assert answer["imported"] == 1
    cy = people_of(app, user)["Cy Cole"]
    assert (cy.phone, cy.tags) == ("+4915112345678", ["vip"])
    assert "Also: +49301111111 (Business Phone)" in cy.notes


# --------------------------------------------------------------------------
# CSV export: phone numbers without an apostrophe


def test_csv_export_writes_phone_numbers_as_is_and_guards_formulas() -> None:
    text = contacts_csv(
        [person(name='=HYPERLINK("http://evil")', phone="+4915112345678")]
    )

    [row] = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert row["phone"] == "+4915112345678"
    assert row["name"] == '\'=HYPERLINK("http://evil")'
    [card] = parse_csv_file(text.encode("utf-8"))
    assert card.fields and card.fields["phone"] == "+4915112345678"


def test_only_an_e164_number_in_the_phone_column_skips_the_guard() -> None:
    assert safe_cell("+4915112345678", phone=True) == "+4915112345678"
    assert safe_cell("+4915112345678") == "'+4915112345678"
    assert safe_cell("=1+2", phone=True) == "'=1+2"
    assert safe_cell("+49 151 =A1", phone=True) == "'+49 151 =A1"
    assert safe_cell("-1", phone=True) == "'-1"


# --------------------------------------------------------------------------
# Names: a real name replaces one made from the email address


def test_a_real_name_replaces_a_placeholder_named_after_the_email(
    app, api, user
) -> None:
    for body in (
        {"name": "ann@example.com", "email": "ann@example.com"},
        {"name": "bo.berg", "email": "bo.berg@example.com"},
        {"name": "Cy", "email": "cyrus@example.com"},
        {"name": "dee", "email": "dee@example.com"},
    ):
        assert api.post("/api/v1/contacts", json=body).status_code == 201
    vcf = contacts_vcf(
        [
            person(
                name="Ann Lee",
                first_name="Ann",
                last_name="Lee",
                email="ann@example.com",
            ),
            person(name="Bo Berg", email="bo.berg@example.com"),
            person(name="Cy Cole", email="cyrus@example.com"),
            person(name="dee@example.com", email="ann@example.com"),
        ]
    )
    # No name at all: the card is named after its company, which is no name.
    vcf += "BEGIN:VCARD\r\nVERSION:3.0\r\nORG:Acme\r\nEMAIL:dee@example.com\r\nEND:VCARD\r\n"

    answer = post_file(api, vcf.encode(), "names.vcf").get_json()

    assert (answer["merged"], answer["imported"]) == (3, 0), answer
    stored = people_of(app, user)
    assert set(stored) == {"Ann Lee", "Bo Berg", "Cy", "dee"}
    assert stored["dee"].company == "Acme"
    assert (stored["Ann Lee"].first_name, stored["Ann Lee"].last_name) == ("Ann", "Lee")
    assert (stored["Bo Berg"].first_name, stored["Bo Berg"].last_name) == ("Bo", "Berg")
