"""vCard, MECARD and CSV building and reading, as pure functions."""

from __future__ import annotations

import re
import warnings
from types import SimpleNamespace

import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st
from vcard.vcard_validator import VCard

from app.errors import Unprocessable
from app.formats.csv import contacts_csv, parse_csv_file, safe_cell
from app.formats.vcard import (
    QR_MAX_OCTETS,
    card_vcard,
    clean_text,
    compact_qr_payload,
    contacts_vcf,
    vcf_filename,
)
from app.formats.vcard_read import parse_qr_text, parse_vcard_file

PUBLIC_URL = "https://morrow.example/c/jl"


def make_card(**overrides: object) -> SimpleNamespace:
    values: dict[str, object] = {
        "first_name": "Jürgen",
        "last_name": "Łukasiewicz",
        "headline": "Founder, CTO",
        "company": "Acme; Labs",
        "email": "jl@example.com",
        "phone": "+4915112345678",
        "website": "https://example.com/a,b",
        "linkedin": "https://www.linkedin.com/in/jl",
        "links": ["https://github.com/jl"],
        "pitch": "I help meetups run on time.\nAsk me about badges.",
        "public_fields": ["email", "linkedin", "pitch"],
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def make_contact(**overrides: object) -> SimpleNamespace:
    values: dict[str, object] = {
        "id": "4b1c7a52-0000-4000-8000-000000000001",
        "name": "Zoë Ångström",
        "first_name": "Zoë",
        "last_name": "Ångström",
        "email": "zoe@example.org",
        "phone": "+4915112345678",
        "company": '=HYPERLINK("x")',
        "title": "CTO, co-founder",
        "website": "https://zoe.example",
        "linkedin": "https://www.linkedin.com/in/zoe",
        "talked_about": "Rust; WebAssembly",
        "promise": "Send the slides",
        "notes": "",
        "tags": ["rust", "berlin"],
        "met_at": None,
        "source": "capture",
        "vcard_uid": None,
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def assert_valid_vcard(text: str) -> None:
    """Validate with the independent `vcard` package (3.0 only)."""
    # Its own bug: it applies an octet rule to code points, so mask them.
    masked = re.sub(r"[^\x00-\xff]", "\xff", text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # advisory notes such as "split name?"
        VCard(masked)


# --------------------------------------------------------------------------
# The compact QR payload


def test_compact_payload_is_exactly_these_bytes_for_a_fixed_card() -> None:
    payload = compact_qr_payload(make_card(), PUBLIC_URL)

    assert (
        payload.encode("utf-8")
        == (
            "BEGIN:VCARD\r\n"
            "VERSION:3.0\r\n"
            "EMAIL:jl@example.com\r\n"
            "FN:Jürgen Łukasiewicz\r\n"
            "N:Łukasiewicz;Jürgen;;;\r\n"
            "TEL;TYPE=CELL:+4915112345678\r\n"
            "URL:https://morrow.example/c/jl\r\n"
            "URL:https://www.linkedin.com/in/jl\r\n"
            "END:VCARD\r\n"
        ).encode()
    )
    assert len(payload.encode()) <= QR_MAX_OCTETS == 213


def test_compact_payload_fits_qr_version_10_at_level_m() -> None:
    import qrcode

    card = make_card(headline="Founder", company="Acme", website="https://a.example")
    payload = compact_qr_payload(card, PUBLIC_URL)
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)

    assert code.version <= 10
    assert "ORG:Acme" not in payload  # company waits for the public page


def test_compact_payload_has_no_note_photo_groups_or_folds() -> None:
    payload = compact_qr_payload(make_card(pitch="x" * 200), PUBLIC_URL)

    assert payload.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert "NOTE" not in payload and "PHOTO" not in payload
    assert "github" not in payload  # extra links stay in the full card
    for line in payload.split("\r\n"):
        assert not line.startswith((" ", "\t"))
        assert not re.match(r"^[A-Za-z0-9-]+\.", line)  # no itemN. groups
    assert "\n" not in payload.replace("\r\n", "")


def test_compact_payload_drops_fields_instead_of_truncating() -> None:
    long_title = "Chief " + "Very Important " * 8 + "Officer"
    card = make_card(
        headline=long_title,
        linkedin="https://www.linkedin.com/in/" + "j" * 40,
        company="Co",
    )
    full = card_vcard(card, public_only=False, public_url=PUBLIC_URL)
    full_lines = set(full.replace("\r\n ", "").split("\r\n"))

    payload = compact_qr_payload(card, PUBLIC_URL)

    assert len(payload.encode("utf-8")) <= QR_MAX_OCTETS
    lines = payload.split("\r\n")
    # Every line is one of the full card's lines, whole: no value was cut. (The
    # full card escapes a URL's commas and semicolons; the QR percent-encodes.)
    as_in_full = {line.replace("%2C", "\\,").replace("%3B", "\\;") for line in lines}
    assert as_in_full <= full_lines
    # Name, phone, email and the public page come first; the long LinkedIn URL
    # does not fit, the short company after it still does.
    assert "FN:Jürgen Łukasiewicz" in lines
    assert "TEL;TYPE=CELL:+4915112345678" in lines
    assert "EMAIL:jl@example.com" in lines
    assert f"URL:{PUBLIC_URL}" in lines
    assert "ORG:Co" in lines
    assert not any("linkedin" in line or line.startswith("TITLE") for line in lines)


def test_compact_payload_shortens_only_a_name_too_long_to_fit() -> None:
    card = make_card(first_name="Ü" * 100, last_name="Ł" * 100)

    payload = compact_qr_payload(card, PUBLIC_URL)

    assert len(payload.encode("utf-8")) <= QR_MAX_OCTETS
    fn = re.search(r"^FN:(Ü+)…\r$", payload, re.M)
    assert fn and len(fn.group(1)) > 20  # as much of the name as fits
    assert f"N:;{fn.group(1)}…;;;\r\n" in payload
    # The public page, which shows the whole name, always comes with it.
    assert f"URL:{PUBLIC_URL}\r\n" in payload
    assert "EMAIL" not in payload and "TEL" not in payload


def test_compact_payload_keeps_a_long_name_whole_when_it_fits() -> None:
    card = make_card(first_name="Maria José", last_name="Fernández de la Vega")

    payload = compact_qr_payload(card, PUBLIC_URL)

    assert "FN:Maria José Fernández de la Vega\r\n" in payload
    assert "…" not in payload


def test_compact_payload_newline_in_a_value_never_makes_a_new_property() -> None:
    card = make_card(first_name="Ann\nTEL:+1999", headline="a\r\nEMAIL:evil@x.y")

    payload = compact_qr_payload(card, None)

    lines = payload.split("\r\n")
    assert not any(line.startswith(("TEL:+1999", "EMAIL:evil")) for line in lines)
    assert "FN:Ann TEL:+1999 Łukasiewicz\r\n" in payload


def test_compact_payload_strips_control_characters() -> None:
    payload = compact_qr_payload(make_card(first_name="A\x00n\x1bn\x7f"), None)

    assert "FN:Ann Łukasiewicz\r\n" in payload


def test_compact_payload_percent_encodes_commas_and_semicolons_in_urls() -> None:
    card = make_card(linkedin="https://www.linkedin.com/in/a,b;c")

    payload = compact_qr_payload(card, None)

    assert "URL:https://www.linkedin.com/in/a%2Cb%3Bc\r\n" in payload


# --------------------------------------------------------------------------
# The full card and exports


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("Jürgen", "Łukasiewicz"),
        ("Anna, Maria", "Doe; Jr."),
        ("Line\nBreak", "Back\\slash"),
    ],
)
def test_names_round_trip_through_the_full_vcard(first: str, last: str) -> None:
    text = card_vcard(
        make_card(first_name=first, last_name=last), public_only=False, public_url=None
    )

    [parsed] = parse_vcard_file(text.encode("utf-8"))
    assert parsed.fields is not None
    assert parsed.fields["name"] == f"{first} {last}"
    assert (parsed.fields["first_name"], parsed.fields["last_name"]) == (first, last)
    theirs = vobject.readOne(text)
    assert theirs.fn.value == f"{first} {last}"
    assert (theirs.n.value.given, theirs.n.value.family) == (first, last)


def test_full_vcard_has_crlf_lines_of_at_most_75_octets() -> None:
    card = make_card(pitch="Grüße aus München! " * 20)

    text = card_vcard(card, public_only=False, public_url=PUBLIC_URL)

    assert text.endswith("END:VCARD\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "URL:https://github.com/jl\r\n" in text
    assert "URL:https://morrow.example/c/jl\r\n" in text
    [parsed] = parse_vcard_file(text.encode())
    assert (
        parsed.fields and parsed.fields["notes"] == ("Grüße aus München! " * 20).strip()
    )


def test_public_vcard_shows_only_public_fields() -> None:
    card = make_card()
    card.public_fields = [*card.public_fields, "first_name", "last_name"]
    text = card_vcard(card, public_only=True, public_url=PUBLIC_URL)

    assert "FN:Jürgen Łukasiewicz" in text
    assert "EMAIL:jl@example.com" in text
    assert "linkedin.com/in/jl" in text
    for private in ("TEL", "ORG", "TITLE", "github", "example.com/a"):
        assert private not in text


def test_full_vcard_passes_the_vcard_validator() -> None:
    assert_valid_vcard(
        card_vcard(make_card(), public_only=False, public_url=PUBLIC_URL)
    )


def test_exported_vcf_passes_the_validator_and_imports_back() -> None:
    contacts = [
        make_contact(),
        make_contact(name="Łucja; Nowak, PhD", first_name="Łucja", last_name="Nowak"),
        make_contact(name="Only Name", email="", phone="", tags=[], company=""),
    ]

    text = contacts_vcf(contacts)

    for card in text.split("END:VCARD\r\n")[:-1]:
        assert_valid_vcard(card + "END:VCARD\r\n")
    parsed = parse_vcard_file(text.encode("utf-8"))
    assert [p.fields["name"] for p in parsed if p.fields] == [
        "Zoë Ångström",
        "Łucja; Nowak, PhD",
        "Only Name",
    ]
    first = parsed[0].fields or {}
    assert first["title"] == "CTO, co-founder"
    assert first["phone"] == "+4915112345678"
    assert first["linkedin"] == "https://www.linkedin.com/in/zoe"
    assert first["vcard_uid"] == "4b1c7a52-0000-4000-8000-000000000001"


def test_vcf_filename_is_ascii_and_safe() -> None:
    assert vcf_filename("Łukasz Müller-Świętek") == "Lukasz-Muller-Swietek.vcf"
    assert vcf_filename("../../etc/passwd") == "etc-passwd.vcf"
    assert vcf_filename("山田") == "contact.vcf"


# --------------------------------------------------------------------------
# Reading vCard files


def read_one(text: str | bytes, region: str | None = "DE") -> dict:
    data = text.encode("utf-8") if isinstance(text, str) else text
    [card] = parse_vcard_file(data, region)
    assert card.error is None, card.error
    assert card.fields is not None
    return card.fields


def test_quoted_printable_with_charsets_is_decoded() -> None:
    utf8 = read_one(
        "BEGIN:VCARD\r\nVERSION:2.1\r\n"
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Michael Br=C3=\r\n=BCning\r\n"
        "END:VCARD\r\n"
    )
    latin1 = read_one(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
        b"FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:J=FCrgen\r\n"
        b"ORG;CHARSET=ISO-8859-1:M\xfcller, Sons & Co\r\nEND:VCARD\r\n"
    )
    sjis = read_one(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=SHIFT_JIS:"
        + "伊能 圭一".encode("shift_jis")
        + b"\r\nEND:VCARD\r\n"
    )

    assert utf8["name"] == "Michael Brüning"
    assert latin1["name"] == "Jürgen"
    assert latin1["company"] == "Müller, Sons & Co"
    assert sjis["name"] == "伊能 圭一"


def test_bom_mixed_line_endings_and_a_fold_inside_a_character_are_read() -> None:
    name = "Ωmega Ünal"
    raw = f"FN:{name}".encode()
    split = raw.index("Ü".encode()) + 1  # between the two bytes of Ü
    data = (
        b"\xef\xbb\xbfBEGIN:VCARD\r\nVERSION:3.0\n"
        + raw[:split]
        + b"\r\n "
        + raw[split:]
        + b"\r\r\nEND:VCARD\n"
    )

    assert read_one(data)["name"] == name


def test_apple_groups_google_escapes_and_unescaped_commas_keep_data() -> None:
    fields = read_one(
        "BEGIN:VCARD\r\nVERSION:3.0\r\n"
        "FN:Mr. John Richter, James Doe Sr.\r\n"
        "N:Doe;John;Richter,James;Mr.;Sr.\r\n"
        "TITLE:CEO, CTO\r\n"
        "item1.URL:https\\://www.linkedin.com/in/jdoe\r\n"
        "item1.X-ABLabel:LinkedIn\r\n"
        "item2.URL:http\\://johndoe.example\r\n"
        "item2.X-ABLabel:_$!<HomePage>!$_\r\n"
        "item3.TEL:+49 30 1234567\r\n"
        "item3.X-ABLabel:_$!<Mobile>!$_\r\n"
        "TEL;TYPE=WORK:+49 30 7654321\r\n"
        "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQ\r\n"
        " AAAQABAAD\r\n"
        "UID:urn:uuid:1234\r\n"
        "END:VCARD\r\n"
    )

    assert fields["name"] == "Mr. John Richter, James Doe Sr."
    assert fields["title"] == "CEO, CTO"
    assert fields["linkedin"] == "https://www.linkedin.com/in/jdoe"
    assert fields["website"] == "http://johndoe.example"
    assert fields["phone"] == "+49301234567"
    assert fields["vcard_uid"] == "urn:uuid:1234"


def test_card_without_fn_gets_its_name_from_n() -> None:
    fields = read_one("BEGIN:VCARD\nVERSION:2.1\nN:Gump;Forrest;;Mr.;\nEND:VCARD\n")

    assert fields["name"] == "Mr. Forrest Gump"
    assert (fields["first_name"], fields["last_name"]) == ("Forrest", "Gump")


def test_vcard_4_with_tel_uri_and_data_photo_is_read() -> None:
    fields = read_one(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Simon Perreault\r\n"
        'TEL;VALUE=uri;TYPE="work,voice";PREF=1:tel:+1-418-656-9254;ext=102\r\n'
        "PHOTO:data:image/png;base64,iVBORw0KGgo=\r\nEMAIL;TYPE=work:simon@example.com\r\n"
        "END:VCARD\r\n",
        region=None,
    )

    assert fields["phone"] == "+14186569254"
    assert fields["email"] == "simon@example.com"


def test_one_bad_card_does_not_stop_the_others() -> None:
    data = (
        b"BEGIN:VCARD\nVERSION:3.0\nFN:Good One\nEND:VCARD\n"
        b"BEGIN:VCARD\nFN:No Version\nEND:VCARD\n"
        b"BEGIN:VCARD\nVERSION:3.0\nFN:Good Two\nthis is not a property\nEND:VCARD\n"
        b"BEGIN:VCARD\nVERSION:3.0\nFN:Good Three\nEND:VCARD\n"
    )

    cards = parse_vcard_file(data)

    assert [c.fields["name"] if c.fields else None for c in cards] == [
        "Good One",
        None,
        None,
        "Good Three",
    ]
    assert cards[1].error == "Card 2: the card has no VERSION line."
    assert cards[2].error and "line 11 is not a vCard property" in cards[2].error


def test_a_file_without_any_vcard_is_unprocessable() -> None:
    with pytest.raises(Unprocessable, match="no vCard"):
        parse_vcard_file(b"name,email\nAnn,ann@example.com\n")


def test_phone_that_cannot_be_read_is_kept_as_typed_with_a_warning() -> None:
    [card] = parse_vcard_file(
        b"BEGIN:VCARD\nVERSION:3.0\nFN:A\nTEL:12\nEND:VCARD\n", default_region="DE"
    )

    assert card.fields and card.fields["phone"] == "12"
    assert card.warnings == ["phone '12' is not a phone number"]


def test_a_possible_but_invalid_phone_is_kept_as_typed_with_a_warning() -> None:
    [card] = parse_vcard_file(
        b"BEGIN:VCARD\nVERSION:3.0\nFN:A\nTEL:+49 1999 1234567\nEND:VCARD\n",
        default_region="DE",
    )

    assert card.fields and card.fields["phone"] == "+49 1999 1234567"
    assert card.warnings == [
        "phone '+49 1999 1234567' is kept as typed: it is not a valid number"
    ]


# --------------------------------------------------------------------------
# Decoded QR text


def test_vcard_text_with_several_cards_uses_the_first_and_says_so() -> None:
    one = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{}\r\nTEL:030 1234567\r\nEND:VCARD\r\n"
    text = one.format("First") + one.format("Second") + one.format("Third")

    fields = parse_qr_text(text, "DE")

    assert fields["kind"] == "vcard"
    assert fields["name"] == "First"
    assert fields["phone"] == "+49301234567"
    assert fields["warnings"] == ["3 cards found; the first was used."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "MECARD:N:Owen,Sean;TEL:+12125658770;EMAIL:srowen@google.com;;",
            {"name": "Sean Owen", "first_name": "Sean", "last_name": "Owen"},
        ),
        ("MECARD:N:Google 411,;TEL:18665881077;;", {"name": "Google 411"}),
        ("mecard:n:測試;;", {"name": "測試"}),
        (
            r"MECARD:N:Doe\;Jr.,Jane;URL:https://www.linkedin.com/in/jd;"
            r"EMAIL:jane@example.com;ORG:Acme\: Labs;;",
            {
                "name": "Jane Doe;Jr.",
                "linkedin": "https://www.linkedin.com/in/jd",
                "company": "Acme: Labs",
            },
        ),
    ],
)
def test_mecard_is_read(text: str, expected: dict) -> None:
    fields = parse_qr_text(text, "US")

    assert fields["kind"] == "mecard"
    assert {k: fields[k] for k in expected} == expected


def test_linkedin_url_becomes_linkedin_with_a_guessed_name() -> None:
    fields = parse_qr_text(
        "https://de.linkedin.com/in/j%C3%BCrgen-m%C3%BCller-4a2b1/", "DE"
    )

    assert fields["kind"] == "linkedin"
    assert (
        fields["linkedin"]
        == "https://www.linkedin.com/in/j%C3%BCrgen-m%C3%BCller-4a2b1"
    )
    assert (fields["name"], fields["first_name"]) == ("Jürgen Müller", "Jürgen")
    assert fields["warnings"] == ["The name was guessed from the LinkedIn address."]


def test_linkedin_url_with_an_opaque_slug_guesses_no_name() -> None:
    fields = parse_qr_text("https://www.linkedin.com/in/ACoAAB12xyz", "DE")

    assert fields["kind"] == "linkedin" and fields["name"] == ""


@pytest.mark.parametrize(
    ("text", "kind", "key", "value"),
    [
        (
            "https://example.com/about?x=1",
            "url",
            "website",
            "https://example.com/about?x=1",
        ),
        ("www.example.com", "url", "website", "https://www.example.com"),
        ("ann@example.com", "email", "email", "ann@example.com"),
        ("mailto:ann@example.com?subject=hi", "email", "email", "ann@example.com"),
        ("+49 151 1234 5678", "phone", "phone", "+4915112345678"),
        ("030 1234567", "phone", "phone", "+49301234567"),
        ("tel:+1-212-565-8770", "phone", "phone", "+12125658770"),
    ],
)
def test_plain_codes_are_recognised(text: str, kind: str, key: str, value: str) -> None:
    fields = parse_qr_text(text, "DE")

    assert (fields["kind"], fields[key]) == (kind, value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello there",
        "WIFI:T:WPA;S:guest;P:secret;;",
        "12",
        "ftp://files.example.com",
        "MECARD:;;",
        "BEGIN:VCARD\r\nFN:No Version\r\nEND:VCARD",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Unterminated\r\n",
    ],
)
def test_garbage_is_unprocessable(text: str) -> None:
    with pytest.raises(Unprocessable):
        parse_qr_text(text, "DE")


@settings(max_examples=60, deadline=None)
@given(
    first=st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=30),
    last=st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=30),
)
def test_any_name_round_trips_through_the_qr_payload(first: str, last: str) -> None:
    card = make_card(first_name=first, last_name=last)
    payload = compact_qr_payload(card, None)

    fields = parse_qr_text(payload, "DE")

    expected = " ".join(p for p in (clean_text(first), clean_text(last)) if p)
    expected = expected or "jl@example.com"
    assert len(payload.encode()) <= QR_MAX_OCTETS
    if fields["name"] != expected:  # too long: as much of it as fits, then "…"
        assert fields["name"].endswith("…") and len(fields["name"]) > 1
        assert expected.startswith(fields["name"][:-1])
    # A name of many 4-octet characters can push the email out, never half of it.
    assert fields["email"] == ("jl@example.com" if "EMAIL:" in payload else "")


# --------------------------------------------------------------------------
# CSV


LINKEDIN_CONNECTIONS = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email '
    "addresses are missing. You will only see email addresses for connections who "
    'have allowed their connections to see or download their email address."\n'
    "\n"
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    'Jane,Doe,https://www.linkedin.com/in/janedoe,,"Acme, Inc.",CTO,05 Mar 2024\n'
    "Łukasz,Wiśniewski,https://www.linkedin.com/in/lwis,lw@example.pl,Foo,Dev,"
    "01 Jan 2023\n"
)


def test_linkedin_connections_csv_is_read_as_is() -> None:
    cards = parse_csv_file(LINKEDIN_CONNECTIONS.encode("utf-8"))

    assert [c.error for c in cards] == [None, None]
    jane = cards[0].fields or {}
    assert jane["name"] == "Jane Doe"
    assert jane["linkedin"] == "https://www.linkedin.com/in/janedoe"
    assert (jane["company"], jane["title"], jane["email"]) == ("Acme, Inc.", "CTO", "")
    assert (cards[1].fields or {})["email"] == "lw@example.pl"


def test_google_csv_with_bom_is_mapped_by_header() -> None:
    data = (
        "\ufeffName,Given Name,Family Name,E-mail 1 - Value,Phone 1 - Value,"
        "Organization 1 - Name,Organization 1 - Title,Website 1 - Value\r\n"
        "Ann Lee,Ann,Lee,ann@example.com,030 1234567,Acme,CEO,ann.example\r\n"
        ",,,,,,,\r\n"
        ",,,,,,,\r\n"
        ",,,,no-reach,,,\r\n"
    ).encode("utf-8")

    cards = parse_csv_file(data, default_region="DE")

    assert len(cards) == 2
    assert cards[0].fields == {
        "name": "Ann Lee",
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann@example.com",
        "phone": "+49301234567",
        "company": "Acme",
        "title": "CEO",
        "website": "https://ann.example",
        "linkedin": "",
        "notes": "",
    }
    assert cards[1].fields and cards[1].fields["phone"] == "no-reach"


def test_outlook_csv_in_cp1252_with_semicolons_is_read() -> None:
    data = b"First Name;Last Name;E-mail Address;Mobile Phone;Job Title\r\n"
    data += "Jürgen;Groß;jg@example.de;+49 151 1234 5678;Geschäftsführer\r\n".encode(
        "cp1252"
    )

    [card] = parse_csv_file(data)

    assert card.fields and card.fields["name"] == "Jürgen Groß"
    assert card.fields["title"] == "Geschäftsführer"
    assert card.fields["phone"] == "+4915112345678"


def test_csv_row_without_name_or_reach_is_an_error_for_that_row_only() -> None:
    data = b"Name,Email,Company\nAnn,ann@example.com,\n,,Acme Only\nBob,,\n"

    cards = parse_csv_file(data)

    assert [c.error for c in cards] == [
        None,
        "Row 2: it has no name, email or phone number.",
        None,
    ]


def test_csv_without_known_headers_is_unprocessable() -> None:
    with pytest.raises(Unprocessable, match="header"):
        parse_csv_file(b"foo,bar\n1,2\n")


def test_csv_with_a_runaway_quoted_field_is_unprocessable() -> None:
    with pytest.raises(Unprocessable, match="cannot be read"):
        parse_csv_file(b'Name,Email\n"Ann' + b"x" * 200_000 + b"\n")


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200))
def test_csv_parser_raises_nothing_but_unprocessable(data: bytes) -> None:
    try:
        parse_csv_file(b"Name,Email,Phone\n" + data, "DE")
    except Unprocessable:
        pass


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+4915112345678", "'+4915112345678"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (["a", "=b"], "a; =b"),
    ],
)
def test_csv_cells_are_neutralised_against_formulas(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_csv_export_has_a_bom_and_imports_back_unchanged() -> None:
    text = contacts_csv([make_contact()])

    assert text.startswith("\ufeffid,name,first_name,")
    assert "'=HYPERLINK" in text and ",+4915112345678," in text
    [card] = parse_csv_file(text.encode("utf-8"))
    assert card.fields is not None
    assert card.fields["company"] == '=HYPERLINK("x")'
    assert card.fields["phone"] == "+4915112345678"
    assert card.fields["talked_about"] == "Rust; WebAssembly"
    assert card.fields["tags"] == ["rust", "berlin"]


VCARD_LINES = st.sampled_from(
    [
        b"BEGIN:VCARD",
        b"END:VCARD",
        b"VERSION:2.1",
        b"VERSION:3.0",
        b"VERSION:4.0",
        b"FN:Ann",
        b"N:Lee;Ann;;;",
        b"FN;CHARSET=base64:QQ==",
        b"FN;CHARSET=utf-16:\xff",
        b"ORG;ENCODING=QUOTED-PRINTABLE:=C3=",
        b"PHOTO;ENCODING=b:@@",
        b"TEL;TYPE=CELL:+49 30 1234567",
        b"EMAIL:a@b.c",
        b"item1.URL:https\\://x.y",
        b' TYPE="a,b:c"',
        b"\t",
        b"",
        b"=",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.one_of(VCARD_LINES, st.binary(max_size=12)), max_size=12),
    ending=st.sampled_from([b"\r\n", b"\n", b"\r", b"\r\r\n"]),
)
def test_vcard_parsers_raise_nothing_but_unprocessable(
    lines: list, ending: bytes
) -> None:
    data = ending.join(lines)
    try:
        cards = parse_vcard_file(data, "DE")
    except Unprocessable:
        pass
    else:
        assert all((c.fields is None) != (c.error is None) for c in cards)
    try:
        parse_qr_text(data.decode("utf-8", "replace"), "DE")
    except Unprocessable:
        pass


@pytest.mark.parametrize(
    "data",
    [
        # A million CRs with no line feed: a regex split backtracks on each.
        b"BEGIN:VCARD\n" + b"\r" * 1_000_000 + b"x\n",
        # Three hundred thousand folds: joining as we go copies the line each time.
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Fold\r\nNOTE:a"
        + b"\r\n b" * 300_000
        + b"\r\nEND:VCARD\r\n",
    ],
    ids=["carriage-returns", "folds"],
)
def test_hostile_files_are_read_in_linear_time(data):
    # Quadratic reading took minutes on inputs this size; linear takes a moment.
    cards = parse_vcard_file(data)
    assert len(cards) == 1
