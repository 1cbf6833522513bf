"""People offline: the saved list shows who was met, synced or still waiting."""

from __future__ import annotations

import uuid

from browserlib import save_capture, wait_until
from playwright.sync_api import expect


def saved_people_page(page) -> str:
    """The People page as the service worker keeps it for offline use."""
    return page.evaluate(
        """async () => {
          const keys = await caches.keys();
          const name = keys.find((k) => k.startsWith('morrow-pages-'));
          const cached = name && await (await caches.open(name)).match('/people');
          return cached ? cached.text() : '';
        }"""
    )


def test_people_captured_online_are_on_the_people_page_offline(
    page, context, live_server
):
    page.goto("/people")
    expect(page.locator("[data-no-one-yet]")).to_be_visible()
    page.goto("/capture")
    for name in ("Priya Shah", "Tom Becker"):
        capture = {"id": str(uuid.uuid4()), "name": name, "email": "p@example.com"}
        assert save_capture(page, capture)["queued"] is False
    assert sorted(n for _, n in live_server.people()) == ["Priya Shah", "Tom Becker"]
    wait_until(
        lambda: "Tom Becker" in saved_people_page(page),
        timeout=10,
        message="the saved People page to list the new people",
    )

    context.set_offline(True)
    page.goto("/people")
    listed = page.locator(".people-list li")
    expect(listed).to_have_count(2)
    expect(listed.filter(has_text="Priya Shah")).to_have_count(1)
    expect(page.locator("[data-no-one-yet]")).to_have_count(0)


def test_people_waiting_to_sync_replace_no_one_yet(page, context):
    context.set_offline(True)
    page.goto("/capture")
    capture = {"id": str(uuid.uuid4()), "name": "Jonas Wolf", "email": "j@example.net"}
    assert save_capture(page, capture)["queued"] is True
    page.goto("/people")
    expect(
        page.locator("[data-outbox-list] li", has_text="Jonas Wolf")
    ).to_contain_text("not yet synced")
    expect(page.get_by_text("No one yet")).to_be_hidden()
