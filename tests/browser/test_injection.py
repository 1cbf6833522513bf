"""Script typed into any field is shown as text: no dialog fires anywhere."""

from __future__ import annotations

import datetime as dt

from browserlib import OWNER_EMAIL

PAYLOAD = (
    '<script>alert("xss")</script><img src=x onerror=alert(1)>"\'><svg onload=alert(2)>'
)


def seed_payloads(app) -> dict:
    """Put the payload in every field a person can fill: card, capture, notes, templates."""
    from app.cards import update_card
    from app.contacts import create_contact
    from app.events import create_event
    from app.extensions import db
    from app.models import Template, User

    with app.app_context(), app.test_request_context("/", base_url="http://127.0.0.1"):
        user = db.session.execute(
            db.select(User).filter_by(email=OWNER_EMAIL)
        ).scalar_one()
        update_card(
            user,
            {
                "headline": PAYLOAD,
                "company": PAYLOAD,
                "pitch": PAYLOAD,
                "public_fields": ["first_name", "headline", "company", "pitch"],
            },
        )
        event = create_event(
            user,
            {"name": PAYLOAD, "date": "2026-11-20", "place": PAYLOAD, "notes": PAYLOAD},
        )
        introducer, _ = create_contact(
            user,
            {
                "id": "00000000-0000-4000-8000-000000000001",
                "name": PAYLOAD,
                "email": "intro@example.com",
            },
            dt.datetime.now(dt.UTC),
        )
        person, _ = create_contact(
            user,
            {
                "id": "00000000-0000-4000-8000-000000000002",
                "name": "Pat " + PAYLOAD,
                "email": "pat@example.com",
                "company": PAYLOAD,
                "title": PAYLOAD,
                "talked_about": PAYLOAD,
                "promise": PAYLOAD,
                "notes": PAYLOAD,
                "tags": ["<b>tag</b>"],
                "introduced_by_id": introducer.id,
                "event_id": event.id,
                "met_at": "2026-11-20T20:00:00+01:00",
            },
            dt.datetime.now(dt.UTC),
        )
        db.session.add(
            Template(
                user_id=user.id,
                kind="thank_you",
                subject="Hi " + PAYLOAD,
                body="{first_name} " + PAYLOAD,
            )
        )
        db.session.commit()
        ids = {"person": person.id, "event": event.id, "slug": user.card.slug}
        db.session.remove()
    return ids


def test_script_payloads_in_every_field_are_shown_as_text(live_server, context, page):
    ids = seed_payloads(live_server.app)
    dialogs: list[str] = []
    context.on(
        "page",
        lambda p: p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss())),
    )
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    visitor = context.browser.new_context(base_url=live_server.url)
    public = visitor.new_page()
    public.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    public.goto(f"/c/{ids['slug']}")
    assert PAYLOAD in public.inner_text("main")
    # The visitor sends the payload back through the exchange form.
    public.fill("#f-name", "Vi " + PAYLOAD)
    public.fill("#f-reach", "visitor@example.com")
    public.fill("#f-note", PAYLOAD)
    public.check("input[name=consent]")
    public.click("form button[type=submit]")
    public.wait_for_load_state()
    visitor.close()

    pages = [
        "/",
        "/card",
        "/people",
        f"/people/{ids['person']}",
        f"/people/{ids['person']}/edit",
        "/queue",
        "/events",
        f"/events/{ids['event']}",
        "/settings/templates",
        "/settings/card",
    ]
    for path in pages:
        page.goto(path)
        page.wait_for_load_state("load")
        assert page.locator("script:not([src])").count() == 0, path
    page.goto(f"/people/{ids['person']}")
    assert PAYLOAD in page.inner_text("main")
    page.goto("/people")
    assert "Vi " + PAYLOAD in page.inner_text("main")
    page.goto("/queue")
    assert "Pat " + PAYLOAD in page.inner_text("main")
    assert dialogs == []
