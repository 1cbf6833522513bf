"""Photo of a card on Capture: read online into the form, or after the sync offline."""

from __future__ import annotations

from browserlib import wait_until

from tests.card_images import jpeg, phone_photo


def card_file() -> dict:
    # A phone photo, larger than kept (it is shrunk on the phone): 2000 × 1500.
    return {"name": "card.jpg", "mimeType": "image/jpeg", "buffer": jpeg(phone_photo())}


def stored(live_server, name: str) -> dict | None:
    """The person called `name` with their photos, read on the server."""
    from app.extensions import db
    from app.models import Contact, ContactPhoto

    with live_server.app.app_context():
        person = db.session.execute(
            db.select(Contact).filter_by(name=name)
        ).scalar_one_or_none()
        found = None
        if person is not None:
            photos = db.session.execute(
                db.select(ContactPhoto).filter_by(contact_id=person.id)
            ).scalars()
            found = {
                "id": person.id,
                "email": person.email,
                "phone": person.phone,
                "company": person.company,
                "photos": [(p.width, p.height, p.filled_fields) for p in photos],
            }
        db.session.remove()
    return found


def test_a_card_photo_prefills_the_form_and_stays_with_the_person(page, live_server):
    page.goto("/capture")
    page.fill("#f-talked_about", "solar co-ops")
    page.set_input_files("#f-card_photo", files=[card_file()])
    page.wait_for_function(
        "() => document.querySelector('[data-card-status]')?.textContent"
        "?.includes('Read from the card')",
        timeout=60000,
    )
    assert page.is_visible("[data-card-preview] img")
    assert page.get_attribute("[data-card-image]", "src").startswith("blob:")
    status = page.text_content("[data-card-status]")
    assert page.input_value("#f-name") == "Amara Okafor", status
    assert page.input_value("#f-reach") == "amara@solarcoop.de"
    assert "prefilled" in page.get_attribute("#f-name", "class")
    assert page.input_value("#f-talked_about") == "solar co-ops"  # typed, kept
    page.fill("#f-name", "Amara Okafor-Reviewed")  # each field editable
    assert "prefilled" not in page.get_attribute("#f-name", "class")
    page.tap("button[value=save]")
    page.wait_for_url("**/people/*", timeout=30000)
    person = stored(live_server, "Amara Okafor-Reviewed")
    assert person is not None and person["email"] == "amara@solarcoop.de"
    [(width, height, filled)] = person["photos"]
    assert max(width, height) == 1600  # shrunk on the phone
    assert filled == []  # read on the phone and reviewed: not read again
    thumb = page.locator(".card-photos img")
    assert thumb.count() == 1
    assert (
        page.evaluate(
            "(img) => img.complete && img.naturalWidth", thumb.element_handle()
        )
        == width
    )


def test_typed_fields_stay_when_the_card_is_read(page):
    page.goto("/capture")
    page.fill("#f-name", "Amara")
    page.fill("#f-reach", "+49 151 2345678")
    page.set_input_files("#f-card_photo", files=[card_file()])
    page.wait_for_function(
        "() => document.querySelector('[data-card-status]')?.textContent"
        "?.includes('Read from the card')",
        timeout=60000,
    )
    assert page.input_value("#f-name") == "Amara"
    assert page.input_value("#f-reach") == "+49 151 2345678"
    assert page.input_value("#f-reach2") == "amara@solarcoop.de"
    assert page.evaluate("document.querySelector('details.more').open")


def test_offline_the_photo_waits_and_fills_the_empty_fields_after_sync(
    context, page, live_server
):
    page.goto("/capture")
    context.set_offline(True)
    page.fill("#f-name", "Typed at the door")
    page.set_input_files("#f-card_photo", files=[card_file()])
    page.wait_for_function(
        "() => document.querySelector('[data-card-status]')?.textContent"
        "?.includes('Offline')"
    )
    page.tap("button[value=another]")
    page.wait_for_function(
        "() => document.querySelector('[data-capture-status]')"
        ".textContent.includes('will sync')"
    )
    assert page.is_hidden("[data-card-preview]")  # the next capture starts clean
    assert stored(live_server, "Typed at the door") is None
    context.set_offline(False)
    wait_until(
        lambda: (stored(live_server, "Typed at the door") or {}).get("email"),
        timeout=90,
        message="the card read after the sync",
    )
    person = stored(live_server, "Typed at the door")
    assert person["email"] == "amara@solarcoop.de"
    assert person["phone"] == "+49301234567"
    [(_w, _h, filled)] = person["photos"]
    assert {"email", "phone"} <= set(filled) and "name" not in filled
    page.goto(f"/people/{person['id']}")
    assert "Read from the card photo" in page.text_content("main")
    assert "Typed at the door" in page.text_content("h1")


def test_captures_with_photos_sync_a_few_to_a_request(
    context, page, live_server, faults
):
    import base64
    import uuid

    from browserlib import save_capture

    from tests.card_images import card_image

    photo = (
        "data:image/jpeg;base64,"
        + base64.b64encode(jpeg(card_image(width=400), quality=80)).decode()
    )
    context.set_offline(True)
    page.goto("/capture")
    sent = [
        {"id": str(uuid.uuid4()), "name": f"Photo {n}", "card_photo": photo,
         "email": f"p{n}@example.com", "card_photo_read": True}
        for n in range(5)
    ] + [{"id": str(uuid.uuid4()), "name": f"Plain {n}"} for n in range(4)]  # fmt: skip
    for capture in sent:
        assert save_capture(page, capture)["queued"] is True
    context.set_offline(False)
    wait_until(lambda: len(live_server.people()) == 9, message="nine people synced")
    batches = [path for path, status in faults.requests if path.endswith("/batch")]
    # Five photos, at most three to a request: 3, then 2 with the plain captures.
    assert len(batches) == 2, faults.requests
    assert sorted(status for _, status in faults.answers) == [201] * 9
    from app.extensions import db
    from app.models import ContactPhoto

    with live_server.app.app_context():
        assert db.session.query(ContactPhoto).count() == 5
        db.session.remove()
