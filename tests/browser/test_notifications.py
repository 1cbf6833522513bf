"""Settings → Notifications in a phone browser, and the service worker's push block."""

from __future__ import annotations

import json

from playwright.sync_api import expect


def registration_id(context, page) -> tuple:
    cdp = context.new_cdp_session(page)
    seen: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: seen.extend(r["registrationId"] for r in event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(150):  # CDP events arrive while Playwright waits
        if seen:
            return cdp, seen[0]
        page.wait_for_timeout(100)
    raise AssertionError("the service worker's registration never showed up")


def test_a_push_shows_the_nudge_with_the_queue_as_its_target(
    page, context, live_server
):
    context.grant_permissions(["notifications"])
    page.goto("/settings/notifications")
    expect(page.get_by_role("button", name="Notify me on this phone")).to_be_visible()
    cdp, registration = registration_id(context, page)
    nudge = {"title": "Morrow", "body": "6 follow-ups from PyData Berlin are ready",
             "url": "/queue", "tag": "morrow-nudge"}  # fmt: skip
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.url,
            "registrationId": registration,
            "data": json.dumps(nudge),
        },
    )
    shown = page.wait_for_function(
        """async () => {
          const registration = await navigator.serviceWorker.ready;
          const [n] = await registration.getNotifications();
          return n && {title: n.title, body: n.body, tag: n.tag, url: n.data.url};
        }""",
        timeout=15000,
    ).json_value()
    assert shown == {
        "title": "Morrow",
        "body": "6 follow-ups from PyData Berlin are ready",
        "tag": "morrow-nudge",
        "url": "/queue",
    }


def test_a_push_without_a_payload_still_shows_a_notification(
    page, context, live_server
):
    context.grant_permissions(["notifications"])
    page.goto("/settings/notifications")
    cdp, registration = registration_id(context, page)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live_server.url, "registrationId": registration, "data": ""},
    )
    body = page.wait_for_function(
        """async () => {
          const registration = await navigator.serviceWorker.ready;
          const [n] = await registration.getNotifications();
          return n && n.body;
        }""",
        timeout=15000,
    ).json_value()
    assert body == "Your follow-ups are ready."
