"""Nothing a person typed is lost, on every path that writes a person.

Each path gets the same awkward values: a long name with accents and an emoji,
a topic in another script, private notes on two lines, tags with accents, and
a phone number phonenumbers calls possible but not valid (a new range, or a
typo to fix later). The person read back through the API holds every one of
them as typed.
"""

from __future__ import annotations

import uuid

import pytest

URL = "/api/v1/contacts"
TYPED = {
    "name": "María-José Çelik-Ødegård de la Fuente Núñez y Łukasiewicz-Sørensen 🌻",
    "email": "maria.jose@example.com",
    "company": "Ünïcode Straße GmbH",
    "title": "Directora técnica",
    "talked_about": "Поездка в Краков 🚲 and Dvořák's Œuvre",
    "promise": "Send the slides 📎",
    "notes": "First line\nSecond line — über wichtig ✨",
    "tags": ["café", "rust"],
    "phone": "+49 1999 1234567",  # possible, not valid: kept as typed
}


def capture_page(api, owner, card_slug, app) -> tuple[str, set]:
    person_id = str(uuid.uuid4())
    response = owner.form(
        "/capture",
        {
            "id": person_id,
            **{k: v for k, v in TYPED.items() if k not in ("email", "phone", "tags")},
            # "Email, phone or profile link", and "another contact" under More.
            "reach": TYPED["email"],
            "reach2": TYPED["phone"],
            "tags_text": ", ".join(TYPED["tags"]),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return person_id, set(TYPED)


def capture_api(api, owner, card_slug, app) -> tuple[str, set]:
    response = api.post(URL, json={"id": str(uuid.uuid4()), **TYPED})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"], set(TYPED)


def capture_batch(api, owner, card_slug, app) -> tuple[str, set]:
    # The phone's outbox: the person beside another, written in one request.
    items = [{"id": str(uuid.uuid4()), **TYPED}, {"id": str(uuid.uuid4()), "name": "B"}]
    response = api.post(f"{URL}/batch", json={"items": items})
    assert response.status_code == 200, response.get_json()
    statuses = [r["status"] for r in response.get_json()["results"]]
    assert statuses == [201, 201], response.get_json()
    return items[0]["id"], set(TYPED)


def capture_with_card_photo(api, owner, card_slug, app) -> tuple[str, set]:
    # An offline capture with a card photo: the card is read after the sync
    # and says other things; what was typed stays, the empty website is filled.
    import base64

    import pytest

    from app import card_photos
    from tests.card_images import card_image, jpeg

    read = {"name": "Other Name", "email": "other@example.com", "company": "Other",
            "title": "Other", "phone": "+4930123456", "website": "https://card.example"}  # fmt: skip
    photo = base64.b64encode(jpeg(card_image(width=500))).decode()
    body = {
        "id": str(uuid.uuid4()),
        **TYPED,
        "card_photo": f"data:image/jpeg;base64,{photo}",
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            card_photos, "read_card", lambda *_: {"fields": read, "lines": []}
        )
        response = api.post(f"{URL}/batch", json={"items": [body]})
        assert response.get_json()["results"][0]["status"] == 201, response.get_json()
        card_photos.wait_for_readings()
    person = api.get(f"{URL}/{body['id']}").get_json()
    assert person["website"] == read["website"], person
    return body["id"], set(TYPED)


def plain_person(api) -> str:
    response = api.post(URL, json={"id": str(uuid.uuid4()), "name": "Someone"})
    assert response.status_code == 201
    return response.get_json()["id"]


def edit_page(api, owner, card_slug, app) -> tuple[str, set]:
    person_id = plain_person(api)
    form = {k: v for k, v in TYPED.items() if k != "tags"}
    form["tags_text"] = ", ".join(TYPED["tags"])
    response = owner.form(f"/people/{person_id}/edit", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    return person_id, set(TYPED)


def patch_api(api, owner, card_slug, app) -> tuple[str, set]:
    person_id = plain_person(api)
    response = api.patch(f"{URL}/{person_id}", json=TYPED)
    assert response.status_code == 200, response.get_json()
    return person_id, set(TYPED)


def vcard_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace("\n", "\\n")


def import_vcard(api, owner, card_slug, app) -> tuple[str, set]:
    card = "\r\n".join(
        [
            "BEGIN:VCARD",
            "VERSION:3.0",
            f"FN:{vcard_escaped(TYPED['name'])}",
            f"EMAIL:{TYPED['email']}",
            f"TEL:{TYPED['phone']}",
            f"ORG:{vcard_escaped(TYPED['company'])}",
            f"TITLE:{vcard_escaped(TYPED['title'])}",
            f"NOTE:{vcard_escaped(TYPED['notes'])}",
            "CATEGORIES:" + ",".join(TYPED["tags"]),
            "END:VCARD",
            "",
        ]
    )
    response = api.post(f"{URL}/import", data=card.encode(), content_type="text/vcard")
    assert response.get_json()["imported"] == 1, response.get_json()
    found = api.get(URL).get_json()["items"]
    carried = {"name", "email", "phone", "company", "title", "notes", "tags"}
    return found[0]["id"], carried


def merge(api, owner, card_slug, app) -> tuple[str, set]:
    first = {k: TYPED[k] for k in ("name", "email", "phone", "talked_about", "tags")}
    second = {k: TYPED[k] for k in ("name", "company", "title", "promise", "notes")}
    second["name"] = TYPED["name"].split(" de la ")[0]
    keep = api.post(URL, json={"id": str(uuid.uuid4()), **second}).get_json()
    other = api.post(URL, json={"id": str(uuid.uuid4()), **first}).get_json()
    response = api.post(f"{URL}/{keep['id']}/merge", json={"other_id": other["id"]})
    assert response.status_code == 200, response.get_json()
    return keep["id"], set(TYPED)


def exchange_form(api, owner, card_slug, app) -> tuple[str, set]:
    from tests.conftest import csrf_from

    visitor = app.test_client()
    token = csrf_from(visitor.get(f"/c/{card_slug}").get_data(as_text=True))
    response = visitor.post(
        f"/c/{card_slug}/exchange",
        data={
            "csrf_token": token,
            "name": TYPED["name"],
            "reach": TYPED["email"],
            "note": TYPED["notes"],
            "consent": "1",
        },
    )
    assert response.status_code in (200, 302, 303), response.get_data(as_text=True)
    found = api.get(URL).get_json()["items"]
    assert len(found) == 1
    return found[0]["id"], {"name", "email", "notes"}


@pytest.fixture
def card_slug(owner) -> str:
    response = owner.put(
        "/api/v1/card", json={"first_name": "Olive", "email": "olive@example.com"}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["slug"]


@pytest.mark.parametrize(
    "path",
    [
        capture_page,
        capture_api,
        capture_batch,
        capture_with_card_photo,
        edit_page,
        patch_api,
        import_vcard,
        merge,
        exchange_form,
    ],
    ids=lambda path: path.__name__,
)
def test_nothing_typed_is_lost(app, api, owner, card_slug, path):
    person_id, carried = path(api, owner, card_slug, app)
    person = api.get(f"{URL}/{person_id}").get_json()
    for field in sorted(carried):
        if field == "tags":
            assert set(TYPED["tags"]) <= set(person["tags"]), person["tags"]
        else:
            assert person[field] == TYPED[field], (field, person[field])
    words = TYPED["name"].split()
    found = api.get(URL, query_string={"q": " ".join(words[:4])}).get_json()["items"]
    assert person_id in [p["id"] for p in found]


def test_an_imported_cards_tags_beyond_what_a_person_holds_stay_in_the_notes(api):
    categories = [f"topic{n}" for n in range(25)]
    card = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Many Tags\r\n"
        f"CATEGORIES:{','.join(categories)}\r\nEND:VCARD\r\n"
    )
    response = api.post(f"{URL}/import", data=card.encode(), content_type="text/vcard")
    assert response.get_json()["imported"] == 1, response.get_json()
    person = api.get(URL).get_json()["items"][0]
    for tag in categories:
        assert tag in person["tags"] or tag in person["notes"], tag
