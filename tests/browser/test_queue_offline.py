"""The morning queue cleared on the underground: Sent, Skip and Snooze with no signal."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

from browserlib import outbox, save_capture, wait_until
from playwright.sync_api import expect

EDITED = "Hi Grace,\nthe notes are attached.\n\nAda"


def met_two_days_ago(page, name: str, **fields) -> None:
    met = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    person = {
        "id": str(uuid.uuid4()),
        "name": name,
        "email": f"{name.split()[0].lower()}@example.com",
        "met_at": met.isoformat(),
        **fields,
    }
    assert save_capture(page, person)["queued"] is False


def followups(live_server) -> dict[str, list[tuple]]:
    """Each person's follow-ups on the server: (kind, status, snoozed, body)."""
    from app.extensions import db
    from app.models import Contact, FollowUp

    with live_server.app.app_context():
        rows = db.session.execute(
            db.select(Contact.name, FollowUp).join(
                Contact, Contact.id == FollowUp.contact_id
            )
        ).all()
        found: dict[str, list[tuple]] = {}
        for name, f in rows:
            found.setdefault(name, []).append(
                (f.kind, f.status, f.snoozed_until is not None, f.body)
            )
        db.session.remove()
    return {name: sorted(items) for name, items in found.items()}


def card(page, name: str):
    return page.locator("[data-followup]", has_text=name)


def actions_applied(faults) -> Counter:
    """How many times the server accepted each follow-up action."""
    return Counter(
        path
        for method, path, status in faults.followup_answers
        if method == "POST" and status == 200
    )


def test_sent_skip_and_snooze_offline_survive_a_reload_and_arrive_once(
    page, context, live_server, faults
):
    met_two_days_ago(page, "Grace Hopper", promise="the COBOL notes")
    for name in ("Linus Torvalds", "Barbara Liskov", "Katherine Johnson"):
        met_two_days_ago(page, name)
    page.goto("/queue")  # opened once this morning, with signal
    expect(page.locator("[data-followup]")).to_have_count(4)

    context.set_offline(True)
    page.reload()  # the Queue and its drafts come from the phone
    grace = card(page, "Grace Hopper")
    grace.locator("textarea[name=body]").fill(EDITED)
    grace.locator("[data-sent]").click()
    expect(grace).to_have_count(0)
    card(page, "Linus Torvalds").get_by_role("button", name="Skip").click()
    barbara = card(page, "Barbara Liskov")
    barbara.locator("summary").click()
    barbara.get_by_role("button", name="Tomorrow").click()
    expect(page.locator("[data-followup]")).to_have_count(1)
    expect(page.locator("[data-progress] strong")).to_have_text("1 of 2 done")
    expect(page.locator("[data-sync-status]")).to_have_text(
        "Offline · 3 queue actions waiting to sync"
    )
    assert page.locator("[data-status]").count() == 0  # no "Failed to fetch"

    page.reload()  # still offline: what was done stays done
    expect(page.locator("[data-followup]")).to_have_count(1)
    expect(card(page, "Katherine Johnson")).to_have_count(1)
    expect(page.locator("[data-progress] strong")).to_have_text("1 of 2 done")
    assert faults.followup_answers == []

    context.set_offline(False)
    wait_until(lambda: outbox(page, "pendingCount()") == 0, message="an empty outbox")
    kept = followups(live_server)
    assert [s for _, s, _, _ in kept["Grace Hopper"]] == ["done", "done"]
    assert EDITED in {body for _, _, _, body in kept["Grace Hopper"]}
    assert kept["Linus Torvalds"] == [
        ("thank_you", "skipped", False, kept["Linus Torvalds"][0][3])
    ]
    assert kept["Barbara Liskov"][0][1:3] == ("pending", True)
    assert kept["Katherine Johnson"][0][1:3] == ("pending", False)
    applied = actions_applied(faults)
    assert sorted(applied.values()) == [1, 1, 1, 1]  # two for Grace's message
    assert {p.rsplit("/", 1)[1] for p in applied} == {"done", "skip", "snooze"}
    expect(page.locator("[data-sync-status]")).to_be_hidden()


def test_an_action_already_done_elsewhere_is_dropped_without_an_error(
    page, context, live_server, faults
):
    from app.extensions import db
    from app.followups import mark_done
    from app.models import FollowUp, User

    met_two_days_ago(page, "Grace Hopper")
    page.goto("/queue")
    context.set_offline(True)
    card(page, "Grace Hopper").locator("[data-sent]").click()
    expect(card(page, "Grace Hopper")).to_have_count(0)
    # Meanwhile the laptop marks it sent.
    with live_server.app.app_context():
        followup = db.session.execute(db.select(FollowUp)).scalar_one()
        mark_done(
            db.session.get(User, followup.user_id), followup, dt.datetime.now(dt.UTC)
        )
        db.session.commit()  # services only flush: the request (here, we) commits
        db.session.remove()

    context.set_offline(False)
    wait_until(lambda: faults.followup_answers, message="the phone's try")
    wait_until(lambda: outbox(page, "pendingCount()") == 0, message="an empty outbox")
    assert outbox(page, "listFailed()") == []
    assert [s for _, _, s in faults.followup_answers] == [409]
    expect(page.locator("[data-sync-status]")).to_be_hidden()
    page.reload()
    expect(page.locator("[data-followup]")).to_have_count(0)
    expect(page.locator("[data-empty]")).to_be_visible()


def test_a_snooze_the_server_refuses_brings_the_card_back_with_its_message(
    page, live_server, faults
):
    met_two_days_ago(page, "Grace Hopper")
    page.goto("/queue")
    grace = card(page, "Grace Hopper")
    grace.locator("summary").click()
    grace.locator("input[name=date]").evaluate("(input) => { input.min = ''; }")
    grace.locator("input[name=date]").fill("2001-01-01")
    grace.get_by_role("button", name="Snooze to that date").click()
    expect(grace.locator("[data-status]")).to_have_text(
        "That moment has passed: pick a later day."
    )
    expect(grace).to_be_visible()
    assert outbox(page, "listFailed()") == []  # shown on its card, not kept
    assert followups(live_server)["Grace Hopper"][0][1:3] == ("pending", False)


def test_a_draft_saved_offline_is_kept_and_saved_when_back_online(
    page, context, live_server
):
    met_two_days_ago(page, "Grace Hopper")
    page.goto("/queue")
    context.set_offline(True)
    grace = card(page, "Grace Hopper")
    grace.locator("textarea[name=body]").fill(EDITED)
    grace.get_by_role("button", name="Save draft").click()
    expect(grace.locator("[data-status]")).to_have_text(
        "Draft kept on this phone: it is saved when you are back online."
    )
    page.reload()
    expect(card(page, "Grace Hopper").locator("textarea[name=body]")).to_have_value(
        EDITED
    )
    context.set_offline(False)
    wait_until(
        lambda: followups(live_server)["Grace Hopper"][0][3] == EDITED,
        message="the draft on the server",
    )


def test_the_queue_is_kept_for_offline_with_the_owners_other_screens(page, context):
    # Never opened on this phone: the worker kept it with Home, Card and People.
    context.set_offline(True)
    page.goto("/queue")
    expect(page.locator("h1")).to_have_text("Queue")
    expect(page.locator("[data-empty]")).to_be_visible()
