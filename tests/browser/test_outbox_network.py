"""The outbox on a bad conference network: batches hand over what was kept offline."""

from __future__ import annotations

import time
import uuid
from collections import Counter

from browserlib import outbox, wait_until

BATCH = "/api/v1/contacts/batch"
# A crowded conference network, as Chromium emulates it (bytes per second).
CONFERENCE = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
OFFLINE = {
    "offline": True,
    "latency": 0,
    "downloadThroughput": -1,
    "uploadThroughput": -1,
}


def captures(count: int) -> list[dict]:
    return [
        {
            "id": str(uuid.uuid4()),
            "name": f"Person {n:02}",
            "email": f"person{n}@example.com",
            "company": "Some Company",
            "talked_about": "their work on offline-first apps and the booth demo",
            "promise": "send the slides",
            "tags": ["conference"],
        }
        for n in range(count)
    ]


def save_offline(page, people: list[dict]) -> None:
    page.evaluate(
        """async (people) => {
          const outbox = await import('/static/js/outbox.js');
          for (const person of people) await outbox.saveCapture(person);
        }""",
        people,
    )
    assert outbox(page, "pendingCount()") == len(people)


def test_fifty_offline_captures_arrive_within_5_s_over_400_ms(
    page, context, live_server, faults
):
    # Chromium emulates the network for the page only: without a service worker
    # (which would send in the background, unthrottled), the page's outbox
    # sends everything, over the emulated network.
    context.route("**/sw.js", lambda route: route.abort())
    page.evaluate(
        """async () => {
          for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
        }"""
    )
    page.goto("/capture")
    assert page.evaluate("navigator.serviceWorker.controller") is None
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", OFFLINE)
    people = captures(50)
    save_offline(page, people)
    assert live_server.people() == []

    started = time.perf_counter()
    cdp.send("Network.emulateNetworkConditions", CONFERENCE)
    wait_until(lambda: len(live_server.people()) == 50, 30, "all 50 on the server")
    elapsed = time.perf_counter() - started
    wait_until(lambda: outbox(page, "pendingCount()") == 0, message="an empty outbox")
    emptied = time.perf_counter() - started
    print(
        f"\n50 offline captures over 400 ms, 1.6/0.75 Mbit/s: on the server in "
        f"{elapsed:.2f} s, outbox empty in {emptied:.2f} s, "
        f"{len(faults.requests)} capture request(s)"
    )
    assert Counter(i for i, _ in live_server.people()) == Counter(
        p["id"] for p in people
    )
    assert elapsed <= 5.0


def test_a_batch_answer_cut_off_after_the_server_saved_it_doubles_nothing(
    page, context, live_server, faults
):
    page.goto("/capture")
    context.set_offline(True)
    people = captures(5)
    save_offline(page, people)
    cut: list[int] = []

    def cut_the_first_answer(route):
        if cut:
            return route.continue_()
        response = route.fetch()  # the server saves the batch and answers...
        cut.append(response.status)
        route.abort("connectionreset")  # ...and the phone never hears it

    context.route(f"**{BATCH}", cut_the_first_answer)
    context.set_offline(False)
    page.evaluate("async () => (await import('/static/js/outbox.js')).flush()")
    wait_until(lambda: outbox(page, "pendingCount()") == 0, message="an empty outbox")
    assert cut == [200]
    assert [status for _, status in faults.requests] == [200, 200]
    # The first answer made them, the replay found them stored.
    assert sorted(faults.answers, key=lambda a: a[1]) == sorted(
        [(p["id"], 201) for p in people] + [(p["id"], 200) for p in people],
        key=lambda a: a[1],
    )
    assert Counter(i for i, _ in live_server.people()) == Counter(
        p["id"] for p in people
    )
