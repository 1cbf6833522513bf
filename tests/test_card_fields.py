"""Card reading without OCR: lines → fields, the two engines combined, file checks."""

from __future__ import annotations

import pytest

from app.card_reading import CardImageError, check_image, image_kind
from app.card_reading.fields import (
    Line,
    combine,
    emails_in,
    fields_from_lines,
    fields_from_ocr,
    fields_from_text,
    split_glued,
)


def test_a_typical_card():
    fields = fields_from_text(
        [
            "Jonas Weber",
            "Senior Data Engineer",
            "Datenwerk Berlin GmbH",
            "Tel. 030 1234567",
            "jonas.weber@datenwerk.de",
            "www.datenwerk.de",
        ],
        "DE",
    )
    assert fields == {
        "name": "Jonas Weber",
        "first_name": "Jonas",
        "last_name": "Weber",
        "title": "Senior Data Engineer",
        "company": "Datenwerk Berlin GmbH",
        "email": "jonas.weber@datenwerk.de",
        "phone": "+49301234567",
        "website": "https://www.datenwerk.de",
        "linkedin": "",
    }


@pytest.mark.parametrize(
    ("lines", "region", "phone"),
    [
        (["T+498912345678"], "DE", "+498912345678"),  # a label glued on
        (["Tel.030 1234567"], "DE", "+49301234567"),
        (["Mobile:+44 7400 123456"], "DE", "+447400123456"),  # foreign card
        (["Tél. 01 23 45 67 89"], "FR", "+33123456789"),
        (["M6vil:+34612344039"], "ES", "+34612344039"),  # "ó" read as "6"
        # A fax never wins over a phone, wherever it is printed...
        (["Fax +49 30 1234568", "Tel. +49 30 1234567"], "DE", "+49301234567"),
        (["Tel. +49 30 1234567", "Fax: +49 30 1234568"], "DE", "+49301234567"),
        # ...and a mobile number wins over an office one.
        (["T 030 1234567", "M 0151 23456789"], "DE", "+4915123456789"),
        (["Phone: (201) 555-0123"], "US", "+12015550123"),
    ],
)
def test_phones_with_labels(lines, region, phone):
    assert fields_from_text(["Ana Ruiz", *lines], region)["phone"] == phone


def test_only_a_fax_is_still_a_number():
    assert fields_from_text(["Fax +49 30 1234568"], "DE")["phone"] == "+49301234568"


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("yuki.sato@ sakuraevals.jp", "yuki.sato@sakuraevals.jp"),
        ("anna (at) example.org", "anna@example.org"),
        ("E-Mail: anna.b@example.org.", "anna.b@example.org"),
        ("Mail:katharina.krueger@volksbank.de", "katharina.krueger@volksbank.de"),
        ("Eemile.dubois@nuage-conseil.fr", "emile.dubois@nuage-conseil.fr"),  # "E "
        ("ana@Example.ES", "ana@example.es"),
    ],
)
def test_emails_forgive_ocr_slips(text, email):
    assert emails_in(text) == [email]


def test_website_and_linkedin_apart():
    fields = fields_from_text(
        [
            "Olivia Hall",
            "olivia@kestrel.co.uk",
            "www.kestrel.co.uk",
            "linkedin.com/in/olivia-hall",
        ],
        "GB",
    )
    assert fields["website"] == "https://www.kestrel.co.uk"
    assert fields["linkedin"] == "https://www.linkedin.com/in/olivia-hall"
    assert fields_from_text(["linkedin.com/in/x-y"], "GB")["website"] == ""


def test_glued_words_are_split():
    assert split_glued("JonasWeber") == "Jonas Weber"
    assert split_glued("DeveloperAdvocate") == "Developer Advocate"
    # Legal forms and short pieces stay whole.
    assert split_glued("Volksbank Allgäu eG") == "Volksbank Allgäu eG"
    assert split_glued("Datenwerk GmbH") == "Datenwerk GmbH"


def test_combine_takes_accents_and_spaces_from_tesseract():
    assert combine("JonasWeber", "Jonas Weber") == "Jonas Weber"
    assert combine("Hans-Jurgen Bohm", "Hans-Jürgen Böhm)") == "Hans-Jürgen Böhm"
    assert combine("Alvaro Castano", "Álvaro Castaña") == "Álvaro Castaño"
    assert combine("Tobias Kriger", "Tobias Krüger") == "Tobias Krüger"
    assert combine("Gros", "Groß") == "Groß"
    # Where tesseract read other letters, RapidOCR's stay.
    assert combine("Katharina", "Kathcrina") == "Katharina"


def test_the_name_is_the_tallest_personal_name_not_the_company():
    lines = [
        Line("Kestrel Engineering Ltd", 0, 0, 500, 68),  # tallest: the logo
        Line("Oliver Smith", 0, 80, 300, 51),
        Line("Developer Advocate", 0, 140, 300, 36),
        Line("oliver.smith@kestrel.com", 0, 300, 300, 30),
    ]
    fields = fields_from_lines(lines, "GB")
    assert fields["name"] == "Oliver Smith"
    assert fields["company"] == "Kestrel Engineering Ltd"
    assert fields["title"] == "Developer Advocate"


def test_the_email_confirms_the_name():
    lines = [
        Line("Cedar Health", 0, 0, 500, 60),  # two capitalised words, tall
        Line("Madison Harris", 0, 80, 300, 50),
        Line("madison.harris@cedar-health.com", 0, 300, 300, 30),
    ]
    assert fields_from_lines(lines, "US")["name"] == "Madison Harris"


def test_legal_forms_are_mended():
    fields = fields_from_text(["Ana Ruiz", "Rheinlicht Software Gmb H"], "DE")
    assert fields["company"] == "Rheinlicht Software GmbH"
    fields = fields_from_text(["Ana Ruiz", "Vignobles Girard SAs"], "FR")
    assert fields["company"] == "Vignobles Girard SAS"
    fields = fields_from_text(["Ana Ruiz", "Brandt&Söhne KG"], "DE")
    assert fields["company"] == "Brandt & Söhne KG"


def test_fields_from_the_ocr_process_answer():
    answer = {
        "engines": {
            "rapidocr": [
                {"text": "ChloeMartin", "x": 10, "y": 10, "w": 300, "h": 60},
                {"text": "Nuage Conseil SAS", "x": 10, "y": 90, "w": 300, "h": 35},
                {"text": "chloe@nuage.fr", "x": 10, "y": 200, "w": 300, "h": 30},
            ],
            # tesseract's re-reading, by the index of RapidOCR's line
            "re-read": {"0": "Chloé Martin"},
        }
    }
    reading = fields_from_ocr(answer, "FR")
    assert reading["fields"]["name"] == "Chloé Martin"
    assert reading["fields"]["first_name"] == "Chloé"
    assert reading["fields"]["company"] == "Nuage Conseil SAS"
    assert reading["lines"] == ["Chloé Martin", "Nuage Conseil SAS", "chloe@nuage.fr"]


def test_an_empty_card_gives_empty_fields():
    reading = fields_from_ocr({"engines": {"rapidocr": []}}, "DE")
    assert reading["lines"] == []
    assert set(reading["fields"].values()) == {""}


# --- the file, before any OCR -------------------------------------------------


def test_image_kinds():
    assert image_kind(b"\xff\xd8\xff\xe0" + b"0" * 40) == "jpeg"
    assert image_kind(b"\x89PNG\r\n\x1a\n" + b"0" * 40) == "png"
    assert image_kind(b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"0" * 40) == "webp"
    assert image_kind(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"0" * 40) == "heif"
    assert image_kind(b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heic") == "heif"
    assert image_kind(b"BEGIN:VCARD") == ""


def test_heic_is_refused_with_advice():
    with pytest.raises(CardImageError) as caught:
        check_image(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"0" * 99)
    assert caught.value.status == 415
    assert "JPEG" in caught.value.message and "Most Compatible" in caught.value.message


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 422),
        (b"hello, this is text", 415),
        (b"%PDF-1.7 ...", 415),
        (b"\xff\xd8\xff" + b"0" * 2000, 413),  # over the limit given below
    ],
)
def test_files_refused_before_ocr(data, status):
    with pytest.raises(CardImageError) as caught:
        check_image(data, limit=1000)
    assert caught.value.status == status
    assert caught.value.message.endswith(".")


# --- names set in two lines, legal forms split by OCR ------------------------


def test_a_name_read_as_two_lines_on_one_row_is_joined():
    """RapidOCR splits a big name at its wide word gap: "Amara" | "Okafor"."""
    lines = [
        Line("Amara", 120, 135, 350, 72),
        Line("Okafor", 496, 131, 369, 76),
        Line("Head of Research", 116, 263, 498, 50),
        Line("Solarcoop GmbH", 112, 341, 603, 70),
        Line("amara@solarcoop.de", 112, 480, 600, 48),
    ]
    fields = fields_from_lines(lines, "DE")
    assert fields["name"] == "Amara Okafor"
    assert (fields["first_name"], fields["last_name"]) == ("Amara", "Okafor")
    assert fields["title"] == "Head of Research"  # not "Okafor"
    assert fields["company"] == "Solarcoop GmbH"


@pytest.mark.parametrize("centred", [False, True])
def test_a_first_name_over_a_surname_is_one_name(centred):
    x2 = 460 if centred else 400  # centred: "Okafor" is wider, so starts left
    first = Line("Amara", 480 if centred else 400, 100, 240, 70)
    lines = [
        first,
        Line("Okafor", x2, 185, 300, 70),
        Line("Head of Research", 400, 290, 380, 40),
        Line("Solarcoop GmbH", 400, 350, 380, 40),
        Line("amara@solarcoop.de", 400, 450, 380, 30),
    ]
    fields = fields_from_lines(lines, "DE")
    assert fields["name"] == "Amara Okafor"
    assert fields["title"] == "Head of Research"


def test_lines_far_apart_or_of_other_sizes_are_not_one_name():
    lines = [
        Line("Amara", 100, 100, 240, 70),
        Line("Okafor", 100, 400, 300, 70),  # far below: not its surname
        Line("Solarcoop", 700, 100, 300, 30),  # small: not a surname
    ]
    assert fields_from_lines(lines, "DE")["name"] == ""


def test_the_email_prefers_a_two_line_name_over_half_of_it():
    lines = [
        Line("María", 100, 100, 240, 60),
        Line("Núñez García", 100, 175, 400, 60),
        Line("maria.nunez@datos-claros.es", 100, 400, 400, 30),
    ]
    assert fields_from_lines(lines, "ES")["name"] == "María Núñez García"
    # Without that hint a one-line name is not joined to the line above it.
    lines = [
        Line("Madison Harris", 0, 0, 300, 50),
        Line("Cedar", 0, 65, 300, 50),
    ]
    assert fields_from_lines(lines, "US")["name"] == "Madison Harris"


@pytest.mark.parametrize(
    ("line", "company"),
    [
        ("Solarcoop Gmb H", "Solarcoop GmbH"),
        ("Solarcoop G mbH", "Solarcoop GmbH"),
        ("Solarcoop Gmb H & Co. KG", "Solarcoop GmbH & Co. KG"),  # not at the end
        ("Thames Digital Lt d", "Thames Digital Ltd"),
        ("Blue Mesa Software I nc.", "Blue Mesa Software Inc."),
        ("Blue Mesa Software lnc.", "Blue Mesa Software Inc."),  # "l" for "I"
        ("Greenfield Robotics L LC", "Greenfield Robotics LLC"),
        ("Incubator Labs Ltd", "Incubator Labs Ltd"),  # words stay whole
    ],
)
def test_split_legal_forms_are_mended(line, company):
    assert fields_from_text(["Ana Ruiz", line], "DE")["company"] == company
    # ...wherever the company is taken: here from the OCR process's lines.
    answer = {
        "engines": {
            "rapidocr": [
                {"text": "Ana Ruiz", "x": 10, "y": 10, "w": 300, "h": 60},
                {"text": line, "x": 10, "y": 90, "w": 300, "h": 35},
            ]
        }
    }
    assert fields_from_ocr(answer, "DE")["fields"]["company"] == company


def test_combine_keeps_a_word_tesseract_split():
    """On a soft photo tesseract splits words; RapidOCR's spaces are kept then."""
    assert combine("Nuage Conseil SAS", "Nuag e Conseil SAS") == "Nuage Conseil SAS"
    assert combine("Soluciones Abiertas SL", "Sol uciones Abiertas SL") == (
        "Soluciones Abiertas SL"
    )
    assert combine("Cerveceria del Puerto", "Cervecerí a del Puerto") == (
        "Cervecería del Puerto"
    )
    # A line RapidOCR read without any space still gets tesseract's.
    assert combine("Chefdeprojet", "Chef de projet") == "Chef de projet"
