"""Photos of paper cards: scan-card, photos kept with a capture, filled after sync."""

from __future__ import annotations

import base64
import io
import uuid

import pytest
from PIL import Image

from app import card_photos
from app.config import photo_limits
from app.extensions import db
from app.models import Contact, ContactPhoto
from tests.card_images import card_image, gps_exif, heic_like, jpeg, png
from tests.conftest import assert_api_error

URL = "/api/v1/contacts"
SCAN = f"{URL}/scan-card"
READ = {
    "name": "Read Name",
    "first_name": "Read",
    "last_name": "Name",
    "title": "Read Title",
    "company": "Read Company",
    "email": "read@example.com",
    "phone": "+4930123456",
    "website": "https://read.example.com",
    "linkedin": "",
}


def data_url(data: bytes, kind: str = "jpeg") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()


@pytest.fixture
def small_card() -> bytes:
    return jpeg(card_image(width=700))


@pytest.fixture
def reader(monkeypatch):
    """Stand in for the OCR: answers READ and counts the photos it was given."""
    calls: list[bytes] = []

    def read_card(image: bytes, region: str) -> dict:
        calls.append(image)
        return {"fields": dict(READ), "lines": ["Read Name"]}

    monkeypatch.setattr(card_photos, "read_card", read_card)
    return calls


def stored_photos(app, contact_id: str | None = None) -> list[ContactPhoto]:
    with app.app_context():
        query = db.select(ContactPhoto).order_by(ContactPhoto.id)
        if contact_id:
            query = query.where(ContactPhoto.contact_id == contact_id)
        rows = list(db.session.execute(query).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows


def capture(api, **fields):
    body = {"id": str(uuid.uuid4()), **fields}
    response = api.post(URL, json=body)
    assert response.status_code == 201, response.get_json()
    card_photos.wait_for_readings()
    return api.get(f"{URL}/{body['id']}").get_json()


# scan-card -------------------------------------------------------------------


def test_scan_card_reads_a_rendered_card_and_saves_nothing(api, app):
    response = api.post(
        SCAN, data={"image": (io.BytesIO(jpeg(card_image())), "card.jpg")}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"fields", "lines"}
    assert body["fields"]["email"] == "amara@solarcoop.de"
    assert body["fields"]["phone"] == "+49301234567"
    assert body["fields"]["name"] == "Amara Okafor"
    with app.app_context():
        assert db.session.execute(db.select(Contact)).first() is None
        assert db.session.execute(db.select(ContactPhoto)).first() is None


def test_scan_card_takes_png(api, reader):
    response = api.post(
        SCAN, data={"image": (io.BytesIO(png(card_image(width=500))), "c.png")}
    )
    assert response.status_code == 200
    assert response.get_json()["fields"]["email"] == READ["email"]


def test_scan_card_needs_a_login(client, small_card):
    response = client.post(SCAN, data={"image": (io.BytesIO(small_card), "c.jpg")})
    assert_api_error(response, 401)


def test_scan_card_refuses_heic_clearly(api, reader):
    response = api.post(SCAN, data={"image": (io.BytesIO(heic_like()), "IMG.HEIC")})
    body = assert_api_error(response, 415, field="image")
    assert "HEIC" in body["error"]["message"]
    assert reader == []


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"%PDF-1.4 not a photo at all" * 10, 415),
        (b"GIF89a" + b"\x00" * 100, 415),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, 422),  # a JPEG's start, then nothing
        (b"", 422),
    ],
)
def test_scan_card_refuses_what_is_not_a_photo(api, reader, data, status):
    response = api.post(SCAN, data={"image": (io.BytesIO(data), "x.jpg")})
    assert_api_error(response, status)
    assert reader == []


def test_scan_card_wants_multipart_with_an_image(api, reader):
    assert_api_error(api.post(SCAN, json={"image": "x"}), 415, field="image")
    response = api.post(SCAN, data={"other": (io.BytesIO(b"x"), "x.jpg")})
    assert_api_error(response, 400, field="image")


def test_scan_card_refuses_photos_over_the_limit(app, api, reader):
    app.config["CARD_PHOTO_MAX_BYTES"] = 100_000
    photo_limits(app.config)
    photo = b"\xff\xd8\xff" + b"\x00" * 120_000  # within the request's framing
    response = api.post(SCAN, data={"image": (io.BytesIO(photo), "big.jpg")})
    error = assert_api_error(response, 413)["error"]
    assert error["message"] == "The photo is larger than 100000 bytes."  # the limit set
    # A body larger than the photo limit and its framing is refused unread.
    huge = b"\xff\xd8\xff" + b"\x00" * 400_000
    response = api.post(SCAN, data={"image": (io.BytesIO(huge), "huge.jpg")})
    assert_api_error(response, 413)
    assert reader == []


def test_the_default_limit_is_10_mb_and_the_request_limit_holds_it(app):
    assert app.config["CARD_PHOTO_MAX_BYTES"] == 10 * 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] >= app.config["MAX_CAPTURE_BYTES"]
    assert app.config["MAX_CAPTURE_BYTES"] > 10 * 1024 * 1024 * 4 // 3


def test_scan_card_is_rate_limited_per_account(app, api, reader, small_card):
    app.config["CARD_SCAN_RATE_LIMIT"] = "2 per minute"
    for _ in range(2):
        response = api.post(SCAN, data={"image": (io.BytesIO(small_card), "c.jpg")})
        assert response.status_code == 200
    response = api.post(SCAN, data={"image": (io.BytesIO(small_card), "c.jpg")})
    assert_api_error(response, 429)


# A photo kept with the capture -----------------------------------------------


def test_a_photo_is_kept_upright_resized_and_without_exif(app, api, reader):
    # 2400 × 1500, stored sideways with "turn 90°" and a GPS position in EXIF.
    sideways = card_image(width=2400).rotate(90, expand=True)
    original = jpeg(sideways, exif=gps_exif())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    person = capture(
        api, name="Amara", email="a@example.com", card_photo=data_url(original)
    )
    [photo] = stored_photos(app, person["id"])
    kept = Image.open(io.BytesIO(photo.data))
    assert kept.format == "JPEG"
    assert max(kept.size) == 1600 and (photo.width, photo.height) == kept.size
    # Orientation 6 turns the sideways card back: wider than tall again.
    assert kept.width > kept.height
    assert not kept.getexif()
    assert b"Exif" not in photo.data[:4096] and b"PhoneModel" not in photo.data
    assert person["card_photos"][0]["width"] == kept.width


def test_a_small_photo_is_not_enlarged(app, api, reader, small_card):
    person = capture(api, name="Bo", card_photo=data_url(small_card))
    [photo] = stored_photos(app, person["id"])
    assert (photo.width, photo.height) == (700, 700 * 55 // 85)


def test_the_same_capture_twice_keeps_one_person_and_one_photo(app, api, reader):
    body = {
        "id": str(uuid.uuid4()),
        "name": "Cy",
        "card_photo": data_url(jpeg(card_image(width=600))),
    }
    assert api.post(URL, json=body).status_code == 201
    assert api.post(URL, json=body).status_code == 200
    batch = api.post(f"{URL}/batch", json={"items": [body, body]})
    assert [r["status"] for r in batch.get_json()["results"]] == [200, 200]
    card_photos.wait_for_readings()
    assert len(stored_photos(app)) == 1


def test_a_batch_keeps_each_items_photo_and_refuses_a_bad_one_alone(app, api, reader):
    good = [
        {
            "id": str(uuid.uuid4()),
            "name": f"P{n}",
            "card_photo": data_url(jpeg(card_image(width=500))),
        }
        for n in range(2)
    ]
    bad = {
        "id": str(uuid.uuid4()),
        "name": "Bad",
        "card_photo": data_url(b"not an image"),
    }
    plain = {"id": str(uuid.uuid4()), "name": "Plain"}
    response = api.post(f"{URL}/batch", json={"items": [good[0], bad, plain, good[1]]})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == [201, 415, 201, 201]
    assert (
        results[1]["id"] == bad["id"] and "card_photo" in results[1]["error"]["fields"]
    )
    card_photos.wait_for_readings()
    kept = {p.contact_id for p in stored_photos(app)}
    assert kept == {good[0]["id"], good[1]["id"]}


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("data:text/plain;base64,aGVsbG8=", 415),
        ("data:image/jpeg;base64,@@@@", 422),
        (42, 422),
    ],
)
def test_a_capture_with_a_photo_that_cant_be_used_saves_nothing(
    app, api, value, status
):
    response = api.post(
        URL, json={"id": str(uuid.uuid4()), "name": "D", "card_photo": value}
    )
    assert_api_error(response, status, field="card_photo")
    with app.app_context():
        assert db.session.execute(db.select(Contact)).first() is None


def test_a_heic_photo_in_a_capture_is_refused_clearly(api):
    response = api.post(
        URL, json={"name": "E", "card_photo": data_url(heic_like(), "heic")}
    )
    body = assert_api_error(response, 415, field="card_photo")
    assert "HEIC" in body["error"]["message"]


def test_the_photo_is_served_to_its_owner_only(
    app, api, client, make_user, token_for, reader, small_card
):
    person = capture(
        api, name="Fa", email="fa@example.com", card_photo=data_url(small_card)
    )
    url = person["card_photos"][0]["url"]
    response = api.get(url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert Image.open(io.BytesIO(response.data)).size == (700, 700 * 55 // 85)
    assert api.get(f"{URL}/{person['id']}/card-photo").status_code == 200
    other = {"Authorization": f"Bearer {token_for(make_user('other@example.com'))}"}
    assert_api_error(client.get(url, headers=other), 404)
    assert_api_error(client.get(f"{URL}/{person['id']}/card-photo", headers=other), 404)
    assert_api_error(client.get(url), 401)
    nobody = capture(api, name="No photo")
    assert_api_error(api.get(f"{URL}/{nobody['id']}/card-photo"), 404)
    assert_api_error(api.get(f"{URL}/{person['id']}/card-photo?photo=abc"), 400)


def test_deleting_the_person_or_the_account_deletes_the_photo(
    app, api, owner, reader, small_card
):
    first = capture(
        api, name="Ga", email="ga@example.com", card_photo=data_url(small_card)
    )
    second = capture(
        api, name="Ha", email="ha@example.com", card_photo=data_url(small_card)
    )
    assert api.delete(f"{URL}/{first['id']}").status_code == 204
    assert [p.contact_id for p in stored_photos(app)] == [second["id"]]
    from tests.conftest import PASSWORD

    response = owner.form("/settings/delete", {"password": PASSWORD})
    assert response.status_code in (200, 302), response.get_data(as_text=True)
    assert stored_photos(app) == []


def test_a_merge_keeps_both_photos_and_undo_gives_each_back(
    app, api, reader, small_card
):
    keep = capture(
        api, name="Ia Okafor", email="ia@example.com", card_photo=data_url(small_card)
    )
    other = capture(
        api, name="Ia O.", email="ia@example.com", card_photo=data_url(small_card)
    )
    merged = api.post(
        f"{URL}/{keep['id']}/merge", json={"other_id": other["id"]}
    ).get_json()
    assert len(api.get(f"{URL}/{keep['id']}").get_json()["card_photos"]) == 2
    assert api.post(f"/api/v1/merges/{merged['merge_id']}/undo").status_code == 200
    assert len(stored_photos(app, keep["id"])) == 1
    assert len(stored_photos(app, other["id"])) == 1


# Reading the card after the capture ------------------------------------------


def test_empty_fields_are_filled_from_the_photo_and_typed_ones_kept(
    app, api, owner, reader, small_card
):
    person = capture(
        api, name="Jo Typed", phone="+49 30 999999", card_photo=data_url(small_card)
    )
    assert len(reader) == 1
    assert person["name"] == "Jo Typed" and person["phone"] == "+4930999999"
    assert person["email"] == READ["email"] and person["company"] == READ["company"]
    assert person["title"] == READ["title"] and person["website"] == READ["website"]
    assert person["fields_from_photo"] == ["title", "company", "email", "website"]
    assert person["card_photos"][0]["reading"] == "read"
    # Search and duplicate checks see the filled fields.
    found = api.get(URL, query_string={"q": "Read Company"}).get_json()["items"]
    assert [p["id"] for p in found] == [person["id"]]
    twin = api.post(URL, json={"name": "Twin", "email": READ["email"]}).get_json()
    assert [d["id"] for d in twin["possible_duplicates"]] == [person["id"]]
    page = owner.get(f"/people/{person['id']}").get_data(as_text=True)
    assert "Read from the card photo" in page
    assert "title, company, email and website" in page


def test_no_reading_when_every_field_was_typed(app, api, reader, small_card):
    typed = {k: v for k, v in READ.items() if k not in ("first_name", "last_name")}
    typed.update(
        linkedin="https://www.linkedin.com/in/typed", email="typed@example.com"
    )
    person = capture(api, **typed, card_photo=data_url(small_card))
    assert reader == []
    assert person["email"] == "typed@example.com"
    assert person["fields_from_photo"] == []
    assert person["card_photos"][0]["reading"] == "none"


def test_a_photo_without_a_name_gets_the_name_from_the_card(
    app, api, reader, small_card
):
    person = capture(api, card_photo=data_url(small_card))
    assert person["name"] == "Read Name"
    assert (person["first_name"], person["last_name"]) == ("Read", "Name")
    assert "name" in person["fields_from_photo"]


def test_an_edit_made_while_the_card_is_read_wins(app, api, monkeypatch, small_card):
    from sqlalchemy import update

    def read_while_owner_edits(image: bytes, region: str) -> dict:
        # The owner types a company while the card is being read.
        with db.engine.begin() as connection:
            connection.execute(
                update(Contact).values(company="Typed Meanwhile", search_text="")
            )
        return {"fields": dict(READ), "lines": []}

    monkeypatch.setattr(card_photos, "read_card", read_while_owner_edits)
    person = capture(api, name="Ka", card_photo=data_url(small_card))
    assert person["company"] == "Typed Meanwhile"
    assert person["email"] == READ["email"]
    assert "company" not in person["fields_from_photo"]


def test_a_reading_that_fails_leaves_the_person_as_typed(
    app, api, monkeypatch, small_card
):
    def broken(image: bytes, region: str) -> dict:
        raise RuntimeError("the OCR process died")

    monkeypatch.setattr(card_photos, "read_card", broken)
    person = capture(api, name="La", card_photo=data_url(small_card))
    assert person["name"] == "La" and person["email"] == ""
    assert person["card_photos"][0]["reading"] == "failed"


def test_batch_sync_answers_before_the_cards_are_read(
    app, api, monkeypatch, small_card
):
    import threading

    release = threading.Event()

    def slow(image: bytes, region: str) -> dict:
        release.wait(10)
        return {"fields": dict(READ), "lines": []}

    monkeypatch.setattr(card_photos, "read_card", slow)
    items = [
        {"id": str(uuid.uuid4()), "name": f"M{n}", "card_photo": data_url(small_card)}
        for n in range(3)
    ]
    response = api.post(f"{URL}/batch", json={"items": items})
    assert [r["status"] for r in response.get_json()["results"]] == [201] * 3
    assert api.get(f"{URL}/{items[0]['id']}").get_json()["email"] == ""
    release.set()
    card_photos.wait_for_readings()
    for item in items:
        assert api.get(f"{URL}/{item['id']}").get_json()["email"] == READ["email"]


def test_the_capture_page_takes_a_photo_file_without_scripts(
    app, owner, reader, small_card
):
    person_id = str(uuid.uuid4())
    response = owner.form(
        "/capture",
        {
            "id": person_id,
            "name": "Ma",
            "card_photo_file": (io.BytesIO(small_card), "card.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    card_photos.wait_for_readings()
    assert len(stored_photos(app, person_id)) == 1
    page = owner.get(f"/people/{person_id}").get_data(as_text=True)
    assert f"/api/v1/contacts/{person_id}/card-photo" in page
    refused = owner.form(
        "/capture",
        {
            "name": "Na",
            "notes": "kept",
            "card_photo_file": (io.BytesIO(b"nope"), "x.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert "kept" in refused.get_data(as_text=True)


def test_a_real_card_fills_the_empty_fields_after_sync(app, api):
    """End to end, with the OCR: the offline capture held a name and the photo."""
    photo = jpeg(card_image(width=1200).rotate(2, expand=True, fillcolor="#d8d2c4"))
    person = capture(api, name="Amara from the meetup", card_photo=data_url(photo))
    assert person["name"] == "Amara from the meetup"
    assert person["email"] == "amara@solarcoop.de"
    assert person["phone"] == "+49301234567"
    assert {"email", "phone"} <= set(person["fields_from_photo"])
    assert "name" not in person["fields_from_photo"]


def test_a_photo_a_stopped_worker_left_unread_is_read_from_people(
    app, api, owner, reader, clock, small_card, monkeypatch
):
    # The worker stops before reading: the request hands nothing to the pool.
    monkeypatch.setattr(card_photos, "request_reading", lambda ids: None)
    body = {"id": str(uuid.uuid4()), "name": "Oz", "card_photo": data_url(small_card)}
    assert api.post(URL, json=body).status_code == 201
    monkeypatch.undo()
    monkeypatch.setattr(
        card_photos, "read_card", lambda *_: {"fields": READ, "lines": []}
    )
    owner.get("/people")  # too soon: it may still be being read
    card_photos.wait_for_readings()
    assert [p.reading for p in stored_photos(app)] == ["pending"]
    clock.advance(minutes=3)
    owner.get("/people")
    card_photos.wait_for_readings()
    assert api.get(f"{URL}/{body['id']}").get_json()["email"] == READ["email"]
    assert [p.reading for p in stored_photos(app)] == ["read"]


def test_the_capture_page_lets_the_preview_show_a_photo_taken_on_the_phone(owner):
    response = owner.get("/capture")
    policy = response.headers["Content-Security-Policy"]
    img_src = next(p for p in policy.split("; ") if p.startswith("img-src"))
    assert {"blob:", "data:"} <= set(img_src.split())
    page = response.get_data(as_text=True)
    assert 'accept="image/*" capture="environment"' in page
    assert 'enctype="multipart/form-data"' in page


def test_only_a_photo_makes_a_capture_larger_than_other_json(api, owner):
    body = {"name": "x", "notes": "y" * 70_000}
    assert_api_error(api.post(URL, json=body), 413, code="too_large")
    response = owner.form("/capture", {"name": "x", "notes": "y" * 300_000})
    assert response.status_code == 413


def test_the_check_note_goes_once_the_owner_has_edited_the_fields(
    app, api, owner, reader, small_card
):
    person = capture(api, name="Pi", card_photo=data_url(small_card))
    assert person["fields_from_photo"] == [
        "title",
        "company",
        "email",
        "phone",
        "website",
    ]
    api.patch(f"{URL}/{person['id']}", json={"company": "Checked Co", "title": "CEO"})
    after = api.get(f"{URL}/{person['id']}").get_json()
    assert after["fields_from_photo"] == ["email", "phone", "website"]
    form = {k: after[k] or "" for k in ("name", "email", "phone", "company", "title")}
    assert owner.form(f"/people/{person['id']}/edit", form).status_code == 302
    assert api.get(f"{URL}/{person['id']}").get_json()["fields_from_photo"] == []
    page = owner.get(f"/people/{person['id']}").get_data(as_text=True)
    assert "Read from the card photo" not in page
