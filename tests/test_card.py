"""The owner's card: editing, vCards, QR images and the public page."""

from __future__ import annotations

import io

import pytest

from app.extensions import db
from app.models import Card
from tests.conftest import assert_api_error

FULL_CARD = {
    "first_name": "Łucja",
    "last_name": "Müller",
    "headline": "Data analyst, moving into UX",
    "company": "Acme; Sons",
    "email": "lucja@example.com",
    "phone": "030 1234567",
    "website": "https://lucja.example.com/a,b",
    "linkedin": "https://www.linkedin.com/in/lucja",
    "links": ["https://github.com/lucja"],
    "pitch": "I turn messy data\ninto clear stories.",
    "slug": "lucja",
    "public_fields": ["first_name", "last_name", "headline", "website", "pitch"],
}


@pytest.fixture
def filled(api):
    response = api.put("/api/v1/card", json=FULL_CARD)
    assert response.status_code == 200, response.data
    return response.get_json()


def test_card_put_normalises_phone_and_returns_contract_fields(filled):
    assert filled["phone"] == "+49301234567"  # owner's region is DE
    for field in (
        "first_name",
        "last_name",
        "headline",
        "company",
        "email",
        "phone",
        "website",
        "linkedin",
        "links",
        "pitch",
        "slug",
        "public_fields",
        "public_url",
    ):
        assert field in filled
    assert filled["public_url"].endswith("/c/lucja")


@pytest.mark.parametrize(
    "field, value",
    [
        ("phone", "12"),
        ("email", "not-an-email"),
        ("website", "javascript:alert(1)"),
        ("linkedin", "ftp://linkedin.com/in/x"),
        ("first_name", "x" * 101),
        ("pitch", "x" * 501),
        ("slug", "Not A Slug!"),
        ("public_fields", ["password"]),
        ("links", "not a list"),
    ],
)
def test_card_put_names_the_bad_field(api, field, value):
    response = api.put("/api/v1/card", json={field: value})
    assert_api_error(response, 400, "validation_error", field=field)


def test_card_put_rejects_a_slug_taken_by_someone_else(
    api, app, make_user, token_for, client
):
    other = make_user("other@example.com")
    headers = {"Authorization": f"Bearer {token_for(other)}"}
    assert (
        client.put("/api/v1/card", json={"slug": "taken"}, headers=headers).status_code
        == 200
    )
    assert_api_error(api.put("/api/v1/card", json={"slug": "taken"}), 400, field="slug")


def test_card_page_form_shows_phone_error_and_keeps_input(owner):
    response = owner.form(
        "/settings/card",
        {"first_name": "Ana", "phone": "123", "public": ["first_name"]},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "phone number" in html
    assert 'value="Ana"' in html
    assert "Show LinkedIn profile on my public page" in html
    assert "Show other links on my public page" in html


def test_card_page_form_saves_and_publishes(owner, app, user):
    response = owner.form(
        "/settings/card",
        {
            "first_name": "Ana",
            "last_name": "Lima",
            "phone": "+351 912 345 678",
            "public": ["first_name", "last_name"],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        card = db.session.execute(db.select(Card).filter_by(user_id=user)).scalar_one()
        assert card.published and card.slug.startswith("ana-lima")
        assert card.phone == "+351912345678"


def test_fresh_card_is_not_public(app, user, client):
    with app.app_context():
        card = db.session.execute(db.select(Card).filter_by(user_id=user)).scalar_one()
        card.slug = "fresh"
        db.session.commit()
    assert client.get("/c/fresh").status_code == 404
    assert client.get("/c/fresh.vcf").status_code == 404


def test_public_page_shows_only_public_fields_and_counts_views(filled, client, app):
    html = client.get("/c/lucja").get_data(as_text=True)
    assert "Müller" in html and "Data analyst" in html and "messy data" in html
    assert "lucja@example.com" not in html
    assert "+49301234567" not in html
    assert "Acme" not in html
    client.get("/c/lucja")
    with app.app_context():
        assert db.session.execute(db.select(Card.view_count)).scalar() == 2


def test_public_vcf_hides_private_fields(filled, client):
    response = client.get("/c/lucja.vcf")
    assert response.headers["Content-Type"] == "text/vcard; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data(as_text=True)
    assert "\r\n" in text and "Müller" in text
    assert "lucja@example.com" not in text and "TEL" not in text


def test_full_vcf_has_everything_and_an_ascii_filename(filled, owner):
    response = owner.get("/card.vcf")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    disposition.encode("ascii")
    text = response.get_data(as_text=True)
    assert "lucja@example.com" in text and "+49301234567" in text
    assert text.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n")


def test_full_vcf_passes_the_vcard_validator(filled, owner):
    from vcard import vcard_validator

    text = owner.get("/card.vcf").get_data(as_text=True)
    masked = "".join(ch if ord(ch) <= 0xFF else "\xff" for ch in text)
    vcard_validator.VCard(masked, filename="card.vcf")


@pytest.mark.parametrize("mode", ["url", "vcard"])
def test_every_qr_png_decodes_to_the_exact_payload(filled, owner, app, mode):
    import zxingcpp
    from PIL import Image

    png = owner.get(f"/card/qr.png?mode={mode}")
    assert png.status_code == 200 and png.mimetype == "image/png"
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert len(results) == 1
    if mode == "url":
        expected = filled["public_url"]
    else:
        from app.formats.vcard import QR_MAX_OCTETS, compact_qr_payload

        with app.test_request_context():
            card = db.session.execute(db.select(Card)).scalar_one()
            expected = compact_qr_payload(card, filled["public_url"])
        assert len(expected.encode()) <= QR_MAX_OCTETS
    assert bytes(results[0].bytes) == expected.encode("utf-8")


@pytest.mark.parametrize(
    "path",
    [
        "/card/qr.svg?mode=vcard",
        "/card/qr.png?mode=vcard",
        "/card/qr.svg?mode=url",
        "/c/lucja/qr.svg",
    ],
)
def test_qr_is_served_with_etag_and_304_on_repeat(filled, owner, path):
    first = owner.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    again = owner.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


def test_qr_etag_changes_when_the_card_changes(filled, owner, api):
    before = owner.get("/card/qr.svg?mode=vcard").headers["ETag"]
    api.put("/api/v1/card", json={**FULL_CARD, "email": "new@example.com"})
    after = owner.get("/card/qr.svg?mode=vcard")
    assert after.headers["ETag"] != before


def test_qr_svg_has_white_background_and_stays_small(filled, owner):
    svg = owner.get("/card/qr.svg?mode=vcard").get_data(as_text=True)
    assert "#fff" in svg.lower() or "white" in svg.lower()
    assert len(svg) < 12_000


def test_qr_bad_mode_is_400(filled, owner):
    assert owner.get("/card/qr.svg?mode=nope").status_code == 400


def test_url_mode_needs_a_saved_card(owner):
    assert owner.get("/card/qr.svg?mode=url").status_code == 404
    html = owner.get("/card").get_data(as_text=True)
    assert "mode=vcard" in html


def test_card_screen_defaults_to_link_when_public_url_is_set(app, filled, owner):
    shown = '<img src="/card/qr.svg?mode={}"'  # the screen's own code
    assert shown.format("vcard") in owner.get("/card").get_data(as_text=True)
    app.config["PUBLIC_URL"] = "https://morrow.example.org"
    html = owner.get("/card").get_data(as_text=True)
    assert shown.format("url") in html
    body = owner.get("/api/v1/card").get_json()
    assert body["public_url"] == "https://morrow.example.org/c/lucja"


def test_private_names_stay_off_the_public_page_and_vcard(api, client):
    api.put(
        "/api/v1/card",
        json={
            "first_name": "Alice",
            "last_name": "Secret",
            "email": "alice@private.example",
            "headline": "Designer",
            "slug": "hidden",
            "public_fields": ["headline"],
        },
    )
    html = client.get("/c/hidden").get_data(as_text=True)
    assert "Secret" not in html and "Alice" not in html and "Designer" in html
    text = client.get("/c/hidden.vcf").get_data(as_text=True)
    assert "Secret" not in text and "Alice" not in text
    assert "alice@private.example" not in text
    assert "FN:Contact" in text


def test_public_vcf_is_readable_from_any_origin_and_only_it(filled, client, owner):
    # Another Morrow's scanner reads a scanned card's public vCard cross-origin.
    public = client.get("/c/lucja.vcf")
    assert public.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.get("/c/lucja").headers
    assert "Access-Control-Allow-Origin" not in owner.get("/card.vcf").headers


def connect_sources(response) -> list[str]:
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    return policy["connect-src"].split()


def test_only_the_capture_page_may_fetch_other_https_origins(filled, owner, client):
    assert connect_sources(owner.get("/capture")) == ["'self'", "https:"]
    for path in ("/", "/card", "/people", "/settings"):
        assert connect_sources(owner.get(path)) == ["'self'"], path
    assert connect_sources(client.get("/c/lucja")) == ["'self'"]


@pytest.mark.parametrize("path", ["/", "/card"])
def test_home_and_card_carry_the_full_screen_card(filled, owner, path):
    html = owner.get(path).get_data(as_text=True)

    assert "data-card-full" in html and "data-show-card" in html
    # The exact addresses the service worker keeps, so it opens offline.
    assert 'data-url-src="/card/qr.svg?mode=url"' in html
    assert 'data-vcard-src="/card/qr.svg?mode=vcard"' in html
    assert '<p class="qr-full-name">Łucja Müller</p>' in html
    assert 'data-card-mode="url"' in html  # the card is public: both modes
    assert "/static/js/card.js" in html


def test_card_screen_offers_share_and_nfc_with_the_public_url(filled, owner):
    html = owner.get("/card").get_data(as_text=True)

    url = filled["public_url"]
    assert f'data-share data-url="{url}"' in html
    assert f'data-nfc data-url="{url}"' in html
