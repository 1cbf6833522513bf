"""The public card's "Send me your details" form."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Card, Contact, User
from tests.conftest import csrf_from


@pytest.fixture
def card_slug(owner) -> str:
    response = owner.put(
        "/api/v1/card",
        json={
            "first_name": "Olive",
            "last_name": "Owner",
            "email": "olive@example.com",
        },
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["slug"]


@pytest.fixture
def visitor(app, card_slug):
    """A stranger's browser on the public card, posting its form."""
    client = app.test_client()
    page = client.get(f"/c/{card_slug}")
    token = csrf_from(page.get_data(as_text=True))

    def send(**fields):
        data = {
            "csrf_token": token,
            "name": "Vera Visitor",
            "reach": "vera@example.com",
            "note": "Loved your talk",
            "consent": "1",
            **fields,
        }
        return client.post(f"/c/{card_slug}/exchange", data=data)

    return send


def people(app) -> list[Contact]:
    with app.app_context():
        return list(db.session.execute(db.select(Contact)).scalars())


def test_public_card_shows_the_form_with_consent(app, card_slug):
    html = app.test_client().get(f"/c/{card_slug}").get_data(as_text=True)
    assert "Send me your details" in html
    assert 'name="consent"' in html and 'name="homepage"' in html


def test_exchange_lands_as_unread_exchange_with_a_count(app, visitor, owner):
    response = visitor()
    assert response.status_code == 200
    assert "Thank you" in response.get_data(as_text=True)
    [person] = people(app)
    assert (person.name, person.email, person.source) == (
        "Vera Visitor",
        "vera@example.com",
        "exchange",
    )
    assert person.unread is True and person.notes == "Loved your talk"
    with app.app_context():
        assert db.session.execute(db.select(Card.exchange_count)).scalar() == 1
    home = owner.get("/").get_data(as_text=True)
    assert "new from your card page" in home
    owner.get(f"/people/{person.id}")
    assert "new from your card page" not in owner.get("/").get_data(as_text=True)


def test_exchange_takes_a_phone_number(app, visitor):
    assert visitor(reach="030 1234567").status_code == 200
    assert people(app)[0].phone == "+49301234567"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"consent": ""}, "Tick the box"),
        ({"name": ""}, "Tell us your name"),
        ({"reach": ""}, "Leave an email"),
        ({"reach": "not a thing"}, "http"),
        ({"note": "x" * 1001}, "at most 1000"),
        ({"name": "x" * 201}, "at most 200"),
    ],
)
def test_exchange_errors_show_on_the_form_and_save_nothing(
    app, visitor, fields, message
):
    response = visitor(**fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert people(app) == []


def test_filled_honeypot_pretends_success_and_saves_nothing(app, visitor):
    response = visitor(homepage="http://spam.example")
    assert response.status_code == 200 and "Thank you" in response.get_data(
        as_text=True
    )
    assert people(app) == []
    with app.app_context():
        assert db.session.execute(db.select(Card.exchange_count)).scalar() == 0


def test_exchange_is_rate_limited_per_address(app, visitor):
    app.config["EXCHANGE_RATE_LIMIT"] = "2 per minute"
    assert visitor().status_code == 200
    assert visitor(consent="").status_code == 400
    assert visitor().status_code == 429
    assert len(people(app)) == 1


def test_exchange_never_reveals_private_card_fields(app, card_slug, visitor):
    html = visitor(consent="").get_data(as_text=True)
    assert "olive@example.com" not in html  # email is not among the public fields


def test_exchange_for_an_unknown_card_is_404(app, visitor):
    client = app.test_client()
    assert client.post("/c/nobody-here/exchange", data={}).status_code in (400, 404)


def test_exchange_without_csrf_token_is_refused(app, card_slug):
    response = app.test_client().post(f"/c/{card_slug}/exchange", data={"name": "x"})
    assert response.status_code == 400
    assert people(app) == []


def test_exchange_joins_the_owners_active_event(app, visitor, api, user):
    api.post(
        "/api/v1/events", json={"name": "Meetup", "date": "2026-03-10", "active": True}
    )
    visitor()
    with app.app_context():
        person = db.session.execute(db.select(Contact)).scalar_one()
        assert person.event.name == "Meetup"
        assert person.user_id == db.session.get(User, user).id


def test_a_form_error_keeps_what_the_visitor_typed_and_ticked(app, visitor):
    html = visitor(name="").get_data(as_text=True)
    assert "Loved your talk" in html and 'value="vera@example.com"' in html
    assert 'name="consent" value="1" required checked' in html
    unticked = visitor(name="", consent="").get_data(as_text=True)
    assert 'name="consent" value="1" required checked' not in unticked


def test_thanks_and_the_saved_file_use_only_the_public_name(app, owner, visitor):
    owner.put(
        "/api/v1/card",
        json={"first_name": "Olive", "public_fields": ["last_name", "headline"]},
    )
    html = visitor().get_data(as_text=True)
    assert "Owner has your details" in html and "Olive" not in html
    slug = owner.get("/api/v1/card").get_json()["slug"]
    download = app.test_client().get(f"/c/{slug}.vcf")
    assert download.headers["Content-Disposition"] == 'attachment; filename="Owner.vcf"'
    # With the first name public, it alone is friendly enough.
    owner.put("/api/v1/card", json={"public_fields": ["first_name", "last_name"]})
    assert "Olive has your details" in visitor().get_data(as_text=True)
