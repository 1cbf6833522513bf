"""The capture outbox: a capture the screen shows as saved is never lost or doubled."""

from __future__ import annotations

import time
import uuid
from collections import Counter

import pytest
from browserlib import PASSWORD, log_in, log_out, outbox, save_capture, wait_until
from playwright.sync_api import expect


@pytest.fixture
def second_owner(live_server) -> str:
    """A second account, for a phone two people use."""
    from app.auth import create_user
    from app.extensions import db

    with live_server.app.app_context():
        create_user("second@example.com", PASSWORD, "Europe/Berlin")
        db.session.commit()
        db.session.remove()
    return "second@example.com"


def keep_one_for_the_second_owner(tab, faults) -> dict:
    """Log in as the second owner and capture one person who can't be sent yet."""
    log_in(tab, "second@example.com")
    tab.goto("/capture")
    faults.fail_with = 500
    mine = captures(1, prefix="Second's")[0]
    save_capture(tab, mine)
    return mine


def discard_kept(page, *, accept: bool):
    """Tap "Discard them" on People and answer the confirmation."""
    kept = page.locator("[data-outbox-list] li.others")
    page.once("dialog", lambda d: d.accept() if accept else d.dismiss())
    kept.get_by_role("button", name="Discard them").click()
    return kept


def captures(count: int, prefix: str = "Person") -> list[dict]:
    return [
        {
            "id": str(uuid.uuid4()),
            "name": f"{prefix} {n:02}",
            "email": f"p{n}@example.com",
        }
        for n in range(count)
    ]


def assert_each_once(live_server, sent: list[dict]) -> None:
    people = live_server.people()
    assert Counter(i for i, _ in people) == Counter(c["id"] for c in sent)


def test_twenty_offline_captures_survive_a_reload_and_arrive_exactly_once(
    page, context, live_server
):
    context.set_offline(True)
    page.goto("/capture")
    sent = captures(20)
    for capture in sent:
        assert save_capture(page, capture)["queued"] is True
    expect(page.locator("[data-sync-status]")).to_have_text(
        "Offline · 20 waiting to sync"
    )

    page.reload()
    assert outbox(page, "pendingCount()") == 20
    page.goto("/")
    expect(page.locator("[data-outbox-count]")).to_have_text("20 waiting to sync")
    page.goto("/people")
    unsynced = page.locator("[data-outbox-list] li", has_text="not yet synced")
    unsynced.nth(19).wait_for()
    assert unsynced.count() == 20
    assert live_server.people() == []

    context.set_offline(False)
    wait_until(
        lambda: len(live_server.people()) == 20, message="20 people on the server"
    )
    assert_each_once(live_server, sent)
    wait_until(lambda: outbox(page, "pendingCount()") == 0, message="an empty outbox")
    page.locator("[data-sync-status]").wait_for(state="hidden")


def test_a_server_failing_for_a_while_loses_nothing_and_doubles_nothing(
    page, live_server, faults
):
    faults.fail_with = 500
    page.goto("/capture")
    sent = captures(5)
    for capture in sent:
        assert save_capture(page, capture)["queued"] is True
    first = sent[0]["id"]
    # It backs off and tries again, starting with the oldest capture.
    wait_until(lambda: faults.statuses(first).count(500) >= 2, message="a retry")
    assert live_server.people() == []
    assert outbox(page, "pendingCount()") == 5

    faults.fail_with = None
    wait_until(lambda: len(live_server.people()) == 5, timeout=20, message="recovery")
    assert_each_once(live_server, sent)
    wait_until(lambda: outbox(page, "pendingCount()") == 0, message="an empty outbox")


def test_a_refused_capture_is_shown_with_the_server_message_and_not_retried(
    page, live_server, faults
):
    faults.reject_names = {"Bounce Person"}
    page.goto("/people")
    rejected = {
        "id": str(uuid.uuid4()),
        "name": "Bounce Person",
        "email": "b@example.com",
    }
    result = save_capture(page, rejected)
    assert result["failed"] is True
    assert result["error"] == "Bounce Person cannot be saved: the email bounces."

    item = page.locator("[data-outbox-list] li.failed")
    assert "the email bounces" in item.locator("[role=alert]").inner_text()
    assert "1 not saved" in page.locator("[data-sync-status]").inner_text()
    for _ in range(3):
        page.evaluate("window.dispatchEvent(new Event('online'))")
        outbox(page, "flush()")
    time.sleep(1.5)  # longer than the first back-off step
    assert faults.statuses(rejected["id"]) == [422]

    # The owner corrects it and sends it again.
    item.get_by_label("Name").fill("Grace Hopper")
    item.get_by_role("button", name="Send again").click()
    wait_until(lambda: live_server.people() == [(rejected["id"], "Grace Hopper")])
    page.locator("[data-outbox-list] li").first.wait_for(state="detached")


def test_two_tabs_flushing_at_once_send_each_capture_once(
    page, context, live_server, faults
):
    context.set_offline(True)
    page.goto("/capture")
    sent = captures(20)
    for capture in sent:
        save_capture(page, capture)
    other = context.new_page()
    other.goto("/capture")
    assert outbox(other, "pendingCount()") == 20

    context.set_offline(False)  # both tabs hear "online" and flush
    for tab in (page, other):
        tab.evaluate("() => { import('/static/js/outbox.js').then(m => m.flush()); }")
    wait_until(lambda: len(live_server.people()) == 20, message="20 people")
    assert_each_once(live_server, sent)
    # Not one capture was sent twice: no replay answered 200.
    assert sorted(faults.statuses()) == [201] * 20


def test_a_shared_phone_sends_each_capture_only_under_the_account_that_made_it(
    page, live_server, faults, second_owner
):
    from app.extensions import db
    from app.models import Contact, User

    faults.fail_with = 500  # the owner's captures can't be sent before they leave
    page.goto("/capture")
    sent = captures(2, prefix="Owner's")
    for capture in sent:
        assert save_capture(page, capture)["queued"] is True
    log_out(page)

    faults.fail_with = None
    log_in(page, "second@example.com")
    page.goto("/people")
    expect(page.locator("[data-sync-status]")).to_have_text(
        "2 kept for another account"
    )
    assert outbox(page, "pendingCount()") == 0
    kept = page.locator("[data-outbox-list] li")
    expect(kept).to_have_count(1)
    expect(kept).to_contain_text("2 captures kept on this phone for another account")
    assert "Owner's" not in kept.inner_text()  # no names shown
    outbox(page, "flush()")
    # Even a stale page or the service worker naming the owner gets a refusal.
    answer = page.evaluate(
        """async (id) => (await fetch('/api/v1/contacts', {method: 'POST',
             headers: {'Content-Type': 'application/json', 'X-Morrow-Account': '1.0',
                       'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content},
             body: JSON.stringify({id, name: 'Stray'})})).status""",
        str(uuid.uuid4()),
    )
    assert answer == 409
    assert live_server.people() == []

    log_out(page)
    log_in(page)
    wait_until(lambda: len(live_server.people()) == 2, message="the owner's captures")
    assert_each_once(live_server, sent)
    with live_server.app.app_context():
        owners = db.session.execute(
            db.select(User.email).join(Contact, Contact.user_id == User.id)
        ).scalars()
        assert set(owners) == {"owner@example.com"}
        db.session.remove()


def test_deleting_an_account_drops_what_this_phone_kept_for_it(page, faults):
    faults.fail_with = 500  # nothing gets through before the account goes
    page.goto("/capture")
    for capture in captures(2, prefix="Deleted's"):
        save_capture(page, capture)
    # One kept for someone else who used this phone.
    page.evaluate("document.body.dataset.account = 'someone-else'")
    save_capture(page, captures(1, prefix="Other's")[0])
    page.goto("/settings/delete")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Delete my account for good").click()
    page.wait_for_url(lambda url: "/login" in url or "/setup" in url)
    wait_until(
        lambda: (
            page.evaluate(
                """() => new Promise((resolve) => {
                 const open = indexedDB.open('morrow', 1);
                 open.onsuccess = () => {
                   const all = open.result.transaction('outbox').objectStore('outbox').getAll();
                   all.onsuccess = () => resolve(all.result.map((e) => e.payload.name));
                 };
               })"""
            )
            == ["Other's 00"]
        ),
        message="only the other account's capture left",
    )


def test_another_accounts_captures_can_be_discarded_from_a_shared_phone(
    page, live_server, faults, second_owner
):
    faults.fail_with = 500
    page.goto("/capture")
    for capture in captures(2, prefix="Owner's"):
        save_capture(page, capture)
    log_out(page)
    faults.fail_with = None

    mine = keep_one_for_the_second_owner(page, faults)  # it waits too
    page.goto("/people")
    discard_kept(page, accept=False)
    expect(page.locator("[data-sync-status]")).to_contain_text(
        "2 kept for another account"
    )
    expect(discard_kept(page, accept=True)).to_have_count(0)
    expect(page.locator("[data-sync-status]")).to_have_text("1 waiting to sync")
    # The second owner's own capture stays, and still arrives.
    faults.fail_with = None
    outbox(page, "flush()")
    wait_until(lambda: [name for _, name in live_server.people()] == [mine["name"]])

    log_out(page)
    log_in(page)
    page.goto("/people")
    page.wait_for_timeout(1000)
    assert outbox(page, "pendingCount()") == 0
    assert [name for _, name in live_server.people()] == [mine["name"]]


def test_a_page_left_open_from_before_a_login_cant_discard_the_new_owners_captures(
    page, context, live_server, faults, second_owner
):
    page.goto("/people")  # the first owner's tab, left open
    other = context.new_page()
    log_out(other)
    keep_one_for_the_second_owner(other, faults)

    page.evaluate("window.dispatchEvent(new Event('outbox-change'))")
    kept = discard_kept(page, accept=True)
    expect(kept.get_by_role("alert")).to_have_text(
        "This page is out of date: reload it first."
    )
    assert outbox(other, "pendingCount()") == 1


def test_a_capture_saved_while_a_flush_is_sending_goes_right_after_it(
    page, live_server, faults
):
    faults.delay = 1.0  # a slow conference network: the first is still on its way
    page.goto("/capture")
    first, second = captures(2)
    result = page.evaluate(
        """async ([first, second]) => {
          const outbox = await import('/static/js/outbox.js');
          const sending = outbox.saveCapture(first);
          await new Promise((resolve) => setTimeout(resolve, 300));
          const result = await outbox.saveCapture(second);
          await sending;
          return result;
        }""",
        [first, second],
    )
    assert result["queued"] is False  # sent within the wait, not at the next retry
    assert_each_once(live_server, [first, second])
