"""The Capture and People screens with their scripts, on a phone."""

from __future__ import annotations

from browserlib import log_in, new_context, wait_until


def test_capture_recognises_reach_and_saves_with_two_taps(page, live_server):
    page.goto("/capture")
    assert page.evaluate("document.activeElement.name") == "name"
    page.keyboard.type("Grace Hopper")
    page.tap("#f-reach")  # tap 1
    page.keyboard.type("030 1234567")
    assert "phone" in page.text_content("[data-reach-kind]")
    page.tap("button[value=save]")  # tap 2
    page.wait_for_url("**/people/*")
    assert "Grace Hopper" in page.text_content("h1")
    assert [name for _, name in live_server.people()] == ["Grace Hopper"]


def test_email_and_linkedin_are_labelled_as_typed(page):
    page.goto("/capture")
    page.fill("#f-reach", "grace@example.com")
    assert "email" in page.text_content("[data-reach-kind]")
    page.fill("#f-reach", "https://www.linkedin.com/in/grace")
    assert "LinkedIn" in page.text_content("[data-reach-kind]")


def test_save_and_add_another_clears_the_form_and_keeps_both(page, live_server):
    page.goto("/capture")
    page.fill("#f-name", "Ada")
    page.tap("button[value=another]")
    page.wait_for_function(
        "() => document.querySelector('[data-capture-status]')"
        ".textContent.includes('Saved')"
    )
    assert page.input_value("#f-name") == ""
    page.fill("#f-name", "Alan")
    page.tap("button[value=another]")
    wait_until(lambda: len(live_server.people()) == 2, message="two people saved")
    assert sorted(n for _, n in live_server.people()) == ["Ada", "Alan"]


def test_introducer_is_picked_from_a_listbox(page, live_server):
    page.goto("/capture")
    page.fill("#f-name", "Ivy Introducer")
    page.tap("button[value=another]")
    wait_until(lambda: len(live_server.people()) == 1, message="introducer saved")
    page.fill("#f-name", "Jane")
    page.fill("#f-introduced_by", "ivy")
    page.wait_for_selector("#introducer-list [role=option]")
    assert page.get_attribute("#f-introduced_by", "aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.input_value("#f-introduced_by") == "Ivy Introducer"
    page.tap("button[value=save]")
    page.wait_for_url("**/people/*")
    assert "Introduced by" in page.text_content("main")


def test_people_search_filters_as_you_type(page):
    page.goto("/capture")
    for name in ("Ada Lovelace", "Grace Hopper"):
        page.fill("#f-name", name)
        page.tap("button[value=another]")
        page.wait_for_function(
            "(name) => document.querySelector('[data-capture-status]')"
            ".textContent.includes(name)",
            arg=name,
        )
    page.goto("/people")
    page.fill("#f-q", "hopp")
    page.wait_for_function(
        "() => !document.querySelector('[data-people-results]')"
        ".textContent.includes('Ada')"
    )
    assert "Grace Hopper" in page.text_content("[data-people-results]")


def test_scanner_parses_offline_and_loads_its_decoder_only_on_demand(page):
    page.goto("/capture")
    assert page.evaluate("() => typeof window.jsQR") == "undefined"
    fields = page.evaluate(
        """async () => {
          const scan = await import('/static/js/scan.js');
          return [
            scan.parseLocally('MECARD:N:Doe,Jane;TEL:+4930123456;EMAIL:j@x.example;;'),
            scan.parseLocally('BEGIN:VCARD\\r\\nVERSION:3.0\\r\\nFN:Ada L\\r\\n'
                              + 'ORG:Engines;R&D\\r\\nEND:VCARD'),
            scan.parseLocally('https://www.linkedin.com/in/ada'),
            scan.parseLocally('+49 30 1234567'),
          ];
        }"""
    )
    assert fields[0] == {
        "name": "Jane Doe",
        "phone": "+4930123456",
        "email": "j@x.example",
    }
    assert fields[1] == {"name": "Ada L", "company": "Engines"}
    assert fields[2] == {"linkedin": "https://www.linkedin.com/in/ada"}
    assert fields[3] == {"phone": "+49 30 1234567"}
    decoded = page.evaluate(
        """async () => {
          const scan = await import('/static/js/scan.js');
          const jsQR = await scan.loadJsQR();
          const image = new Image();
          image.src = '/card/qr.png?mode=vcard';
          await image.decode();
          const canvas = document.createElement('canvas');
          canvas.width = image.width; canvas.height = image.height;
          const context = canvas.getContext('2d');
          context.fillStyle = '#fff';
          context.fillRect(0, 0, canvas.width, canvas.height);
          context.drawImage(image, 0, 0);
          const data = context.getImageData(0, 0, canvas.width, canvas.height);
          const code = jsQR(data.data, data.width, data.height);
          return code ? code.data : null;
        }"""
    )
    assert decoded and decoded.startswith("BEGIN:VCARD")


def test_people_captured_offline_on_the_cached_page_each_arrive(
    page, context, live_server
):
    # Online first: the service worker keeps this very page for offline use.
    page.goto("/capture")
    page.fill("#f-name", "Alice Online")
    page.tap("button[value=save]")
    page.wait_for_url("**/people/*")
    context.set_offline(True)
    for name in ("Olga Offline", "Otto Offline"):
        page.goto("/capture")  # the cached copy, the same page every time
        page.fill("#f-name", name)
        page.tap("button[value=save]")
        page.wait_for_function("() => location.pathname === '/'")
    context.set_offline(False)
    wait_until(
        lambda: (
            sorted(n for _, n in live_server.people())
            == ["Alice Online", "Olga Offline", "Otto Offline"]
        ),
        message="all three people on the server",
    )


def test_a_refused_capture_marks_the_field_it_came_from(page, live_server):
    page.goto("/capture")
    page.fill("#f-name", "Bob")
    page.fill("#f-reach", "bob@")
    page.tap("button[value=save]")
    reach = page.locator("#f-reach")
    page.wait_for_function("() => document.activeElement.id === 'f-reach'")
    assert reach.get_attribute("aria-invalid") == "true"
    note = page.locator("#" + reach.get_attribute("aria-describedby"))
    assert "email" in note.inner_text().lower()
    assert "error" in page.get_attribute("[data-capture-status]", "class")
    # Corrected, the same capture goes through and the marks go.
    page.fill("#f-reach", "bob@example.com")
    page.tap("button[value=save]")
    page.wait_for_url("**/people/*")
    assert [name for _, name in live_server.people()] == ["Bob"]


def test_an_introducer_is_picked_from_a_listbox_on_the_edit_page(page, live_server):
    for name in ("Ivy Introducer", "Jane"):
        page.goto("/capture")
        page.fill("#f-name", name)
        page.tap("button[value=save]")
        page.wait_for_url("**/people/*")
    page.goto(page.url + "/edit")
    page.fill("#f-introduced_by", "ivy")
    page.wait_for_selector("#introducer-list [role=option]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(lambda url: not url.endswith("/edit"))
    assert "Introduced by Ivy Introducer" in page.text_content("main")


def stored(live_server, name: str) -> dict:
    """The person's topic, promise and private notes as stored on the server."""
    from app.extensions import db
    from app.models import Contact

    with live_server.app.app_context():
        person = db.session.execute(db.select(Contact).filter_by(name=name)).scalar()
        found = (
            {k: getattr(person, k) for k in ("talked_about", "promise", "notes")}
            if person
            else {}
        )
        db.session.remove()
    return found


def test_private_notes_captured_online_and_offline_arrive_whole(
    page, context, live_server
):
    typed = {
        "talked_about": "battery storage",
        "promise": "send her our deck",
        "notes": "Caught her again at the bar\nshe mentioned a design lead role",
    }
    page.goto("/capture")
    page.fill("#f-name", "Zoë Online")
    for name, text in typed.items():
        page.fill(f"#f-{name}", text)
    page.tap("button[value=save]")
    page.wait_for_url("**/people/*")
    assert "design lead role" in page.text_content("main")
    context.set_offline(True)
    page.goto("/capture")
    page.fill("#f-name", "Zoë Offline")
    page.fill("#f-reach", "zoe at the stand")  # not a way to reach: kept in notes
    for name, text in typed.items():
        page.fill(f"#f-{name}", text)
    page.tap("button[value=save]")
    page.wait_for_function("() => location.pathname === '/'")
    context.set_offline(False)
    wait_until(lambda: stored(live_server, "Zoë Offline"), message="offline capture")
    assert stored(live_server, "Zoë Online") == typed
    assert stored(live_server, "Zoë Offline") == {
        **typed,
        "notes": typed["notes"] + "\nzoe at the stand",
    }


def box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def test_on_a_390_by_844_phone_the_first_fields_are_clear_of_the_save_bar(
    browser, phone, live_server
):
    context = new_context(
        browser, phone, live_server, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    log_in(page)
    page.goto("/capture")
    bar = box(page, ".save-bar")
    # The one-line Topic is one line tall, so "I promised…" and its hint show.
    topic = box(page, "#f-talked_about")
    assert topic["height"] < 60, topic
    for selector in (
        "#f-name",
        "#f-reach",
        "#f-talked_about",
        "#f-promise",
        "#h-promise",
    ):
        field = box(page, selector)
        assert field["y"] + field["height"] <= bar["y"], (selector, field, bar)
    # Both Save buttons keep their label on one line, side by side.
    save, another = box(page, "button[value=save]"), box(page, "button[value=another]")
    assert save["height"] < 56 and another["height"] < 56, (save, another)
    assert save["y"] == another["y"]
    # The Topic grows with what is typed instead of scrolling inside one line.
    page.fill("#f-talked_about", "battery storage for farms " * 6)
    assert box(page, "#f-talked_about")["height"] > topic["height"] + 40
    # A field reached with the keyboard scrolls clear of the Save bar.
    page.focus("#f-notes")
    notes = box(page, "#f-notes")
    assert notes["y"] + notes["height"] <= box(page, ".save-bar")["y"], notes
    # A browser without CSS field-sizing grows the Topic from the script.
    page.add_init_script("CSS.supports = () => false")
    page.goto("/capture")
    page.eval_on_selector(
        "#f-talked_about", "box => { box.style.fieldSizing = 'fixed'; }"
    )
    page.fill("#f-talked_about", "battery storage for farms " * 6)
    assert box(page, "#f-talked_about")["height"] > topic["height"] + 40
    context.close()
