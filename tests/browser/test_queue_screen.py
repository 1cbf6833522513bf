"""The Queue screen with its script, on a phone."""

from __future__ import annotations

import datetime as dt
import uuid

from browserlib import outbox, save_capture, wait_until

from app.drafts import mailto_link, sms_link, whatsapp_link

SUBJECT = "The deck (and notes)"
BODY = "Hi Grace,\nhere's the deck & my notes: 100% yours!\n\nAda"


def met_two_days_ago(page, **fields) -> dict:
    """Capture Grace as met two days ago: her follow-ups are due now."""
    met = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    person = {
        "id": str(uuid.uuid4()),
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "met_at": met.isoformat(),
        **fields,
    }
    assert save_capture(page, person)["queued"] is False
    return person


def test_an_edited_draft_is_what_each_channel_sends_and_is_kept(page, live_server):
    person = met_two_days_ago(page, phone="+49301234567")
    page.goto("/queue")
    item = page.locator("[data-followup]").first
    item.locator("input[name=subject]").fill(SUBJECT)
    item.locator("textarea[name=body]").fill(BODY)

    # No "Save draft": the links already carry the edit, encoded as the server does.
    def href(channel: str) -> str:
        return item.locator(f"[data-channel={channel}]").get_attribute("href")

    assert href("email") == mailto_link(person["email"], SUBJECT, BODY)
    assert href("sms") == sms_link(person["phone"], BODY)
    assert href("whatsapp") == whatsapp_link(person["phone"], BODY)

    # Opening the app keeps the edit as the follow-up's draft.
    page.evaluate(
        "document.querySelectorAll('[data-channel]')"
        ".forEach((a) => a.addEventListener('click', (e) => e.preventDefault()))"
    )
    item.locator("[data-channel=email]").click()

    def kept() -> dict:
        from app.extensions import db
        from app.models import FollowUp

        with live_server.app.app_context():
            followup = db.session.execute(db.select(FollowUp)).scalars().first()
            draft = {"subject": followup.subject, "body": followup.body}
            db.session.remove()
        return draft

    wait_until(lambda: kept() == {"subject": SUBJECT, "body": BODY}, message="kept")


def test_sent_on_a_promise_that_also_thanks_marks_both(page, live_server):
    met_two_days_ago(page, promise="the COBOL notes")
    page.goto("/queue")
    assert page.locator("[data-followup]").count() == 1
    page.locator("[data-followup] [data-sent]").click()
    page.locator("[data-followup]").wait_for(state="detached")
    # One card, one message: the progress line counts it once.
    assert page.text_content("[data-progress] strong") == "1 of 1 done"

    from app.extensions import db
    from app.models import FollowUp

    with live_server.app.app_context():
        kinds = db.session.execute(db.select(FollowUp.kind, FollowUp.status)).all()
        db.session.remove()
    assert sorted(kinds) == [("promise", "done"), ("thank_you", "done")]


def test_a_merged_message_half_sent_is_finished_by_the_outbox(
    page, live_server, faults
):
    met_two_days_ago(page, promise="the COBOL notes")
    page.goto("/queue")
    card = page.locator("[data-followup]")
    also = card.get_attribute("data-also")
    # The thank-you's request is lost on the way, once.
    lost: list[str] = []

    def lose_once(route):
        if lost:
            return route.continue_()
        lost.append(route.request.url)
        return route.abort()

    page.route(f"**{also}/done", lose_once)
    card.locator("[data-sent]").click()
    card.wait_for(state="detached")  # it left at once; the outbox finishes
    assert page.text_content("[data-progress] strong") == "1 of 1 done"
    wait_until(lambda: outbox(page, "pendingCount()") == 0, message="an empty outbox")
    assert lost
    # The promise's second try met 409 (already done) and counted as done.
    statuses = sorted(s for _, _, s in faults.followup_answers)
    assert statuses == [200, 200, 409]

    from app.extensions import db
    from app.models import FollowUp

    with live_server.app.app_context():
        kinds = db.session.execute(db.select(FollowUp.kind, FollowUp.status)).all()
        db.session.remove()
    assert sorted(kinds) == [("promise", "done"), ("thank_you", "done")]
