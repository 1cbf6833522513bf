"""The app shell: installable, controlled by the service worker, usable offline."""

from __future__ import annotations

from browserlib import CHROMIUM, log_in, new_context, wait_for_control
from playwright.sync_api import expect


def test_service_worker_registers_and_controls_the_page(page):
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == page.url.split("/", 3)[0] + "//" + page.url.split("/")[2] + "/"
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL").endswith(
        "/sw.js"
    )
    caches = page.evaluate("caches.keys()")
    assert any(k.startswith("morrow-static-") for k in caches)
    assert any(k.startswith("morrow-pages-") for k in caches)


def test_manifest_has_no_installability_errors(
    playwright_instance, phone, live_server, tmp_path
):
    # Chromium answers "in-incognito" for throwaway contexts: use a real profile.
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=["--disable-gpu", "--disable-quic"],
        base_url=live_server.url,
        **{k: v for k, v in phone.items() if k != "default_browser_type"},
    )
    try:
        page = context.new_page()
        log_in(page)
        page.goto("/")
        wait_for_control(page)
        session = context.new_cdp_session(page)
        assert (
            session.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        )
        manifest = session.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert manifest["url"].endswith("/manifest.webmanifest")
    finally:
        context.close()


def test_home_card_and_capture_load_in_airplane_mode_after_one_visit(page, context):
    context.set_offline(True)
    page.goto("/")
    assert page.locator(".big-button", has_text="Show my card").is_visible()
    page.goto("/card")
    qr = page.locator(".qr img")
    assert qr.is_visible()
    assert page.evaluate("document.querySelector('.qr img').naturalWidth") > 0
    page.goto("/card?mode=url")
    assert page.evaluate(
        "img => img.complete && img.naturalWidth > 0",
        page.locator(".qr img").element_handle(),
    )
    page.goto("/capture")
    assert page.locator("input[name=name]").is_visible()
    expect(page.locator("[data-sync-status]")).to_have_text("Offline")


def test_a_screen_never_opened_says_plainly_it_cannot_work_offline(page, context):
    context.set_offline(True)
    page.goto("/settings/tokens")
    assert page.locator("h1").inner_text() == "You are offline"
    assert "can’t work offline" in page.content()


def test_a_new_static_file_version_installs_a_new_worker_and_drops_old_caches(
    page, live_server
):
    old = page.evaluate("caches.keys()")
    live_server.app.extensions["morrow_shell_version"] = "newversion01"
    page.evaluate("navigator.serviceWorker.ready.then(r => r.update())")
    page.wait_for_selector(".pwa-banner", timeout=15000)
    assert "Update available" in page.locator(".pwa-banner").inner_text()
    with page.expect_navigation():
        page.click(".pwa-banner button")
    page.wait_for_function(
        "() => caches.keys().then(k => k.includes('morrow-static-newversion01') "
        "&& !k.some(n => n.startsWith('morrow-static-') && !n.endsWith('newversion01')))"
    )
    assert set(old).isdisjoint(page.evaluate("caches.keys()"))


def test_logging_out_clears_the_cached_pages(page, context):
    page.goto("/settings")
    page.locator(
        "form[action='/logout'] button, form[action$='logout'] button"
    ).first.click()
    page.wait_for_url("**/login")
    context.set_offline(True)
    page.goto("/card")
    assert page.locator("h1").inner_text() == "You are offline"


def test_the_public_card_registers_no_worker_for_visitors(context, live_server):
    page = context.new_page()
    page.goto(f"/c/{live_server.app.config['TEST_SLUG']}")
    page.wait_for_load_state("networkidle")
    assert (
        page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)")
        == 0
    )


def test_a_session_ended_elsewhere_clears_the_cached_pages(page, context):
    page.goto("/people")
    # The session ends without this phone logging out (password changed on
    # another device, account deleted): the next page is the login page.
    context.clear_cookies()
    page.goto("/card")
    page.wait_for_url(lambda url: "/login" in url)
    page.wait_for_function(
        "() => caches.keys().then(k => !k.some(n => n.startsWith('morrow-pages-')))"
    )
    context.set_offline(True)
    page.goto("/people")
    expect(page.locator("h1")).to_have_text("You are offline")


def test_setup_offers_the_devices_time_zone_over_the_instances_default(
    browser, phone, empty_server
):
    empty_server.app.config["DEFAULT_TIMEZONE"] = "Europe/Lisbon"
    context = new_context(browser, phone, empty_server, timezone_id="America/Chicago")
    try:
        page = context.new_page()
        page.goto("/setup")
        expect(page.locator("input[name=timezone]")).to_have_value("America/Chicago")
    finally:
        context.close()


def test_the_calendar_link_is_copied_with_one_tap(page, context):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/settings/feed")
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Link copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.input_value("#feed-url") and copied.endswith(".ics")
