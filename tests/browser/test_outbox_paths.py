"""The outbox's one response policy, run by the page and by the service worker.

Each case runs twice on the same entries: once through the page's flush()
(static/js/outbox.js) and once through the service worker's `sync` event
(static/sw.js). Headless Chromium does not fire `sync` when Playwright takes the
context back online, so the worker's path is driven with the DevTools protocol's
ServiceWorker.dispatchSyncEvent: the real event, in the real worker, with the
tag the page registers ("outbox"). Entries are written to IndexedDB directly,
so only the path under test sends them.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from browserlib import save_capture, wait_until

CORE = "await import('/static/js/outbox-core.js'); const core = self.MorrowOutbox;"


class Path:
    """Hands the outbox to the page or to the worker, and reads what is left."""

    def __init__(self, page, context, via: str) -> None:
        self.page, self.via = page, via
        # The page's own flush on load is over before entries are stashed.
        page.evaluate("async () => (await import('/static/js/outbox.js')).flush()")
        if via == "worker":
            self.cdp = context.new_cdp_session(page)
            self.registrations: list[str] = []
            self.cdp.on(
                "ServiceWorker.workerRegistrationUpdated",
                lambda e: self.registrations.extend(
                    r["registrationId"]
                    for r in e["registrations"]
                    if not r["isDeleted"]
                ),
            )
            self.cdp.send("ServiceWorker.enable")
            for _ in range(50):  # events arrive while Playwright is called
                if self.registrations:
                    break
                page.wait_for_timeout(200)
            assert self.registrations, "no service worker registration"

    def stash(self, name: str) -> str:
        """Put a capture in the outbox without sending it."""
        entry_id = str(uuid.uuid4())
        self.page.evaluate(
            f"""async ([id, name]) => {{ {CORE}
              await core.putEntry({{id, payload: {{id, name, email: 'x@example.com'}},
                status: 'pending', account: document.body.dataset.account,
                createdAt: Date.now()}}); }}""",
            [entry_id, name],
        )
        return entry_id

    def stash_action(self, **action) -> str:
        """Put a queue action in the outbox without sending it."""
        entry_id = str(uuid.uuid4())
        self.page.evaluate(
            f"""async (entry) => {{ {CORE}
              await core.putEntry({{...entry, kind: 'followup-action', status: 'pending',
                account: document.body.dataset.account, createdAt: Date.now()}}); }}""",
            {"id": entry_id, **action},
        )
        return entry_id

    def flush(self) -> None:
        if self.via == "page":
            self.page.evaluate(
                "async () => (await import('/static/js/outbox.js')).flush()"
            )
        else:
            origin = self.page.evaluate("location.origin")
            self.cdp.send(
                "ServiceWorker.dispatchSyncEvent",
                {
                    "origin": origin,
                    "registrationId": self.registrations[-1],
                    "tag": "outbox",
                    "lastChance": False,
                },
            )

    def wait(self, predicate, message: str, timeout: float = 30.0) -> None:
        """wait_until, letting Playwright run the routes the worker's requests meet."""
        self.page.wait_for_timeout(100)
        wait_until(
            lambda: predicate() or self.page.wait_for_timeout(100), timeout, message
        )

    def entries(self) -> dict[str, dict]:
        rows = self.page.evaluate(f"async () => {{ {CORE} return core.allEntries(); }}")
        return {row["id"]: row for row in rows}

    def meta(self, key: str):
        return self.page.evaluate(
            f"async (key) => {{ {CORE} return core.getMeta(key); }}", key
        )


@pytest.fixture(params=["page", "worker"])
def path(request, page, context) -> Path:
    page.goto("/settings")  # any signed-in page: it stores the token for the worker
    return Path(page, context, request.param)


def arrived(live_server, entry_id: str) -> int:
    return sum(1 for i, _ in live_server.people() if i == entry_id)


def test_2xx_sends_the_entry_once_and_deletes_it(path, live_server, faults):
    first, second = path.stash("Ada One"), path.stash("Ada Two")
    path.flush()
    wait_until(lambda: path.entries() == {}, message="an empty outbox")
    assert arrived(live_server, first) == 1 and arrived(live_server, second) == 1
    assert faults.statuses() == [201, 201]


def test_a_refused_entry_is_set_aside_with_the_message_and_field_errors(
    path, live_server, faults
):
    faults.reject_names = {"Bounce Person"}
    refused, after = path.stash("Bounce Person"), path.stash("Fine Person")
    path.flush()
    wait_until(lambda: list(path.entries()) == [refused], message="set aside")
    entry = path.entries()[refused]
    assert entry["status"] == "failed"
    assert entry["error"] == "Bounce Person cannot be saved: the email bounces."
    assert entry["fields"] == {"email": "This address bounces."}
    assert arrived(live_server, after) == 1  # the flush went on past it
    path.flush()  # never sent again
    wait_until(lambda: len(faults.statuses()) == 2, message="two answers")
    assert faults.statuses(refused) == [422]


@pytest.mark.parametrize("failure", ["5xx", "network"])
def test_a_server_error_or_no_network_stops_the_flush_and_is_retried(
    path, context, live_server, faults, failure
):
    refused: list[str] = []
    if failure == "5xx":
        faults.fail_with = 503
    else:
        context.route(
            "**/api/v1/contacts/batch",
            lambda route: (refused.append(route.request.url), route.abort()),
        )
    # Captures go 50 to a batch: the 51st waits for a second one.
    stashed = [path.stash(f"Person {n:02}") for n in range(51)]
    first, last = stashed[0], stashed[-1]
    path.flush()
    path.wait(lambda: faults.statuses(first) or refused, "a first try that fails")
    # It stopped at the first batch: the next was not tried behind a failing server.
    assert faults.statuses(last) == []
    assert {e["status"] for e in path.entries().values()} == {"pending"}
    assert len(path.entries()) == 51 and live_server.people() == []

    faults.fail_with = None
    context.unroute("**/api/v1/contacts/batch")
    path.flush()
    wait_until(lambda: path.entries() == {}, message="an empty outbox")
    assert all(arrived(live_server, entry_id) == 1 for entry_id in stashed)


def test_401_stops_the_flush_and_marks_needs_login(path, context, live_server, faults):
    first, second = path.stash("Ada One"), path.stash("Ada Two")
    context.clear_cookies()
    path.flush()
    wait_until(lambda: path.meta("needsLogin") is True, message="needs login")
    # One batch carried both: it was answered 401 once and not tried again.
    assert faults.requests == [("/api/v1/contacts/batch", 401)]
    assert set(path.entries()) == {first, second}
    assert {e["status"] for e in path.entries().values()} == {"pending"}
    assert live_server.people() == []


def test_a_stale_csrf_token_is_renewed_once_and_the_entry_sent(
    path, live_server, faults
):
    path.page.evaluate(
        f"""async () => {{ {CORE}
          document.querySelector('meta[name=csrf-token]').content = 'stale';
          await core.putMeta('csrf', 'stale'); }}"""
    )
    entry_id = path.stash("Ada One")
    path.flush()
    wait_until(lambda: path.entries() == {}, message="an empty outbox")
    assert faults.statuses(entry_id) == [400, 201]
    assert arrived(live_server, entry_id) == 1
    assert path.meta("csrf") not in (None, "stale")


def test_a_queue_action_half_done_elsewhere_is_finished_and_dropped(
    path, live_server, faults
):
    from app.extensions import db
    from app.followups import mark_done
    from app.models import FollowUp, User

    person = {"name": "Grace", "email": "g@example.com", "promise": "the notes"}
    assert save_capture(path.page, person)["queued"] is False
    with live_server.app.app_context():
        rows = db.session.execute(db.select(FollowUp).order_by(FollowUp.kind)).scalars()
        promise, thanks = rows.all()
        ids = promise.id, thanks.id
        # The thank-you was marked sent on the laptop meanwhile.
        mark_done(db.session.get(User, thanks.user_id), thanks, dt.datetime.now(dt.UTC))
        db.session.commit()  # services only flush: the request (here, we) commits
        db.session.remove()
    path.stash_action(followup_id=ids[0], action="done", also=[ids[1]], label="Sent")
    path.flush()
    path.wait(lambda: path.entries() == {}, "an empty outbox")
    assert [(m, s) for m, _, s in faults.followup_answers] == [
        ("POST", 200),
        ("POST", 409),
    ]
    with live_server.app.app_context():
        statuses = db.session.execute(db.select(FollowUp.status)).scalars().all()
        db.session.remove()
    assert statuses == ["done", "done"]
