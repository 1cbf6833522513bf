"""Offline pages: People and the Queue as they were when the signal went."""

from __future__ import annotations

import datetime as dt
import uuid

from browserlib import save_capture, wait_until
from playwright.sync_api import expect


def saved_page(page, path: str) -> str:
    """A page as the service worker keeps it for offline use."""
    return page.evaluate(
        """async (path) => {
          const keys = await caches.keys();
          const name = keys.find((k) => k.startsWith('morrow-pages-'));
          const cached = name && await (await caches.open(name)).match(path);
          return cached ? cached.text() : '';
        }""",
        path,
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
        lambda: "Tom Becker" in saved_page(page, "/people"),
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


def test_a_card_sent_with_signal_stays_gone_from_the_queue_offline(page, context):
    met = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    for name in ("Grace Hopper", "Linus Torvalds"):
        person = {"id": str(uuid.uuid4()), "name": name, "met_at": met.isoformat()}
        person["email"] = f"{name.split()[0].lower()}@example.com"
        assert save_capture(page, person)["queued"] is False
    page.goto("/queue")
    expect(page.locator("[data-followup]")).to_have_count(2)
    grace = page.locator("[data-followup]", has_text="Grace Hopper")
    grace.locator("[data-sent]").click()
    expect(grace).to_have_count(0)
    wait_until(
        lambda: "Grace Hopper" not in saved_page(page, "/queue"),
        timeout=10,
        message="the saved Queue to drop the card sent",
    )

    context.set_offline(True)
    page.goto("/queue")
    expect(page.locator("[data-followup]")).to_have_count(1)
    expect(page.locator("[data-followup]", has_text="Linus Torvalds")).to_have_count(1)


def test_searching_people_offline_filters_the_people_kept_on_the_phone(page, context):
    page.goto("/capture")
    for name in ("José Núñez", "Priya Shah", "Tom Becker"):
        person = {"id": str(uuid.uuid4()), "name": name, "email": "x@example.com"}
        assert save_capture(page, person)["queued"] is False
    wait_until(
        lambda: "Tom Becker" in saved_page(page, "/people"),
        timeout=10,
        message="the saved People page to list the new people",
    )

    context.set_offline(True)
    page.goto("/people")
    rows = page.locator(".people-list > li")
    page.fill("#f-q", "jose")
    expect(rows.filter(visible=True)).to_have_count(1)
    expect(rows.filter(visible=True)).to_contain_text("José Núñez")
    expect(page.locator("[data-offline-search]")).to_contain_text("Offline")
    page.fill("#f-q", "nobody here")
    expect(rows.filter(visible=True)).to_have_count(0)
    expect(page.locator("[data-offline-search]")).to_contain_text("nobody")
    page.fill("#f-q", "")
    expect(rows.filter(visible=True)).to_have_count(3)
