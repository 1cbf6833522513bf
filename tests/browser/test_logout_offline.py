"""After a logout, or a session ended elsewhere, the phone shows nothing private offline."""

from __future__ import annotations

from browserlib import log_out, outbox, save_capture, wait_until
from playwright.sync_api import expect

PRIVATE = ("Grace Hopper", "Linus Unsynced", "Ada Lovelace", "Analyst of engines")


def meta(page, key: str):
    """A record of the outbox's meta store (None when absent)."""
    return page.evaluate(
        """(key) => new Promise((resolve, reject) => {
          const open = indexedDB.open('morrow', 1);
          open.onsuccess = () => {
            const request = open.result.transaction('meta').objectStore('meta').get(key);
            request.onsuccess = () => resolve(request.result ? request.result.value : null);
            request.onerror = () => reject(request.error);
          };
          open.onerror = () => reject(open.error);
        })""",
        key,
    )


def pages_cached(page) -> bool:
    return page.evaluate(
        "() => caches.keys().then(k => k.some(n => n.startsWith('morrow-pages-')))"
    )


def assert_nothing_private_offline(page, context) -> None:
    context.set_offline(True)
    for path in ("/", "/people", "/card", "/capture"):
        page.goto(path)
        html = page.content()
        for private in PRIVATE:
            assert private not in html, (path, private)
        # Served to nobody in particular: no account, no tab bar.
        assert page.evaluate("document.body.dataset.account") is None, path
        assert page.locator("nav.tabbar").count() == 0, path
        expect(page.locator("h1")).to_have_text("You are offline")


def visit_private_pages(page, live_server) -> None:
    """Grace is on the server; People, Home and Card are cached for offline."""
    assert save_capture(page, {"name": "Grace Hopper", "email": "grace@example.com"})
    wait_until(lambda: any(n == "Grace Hopper" for _, n in live_server.people()))
    for path in ("/people", "/", "/card"):
        page.goto(path)
    expect(page.locator("body")).to_have_attribute(
        "data-account", meta(page, "account")
    )
    assert "Grace Hopper" in page.goto("/people").text()
    assert pages_cached(page)


def test_after_logout_offline_pages_show_nothing_private(page, context, live_server):
    visit_private_pages(page, live_server)
    # A capture that never reached the server stays for its owner.
    context.set_offline(True)
    kept = save_capture(page, {"name": "Linus Unsynced"})
    assert kept["queued"]
    context.route("**/api/v1/contacts/batch", lambda route: route.abort())
    context.set_offline(False)
    log_out(page)
    context.unroute("**/api/v1/contacts/batch")

    assert not pages_cached(page)
    assert meta(page, "account") is None and meta(page, "csrf") is None
    assert_nothing_private_offline(page, context)
    assert outbox(page, "otherAccountsCount()") == 1  # Linus waits for his owner


def test_a_session_ended_while_offline_is_cleared_on_the_next_online_load(
    page, context, live_server
):
    visit_private_pages(page, live_server)
    context.set_offline(True)
    page.goto("/people")  # from the cache
    assert "Grace Hopper" in page.content()
    # Meanwhile the session ended elsewhere (password changed, logged out).
    context.clear_cookies()
    context.set_offline(False)
    page.goto("/people")
    page.wait_for_url("**/login**")
    wait_until(lambda: not pages_cached(page), 10, "the cached pages to go")
    wait_until(lambda: meta(page, "account") is None, 10, "the outbox to forget")
    assert meta(page, "csrf") is None
    assert_nothing_private_offline(page, context)


def test_the_worker_clears_the_cached_pages_when_a_private_fetch_meets_the_login(
    page, context, live_server
):
    visit_private_pages(page, live_server)
    context.clear_cookies()
    assert pages_cached(page)
    # The Card page's QR code is fetched again, with no navigation to /login.
    page.evaluate("fetch('/card/qr.svg?mode=vcard').then(r => r.status)")
    wait_until(lambda: not pages_cached(page), 10, "the cached pages to go")
    assert_nothing_private_offline(page, context)
