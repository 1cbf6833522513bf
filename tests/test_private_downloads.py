"""Private downloads: never kept by a cache, and safe for strict readers.

Every private file (the owner's card, every export, a person's vCard, the
calendar feed) is sent with Cache-Control no-store; the owner's QR images keep
`private, no-cache`, so the browser revalidates them with their ETag (304).
Unicode line and paragraph separators become plain newlines before the
calendar and vCard writers escape them.
"""

from __future__ import annotations

import icalendar
import pytest
import vobject

from app.extensions import db
from app.models import Card, User
from tests.conftest import MET

ODD = "\u2028"  # LINE SEPARATOR
PARA = "\u2029"  # PARAGRAPH SEPARATOR


def feed_path(app, user_id: int) -> str:
    with app.app_context():
        return f"/feed/{db.session.get(User, user_id).feed_token}.ics"


@pytest.fixture
def person(meet, user, clock) -> str:
    clock.set(MET)
    return meet(
        user,
        name=f"Ana{ODD}Lima",
        company=f"Acme{PARA}Labs",
        promise=f"the slides{ODD}and the paper",
        notes=f"one{PARA}two",
    )


@pytest.fixture
def card(app, user) -> None:
    with app.app_context():
        card = db.session.execute(db.select(Card).filter_by(user_id=user)).scalar()
        card.first_name, card.last_name = "Ada", f"Love{ODD}lace"
        card.company, card.pitch = f"Engines{PARA}Ltd", f"I build{ODD}engines"
        card.email = "ada@example.com"
        db.session.commit()


@pytest.mark.parametrize(
    "path",
    [
        "/card.vcf",
        "/api/v1/contacts/export.vcf",
        "/api/v1/contacts/export.csv",
        "/api/v1/export.json",
        "/api/v1/contacts/{person}/vcard",
        "{feed}",
    ],
)
def test_every_private_download_is_no_store(app, owner, user, person, card, path):
    url = path.format(person=person, feed=feed_path(app, user))
    response = owner.get(url)
    assert response.status_code == 200, response.data[:200]
    directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
    assert "no-store" in directives, response.headers["Cache-Control"]
    assert "public" not in directives and not any(
        d.startswith("max-age") for d in directives
    )


@pytest.mark.parametrize("path", ["/card/qr.svg", "/card/qr.png"])
def test_the_owners_qr_images_revalidate_privately(owner, card, path):
    first = owner.get(path)
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = owner.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == "private, no-cache"


def test_line_separators_in_the_feed_become_escaped_newlines(app, client, user, person):
    response = client.get(feed_path(app, user))
    text = response.get_data(as_text=True)
    assert ODD not in text and PARA not in text
    calendar = icalendar.Calendar.from_ical(response.data)
    [event] = calendar.walk("VEVENT")  # one event for the morning
    description = str(event["DESCRIPTION"])
    assert "Thank-you: Ana Lima" in description
    assert "Promised: the slides\nand the paper" in description
    [parsed] = list(vobject.readComponents(text))
    descriptions = [e.description.value for e in parsed.vevent_list]
    assert any("the slides\nand the paper" in d for d in descriptions)


@pytest.mark.parametrize(
    "path", ["/api/v1/contacts/{person}/vcard", "/api/v1/contacts/export.vcf"]
)
def test_line_separators_in_a_persons_vcard_become_newlines(owner, person, path):
    response = owner.get(path.format(person=person))
    text = response.get_data(as_text=True)
    assert ODD not in text and PARA not in text
    [parsed] = list(vobject.readComponents(text))
    assert parsed.fn.value == "Ana\nLima"
    assert parsed.org.value == ["Acme Labs"]
    assert "the slides\nand the paper" in parsed.note.value
    assert "one\ntwo" in parsed.note.value
    # Morrow's own reader gets the same person back.
    from app.formats.vcard_read import parse_vcard_file

    [card] = parse_vcard_file(response.data)
    assert card.fields["name"] == "Ana\nLima"


def test_line_separators_in_the_owners_card_become_newlines(owner, card):
    response = owner.get("/card.vcf")
    text = response.get_data(as_text=True)
    assert ODD not in text and PARA not in text
    [parsed] = list(vobject.readComponents(text))
    assert parsed.fn.value == "Ada Love\nlace"
    assert parsed.org.value == ["Engines Ltd"]
    assert parsed.note.value == "I build\nengines"
