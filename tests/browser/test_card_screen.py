"""The card in a crowd: full screen from Home, Share, NFC, and Morrow to Morrow."""

from __future__ import annotations

import os
import time
import urllib.request
from pathlib import Path

import pytest
from browserlib import PASSWORD, log_in, new_context, run_axe
from conftest import make_app, serve

SCREENSHOTS = os.environ.get("MORROW_SCREENSHOTS")  # a folder to keep them in


def full_card_geometry(page) -> dict:
    return page.evaluate(
        """() => {
          const dialog = document.querySelector('[data-card-full]');
          const img = dialog.querySelector('img');
          const name = dialog.querySelector('.qr-full-name');
          const box = (el) => el.getBoundingClientRect().toJSON();
          return {open: dialog.open, img: box(img), name: box(name),
                  loaded: img.complete && img.naturalWidth > 0, src: img.src,
                  viewport: innerWidth, path: location.pathname,
                  background: getComputedStyle(dialog).backgroundColor,
                  nameText: name.textContent};
        }"""
    )


def wait_for_image(page) -> None:
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-card-full] img');"
        " return i.complete && i.naturalWidth > 0; }"
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_show_my_card_from_home_fills_the_width_in_one_tap(
    browser, phone, live_server, scheme, tmp_path
):
    context = new_context(browser, phone, live_server, color_scheme=scheme)
    try:
        page = context.new_page()
        log_in(page)
        page.goto("/")
        page.tap("text=Show my card")  # the one tap
        wait_for_image(page)
        shown = full_card_geometry(page)
        assert shown["open"] and shown["path"] == "/"
        assert shown["img"]["width"] >= shown["viewport"] - 1  # edge to edge
        assert shown["name"]["top"] >= shown["img"]["bottom"]  # the name under it
        assert shown["nameText"] == "Ada Lovelace"
        assert shown["background"] == "rgb(255, 255, 255)"  # dark mode too
        folder = Path(SCREENSHOTS or tmp_path)
        page.screenshot(path=str(folder / f"card-full-{scheme}.png"))
        assert run_axe(page) == []

        # One tap switches Link / Offline, and the image follows.
        before = shown["src"]
        other = "url" if before.endswith("mode=vcard") else "vcard"
        page.tap(f"[data-card-mode={other}]")
        wait_for_image(page)
        after = full_card_geometry(page)
        assert after["open"] and after["src"].endswith(f"mode={other}")
        pressed = page.get_attribute(f"[data-card-mode={other}]", "aria-pressed")
        assert pressed == "true"

        # A tap on the code closes it; so does Back, without leaving Home.
        page.tap("[data-card-full] img")
        page.wait_for_function("() => !document.querySelector('[data-card-full]').open")
        page.tap("text=Show my card")
        page.wait_for_function("() => document.querySelector('[data-card-full]').open")
        page.go_back()
        page.wait_for_function("() => !document.querySelector('[data-card-full]').open")
        assert page.evaluate("location.pathname") == "/"
    finally:
        context.close()


def test_full_screen_card_opens_offline(page, context):
    context.set_offline(True)
    page.goto("/")
    page.tap("text=Show my card")
    wait_for_image(page)
    page.tap("[data-card-mode=url]")
    wait_for_image(page)
    assert full_card_geometry(page)["src"].endswith("mode=url")
    context.set_offline(False)


def test_share_copies_the_link_where_there_is_no_share_sheet(page, live_server):
    page.add_init_script(
        """delete Navigator.prototype.share;
        window.copied = [];
        Object.defineProperty(navigator, 'clipboard', {value: {
          writeText: async (text) => { window.copied.push(text); }}});"""
    )
    page.goto("/card")
    page.tap("text=Share")
    page.wait_for_selector("text=Link copied")
    slug = live_server.app.config["TEST_SLUG"]
    assert page.evaluate("window.copied") == [f"{live_server.url}/c/{slug}"]


def test_share_uses_the_share_sheet_where_there_is_one(page, live_server):
    page.add_init_script(
        """window.shared = [];
        navigator.share = async (data) => { window.shared.push(data); };"""
    )
    page.goto("/card")
    page.tap("text=Share")
    page.wait_for_function("() => window.shared.length === 1")
    slug = live_server.app.config["TEST_SLUG"]
    assert page.evaluate("window.shared") == [
        {
            "title": "Ada Lovelace",
            "text": "Ada Lovelace",
            "url": f"{live_server.url}/c/{slug}",
        }
    ]


def test_nfc_button_is_hidden_without_web_nfc(page):
    page.goto("/card")
    assert page.evaluate("'NDEFReader' in window") is False
    assert page.is_hidden("[data-nfc]")


def test_nfc_button_writes_the_public_url_to_a_tag(page, live_server):
    page.add_init_script(
        """window.written = [];
        window.NDEFReader = class { async write(message) { window.written.push(message); } };"""
    )
    page.goto("/card")
    page.tap("text=Write my card to an NFC tag")
    page.wait_for_selector("text=Written")
    slug = live_server.app.config["TEST_SLUG"]
    url = f"{live_server.url}/c/{slug}"
    assert page.evaluate("window.written") == [
        {"records": [{"recordType": "url", "data": url}]}
    ]


def test_enter_in_the_name_moves_on_and_saves_nothing(page, live_server):
    page.goto("/capture")
    page.keyboard.type("Grace Hopper")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "f-reach"
    time.sleep(0.5)  # a save would be under way by now
    assert page.url.endswith("/capture")
    assert live_server.people() == []
    assert page.input_value("#f-name") == "Grace Hopper"


@pytest.fixture
def other_morrow(tmp_path):
    """A second Morrow server: Bob's, on another loopback port."""
    from app.auth import create_user
    from app.cards import update_card
    from app.extensions import db

    app = make_app(tmp_path / "other.sqlite3")
    with app.app_context():
        user = create_user("bob@example.com", PASSWORD, "Europe/Paris")
        with app.test_request_context("/", base_url="https://bob.example"):
            update_card(
                user,
                {
                    "first_name": "Bob",
                    "last_name": "Builder",
                    "headline": "Bridge engineer",
                    "email": "bob@example.com",
                    "phone": "+33 1 23 45 67 89",
                    "slug": "bob",
                    "public_fields": ["first_name", "last_name", "headline", "email"],
                },
            )
        db.session.commit()  # services only flush: whoever calls them commits
        db.session.remove()
    yield from serve(app)


def scan(page, text: str) -> None:
    """Hand the capture form a decoded QR text, as the camera would."""
    page.evaluate(
        """async (text) => {
          const scan = await import('/static/js/scan.js');
          await scan.fillFrom(document.querySelector('[data-capture]'), text);
        }""",
        text,
    )


def test_scanning_another_morrow_link_fills_in_their_card(page, other_morrow):
    fetched = []

    def from_bobs_server(route) -> None:
        # https://bob.example is Bob's Morrow, served here on another port.
        path = route.request.url.removeprefix("https://bob.example")
        with urllib.request.urlopen(other_morrow.url + path) as answer:
            fetched.append(path)
            route.fulfill(
                status=answer.status, headers=dict(answer.headers), body=answer.read()
            )

    page.context.route("https://bob.example/**", from_bobs_server)
    page.goto("/capture")
    scan(page, "https://bob.example/c/bob")

    assert fetched == ["/c/bob.vcf"]
    assert page.input_value("#f-name") == "Bob Builder"
    assert page.input_value("#f-reach") == "bob@example.com"
    assert page.input_value("#f-title") == "Bridge engineer"
    assert page.input_value("[name=source]") == "scan"


def test_scanning_a_morrow_link_offline_keeps_the_link(page, context):
    page.goto("/capture")
    context.set_offline(True)
    scan(page, "https://bob.example/c/bob")
    context.set_offline(False)

    assert page.input_value("#f-name") == ""
    assert page.input_value("#f-reach") == "https://bob.example/c/bob"


def test_full_screen_card_keeps_the_screen_on_until_closed(page):
    page.add_init_script(
        """window.locks = [];
        Object.defineProperty(navigator, 'wakeLock', {value: {request: async (type) => {
          const lock = new EventTarget();
          lock.type = type;
          lock.released = false;
          lock.release = async () => {
            lock.released = true;
            lock.dispatchEvent(new Event('release'));
          };
          window.locks.push(lock);
          return lock;
        }}});"""
    )
    page.goto("/")
    page.tap("text=Show my card")
    page.wait_for_function("() => window.locks.length === 1")
    assert page.evaluate("document.fullscreenElement === document.documentElement")
    # The system lets go when the page is hidden; coming back takes it again.
    page.evaluate("window.locks[0].release()")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_function("() => window.locks.length === 2")
    assert page.evaluate("window.locks.map((l) => l.type)") == ["screen", "screen"]
    page.tap("[data-card-full] img")
    page.wait_for_function("() => window.locks[1].released")
    page.wait_for_function("() => document.fullscreenElement === null")
