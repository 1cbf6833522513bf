"""Capture and People pages as plain HTML forms, without JavaScript."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from app.extensions import db
from app.models import Contact


def people(app) -> list[Contact]:
    with app.app_context():
        return list(
            db.session.execute(
                db.select(Contact).order_by(Contact.created_at, Contact.name)
            ).scalars()
        )


def test_capture_page_focuses_the_name_and_offers_both_saves(owner):
    html = owner.get("/capture").get_data(as_text=True)
    assert re.search(r'<input id="f-name"[^>]*autofocus', html)
    assert 'value="another"' in html and 'value="save"' in html
    assert "<script>" not in html and "style=" not in html


def test_capture_without_javascript_saves_name_and_phone(owner, app):
    response = owner.form(
        "/capture", {"name": "Jane Doe", "reach": "030 1234567", "action": "save"}
    )
    assert response.status_code == 302
    [person] = people(app)
    assert (person.name, person.phone, person.source) == (
        "Jane Doe",
        "+49301234567",
        "capture",
    )
    assert response.headers["Location"].endswith(f"/people/{person.id}")


@pytest.mark.parametrize(
    ("reach", "field", "value"),
    [
        ("jane@example.com", "email", "jane@example.com"),
        ("+44 20 7946 0958", "phone", "+442079460958"),
        ("linkedin.com/in/janedoe", "linkedin", "https://www.linkedin.com/in/janedoe"),
        ("https://jane.example", "website", "https://jane.example"),
    ],
)
def test_reach_field_recognises_what_was_typed(owner, app, reach, field, value):
    owner.form("/capture", {"name": "Jane", "reach": reach})
    assert getattr(people(app)[0], field) == value


def test_save_and_add_another_returns_to_an_empty_form(owner, app):
    response = owner.form(
        "/capture", {"name": "Jane", "action": "another"}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "Saved Jane" in html
    assert 'id="f-name" name="name" type="text" value=""' in html


def test_capture_form_errors_keep_what_was_typed(owner, app):
    response = owner.form(
        "/capture", {"name": "", "reach": "not@valid@x", "talked_about": "Rust in prod"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Give a name" in html and "Rust in prod" in html
    assert "email address" in html
    assert people(app) == []


def test_resubmitted_capture_form_saves_once(owner, app):
    form = {"name": "Jane", "id": str(uuid.uuid4())}
    owner.form("/capture", form)
    owner.form("/capture", form)
    assert len(people(app)) == 1


def test_capture_with_tags_introducer_and_more_fields(owner, app):
    owner.form("/capture", {"name": "Ivy Introducer"})
    response = owner.form(
        "/capture",
        {
            "name": "Jane",
            "tag": ["python"],
            "tags_text": "AI, hiring",
            "introduced_by": "ivy introducer",
            "company": "Acme",
            "reach2": "j@x.example",
            "met_at": "2026-03-10T19:30",
            "promise": "Send slides",
        },
    )
    assert response.status_code == 302
    jane = people(app)[1]
    assert jane.tags == ["python", "ai", "hiring"]
    assert jane.introduced_by_id == people(app)[0].id
    assert (jane.company, jane.email, jane.promise) == (
        "Acme",
        "j@x.example",
        "Send slides",
    )
    assert jane.met_at.isoformat() == "2026-03-10T18:30:00+00:00"  # Berlin time
    html = owner.get("/capture").get_data(as_text=True)
    assert 'value="python"' in html  # recent tags are one tap away


def test_unknown_introducer_is_a_form_error(owner, app):
    response = owner.form("/capture", {"name": "Jane", "introduced_by": "Nobody Known"})
    assert response.status_code == 400
    assert "Nobody called Nobody Known" in response.get_data(as_text=True)


def test_people_list_searches_and_filters(owner, clock):
    owner.form("/capture", {"name": "Ada Lovelace", "tags_text": "math"})
    clock.advance(minutes=1)
    owner.form("/capture", {"name": "Grace Hopper", "company": "Navy"})
    listing = owner.get("/people").get_data(as_text=True)
    assert listing.index("Grace Hopper") < listing.index("Ada Lovelace")
    assert "data-outbox-list" in listing
    found = owner.get("/people?q=navy").get_data(as_text=True)
    assert "Grace Hopper" in found and "Ada Lovelace" not in found
    tagged = owner.get("/people?tag=math&partial=1").get_data(as_text=True)
    assert "Ada Lovelace" in tagged and "Grace Hopper" not in tagged
    assert "<html" not in tagged


def test_person_page_shows_reach_links_and_introductions(owner, app):
    owner.form("/capture", {"name": "Ivy"})
    owner.form(
        "/capture",
        {
            "name": "Jane",
            "reach": "jane@example.com",
            "introduced_by": "Ivy",
            "promise": "Send <b>slides</b>",
        },
    )
    ivy, jane = people(app)
    html = owner.get(f"/people/{jane.id}").get_data(as_text=True)
    assert 'href="mailto:jane@example.com"' in html
    assert "Introduced by" in html and "Ivy" in html
    assert "&lt;b&gt;slides&lt;/b&gt;" in html
    assert "Jane" in owner.get(f"/people/{ivy.id}").get_data(as_text=True)


def test_person_page_flags_already_met_and_merges(owner, app):
    owner.form(
        "/capture",
        {
            "name": "Jane",
            "reach": "jane@example.com",
            "reach2": "linkedin.com/in/jane",
            "talked_about": "Rust",
        },
    )
    owner.form(
        "/capture",
        {
            "name": "Jane Doe",
            "reach": "jane@example.com",
            "reach2": "linkedin.com/in/jane",
            "talked_about": "Go",
        },
    )
    first, second = people(app)
    html = owner.get(f"/people/{second.id}").get_data(as_text=True)
    assert "Already met?" in html
    assert "has the same email and LinkedIn profile." in html
    response = owner.form(f"/people/{second.id}/merge", {"other_id": first.id})
    assert response.status_code == 302
    [merged] = people(app)
    assert merged.id == second.id and merged.talked_about == "Go\n\nRust"


def test_one_person_captured_twice_under_one_name_is_offered_and_merged_by_name(
    owner, app
):
    owner.form("/capture", {"name": "Priya Shah", "reach": "priya@example.org"})
    owner.form("/capture", {"name": "PRIYA SHAH", "reach": "priya@example.net"})
    owner.form("/capture", {"name": "Priya Shahani", "reach": "ps@example.com"})
    named = {p.name: p for p in people(app)}
    first, second = named["Priya Shah"], named["PRIYA SHAH"]
    html = owner.get(f"/people/{second.id}").get_data(as_text=True)
    assert "Already met?" in html and "has the same name." in html
    # On the list, what tells the two apart shows under each name.
    listing = owner.get("/people").get_data(as_text=True)
    assert "priya@example.org" in listing and "priya@example.net" in listing
    assert f'value="{first.id}"' in html and "Shahani" not in html
    # Her own name, typed on her own page, means the other Priya Shah.
    response = owner.form(f"/people/{second.id}/merge", {"other_name": "Priya Shah"})
    assert response.status_code == 302
    after = owner.get(response.location).get_data(as_text=True)
    assert "Merged the other Priya Shah into this one." in after
    kept = [p for p in people(app) if p.name.lower() == "priya shah"]
    assert [p.id for p in kept] == [second.id]
    assert (kept[0].extras or {}).get("email") == ["priya@example.org"]


def test_edit_page_saves_and_shows_errors(owner, app):
    owner.form("/capture", {"name": "Jane"})
    [jane] = people(app)
    page = owner.get(f"/people/{jane.id}/edit")
    assert page.status_code == 200
    bad = owner.form(f"/people/{jane.id}/edit", {"name": "Jane", "email": "nope"})
    assert bad.status_code == 400 and "email address" in bad.get_data(as_text=True)
    good = owner.form(
        f"/people/{jane.id}/edit",
        {"name": "Jane Roe", "tags_text": "a, b", "keep_in_touch_days": "30"},
    )
    assert good.status_code == 302
    [jane] = people(app)
    assert (jane.name, jane.tags, jane.keep_in_touch_days) == (
        "Jane Roe",
        ["a", "b"],
        30,
    )


def test_delete_asks_first_then_deletes(owner, app):
    owner.form("/capture", {"name": "Jane"})
    [jane] = people(app)
    assert "Delete Jane?" in owner.get(f"/people/{jane.id}/delete").get_data(
        as_text=True
    )
    assert len(people(app)) == 1
    assert owner.form(f"/people/{jane.id}/delete", {}).status_code == 302
    assert people(app) == []


def test_another_accounts_person_pages_are_404(owner, login, make_user, app):
    login(make_user()).form("/capture", {"name": "Theirs"})
    [theirs] = people(app)
    for url in ("", "/edit", "/delete"):
        assert owner.get(f"/people/{theirs.id}{url}").status_code == 404
    for url in ("/edit", "/delete", "/merge"):
        assert owner.form(f"/people/{theirs.id}{url}", {"name": "x"}).status_code == 404
    assert "Theirs" not in owner.get("/people").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/capture", "/people", "/people/x", "/events"])
def test_pages_need_login(client, user, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nav_has_capture_people_and_events(owner):
    html = owner.get("/people").get_data(as_text=True)
    for label in ("Capture", "People", "Events"):
        assert f">{label}</a>" in html


@pytest.mark.parametrize(
    ("path", "tab", "current"),
    [
        ("/people", "People", "page"),
        ("/people/{person}", "People", "true"),
        ("/settings/templates", "Settings", "true"),
        ("/settings", "Settings", "page"),
        ("/", "Home", "page"),
    ],
)
def test_the_tab_bar_shows_where_you_are(owner, path, tab, current):
    person = owner.post("/api/v1/contacts", json={"name": "Ivy"}).get_json()["id"]
    html = owner.get(path.format(person=person)).get_data(as_text=True)
    marked = re.findall(r'aria-current="(\w+)">(\w+)</a>', html)
    assert marked == [(current, tab)]


def test_editing_keeps_an_introducer_who_shares_a_name(owner, app, clock):
    older = owner.post("/api/v1/contacts", json={"name": "Ivy"}).get_json()
    clock.advance(minutes=1)
    owner.post("/api/v1/contacts", json={"name": "Ivy"})
    jane = owner.post(
        "/api/v1/contacts", json={"name": "Jane", "introduced_by_id": older["id"]}
    ).get_json()
    form = owner.get(f"/people/{jane['id']}/edit").get_data(as_text=True)
    assert (
        'name="introduced_by" type="text" autocomplete="off" maxlength="200" value="Ivy"'
        in form
    )
    owner.form(f"/people/{jane['id']}/edit", {"name": "Jane", "introduced_by": "Ivy"})
    with app.app_context():
        assert db.session.get(Contact, jane["id"]).introduced_by_id == older["id"]


def test_editing_finds_an_introducer_by_part_of_the_name_and_shows_every_error(
    owner, app
):
    henrietta = owner.post(
        "/api/v1/contacts", json={"name": "Henrietta Castellanos-Vandermeer"}
    ).get_json()
    owner.post("/api/v1/contacts", json={"name": "Hans Castell"})
    jane = owner.post("/api/v1/contacts", json={"name": "Jane"}).get_json()
    edit = f"/people/{jane['id']}/edit"
    # Both errors in one round: the ambiguous introducer and the bad email.
    bad = owner.form(
        edit, {"name": "Jane", "introduced_by": "Castell", "email": "jane@"}
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "More than one person" in html and "look like an email" in html
    assert (
        owner.form(edit, {"name": "Jane", "introduced_by": "henrietta"}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Contact, jane["id"]).introduced_by_id == henrietta["id"]


def test_editing_keeps_the_introducer_picked_from_the_list(owner, app):
    first = owner.post("/api/v1/contacts", json={"name": "Ivy"}).get_json()
    owner.post("/api/v1/contacts", json={"name": "Ivy"})
    jane = owner.post("/api/v1/contacts", json={"name": "Jane"}).get_json()
    form = {"name": "Jane", "introduced_by": "Ivy", "introduced_by_id": first["id"]}
    assert owner.form(f"/people/{jane['id']}/edit", form).status_code == 302
    with app.app_context():
        assert db.session.get(Contact, jane["id"]).introduced_by_id == first["id"]


def test_a_typed_name_wins_over_the_introducer_the_form_was_loaded_with(owner, app):
    """Without a script nothing clears the hidden id: the name typed counts."""
    alice = owner.post("/api/v1/contacts", json={"name": "Alice"}).get_json()
    bob = owner.post("/api/v1/contacts", json={"name": "Bob New"}).get_json()
    jane = owner.post(
        "/api/v1/contacts", json={"name": "Jane", "introduced_by_id": alice["id"]}
    ).get_json()
    form = {"name": "Jane", "introduced_by": "Bob New", "introduced_by_id": alice["id"]}
    assert owner.form(f"/people/{jane['id']}/edit", form).status_code == 302
    with app.app_context():
        assert db.session.get(Contact, jane["id"]).introduced_by_id == bob["id"]


def test_part_of_a_name_looks_at_names_only_and_every_person(owner, app):
    owner.post("/api/v1/contacts", json={"name": "Henrietta Old"})
    for n in range(25):
        owner.post(
            "/api/v1/contacts",
            json={"name": f"Member {n}", "notes": "henrietta's group"},
        )
    owner.post("/api/v1/contacts", json={"name": "Henrietta New"})
    jane = owner.post("/api/v1/contacts", json={"name": "Jane"}).get_json()
    bad = owner.form(
        f"/people/{jane['id']}/edit", {"name": "Jane", "introduced_by": "henrietta"}
    )
    assert bad.status_code == 400 and "More than one person" in bad.get_data(
        as_text=True
    )


def test_merging_by_name_takes_the_exact_name_only(owner, app):
    ana = owner.post("/api/v1/contacts", json={"name": "Ana Lima"}).get_json()
    owner.post("/api/v1/contacts", json={"name": "Joanna Smith"})
    response = owner.form(
        f"/people/{ana['id']}/merge", {"other_name": "Anna"}, follow_redirects=True
    )
    assert "Nobody called Anna" in response.get_data(as_text=True)
    assert len(people(app)) == 2


def test_a_capture_form_names_its_introducer_by_what_was_typed(owner, app):
    """A hidden id left from an earlier pick counts only with that person's name."""
    alice = owner.post("/api/v1/contacts", json={"name": "Alice"}).get_json()
    bob = owner.post("/api/v1/contacts", json={"name": "Bob New"}).get_json()
    for typed, expected in (("Alice", alice["id"]), ("Bob New", bob["id"])):
        form = {"name": f"Met via {typed}", "introduced_by": typed}
        form["introduced_by_id"] = alice["id"]
        assert owner.form("/capture", form).status_code == 302
        with app.app_context():
            person = db.session.execute(
                db.select(Contact).filter_by(name=f"Met via {typed}")
            ).scalar_one()
            assert person.introduced_by_id == expected


def test_capture_page_explains_topic_and_private_notes(owner):
    html = owner.get("/capture").get_data(as_text=True)
    for name, label, hint in (
        ("talked_about", "Topic", "a message may mention"),
        ("notes", "Private notes", "never put in a message"),
    ):
        assert f'<label for="f-{name}">{label}</label>' in html
        assert re.search(
            rf'<textarea id="f-{name}"[^>]*aria-describedby=" h-{name}"', html
        )
        assert re.search(rf'<p class="hint" id="h-{name}">[^<]*{hint}', html)


PRIVATE = "Caught her again at the bar — she mentioned a design lead role"


def test_private_notes_typed_on_the_capture_page_are_kept_and_never_sent(
    owner, api, app
):
    response = owner.form(
        "/capture",
        {
            "name": "zoë martin",
            "reach": "zoe@example.com",
            "talked_about": "she hates dark patterns",
            "promise": "intro her to Lena from Solarcoop",
            "notes": PRIVATE,
            "action": "save",
        },
    )
    assert response.status_code == 302
    [person] = people(app)
    assert person.notes == PRIVATE
    assert person.talked_about == "she hates dark patterns"
    page = owner.get(f"/people/{person.id}").get_data(as_text=True)
    assert "Private notes" in page and "design lead role" in page
    drafts = api.get("/api/v1/followups?due=all").get_json()["items"]
    assert {d["kind"] for d in drafts} == {"thank_you", "promise"}
    for item in drafts:
        body = item["draft"]["body"]
        assert body.startswith("Hi Zoë,\n\n")
        assert "bar" not in body and "dark patterns" not in body
    promise = next(d for d in drafts if d["kind"] == "promise")["draft"]["body"]
    assert "I'd like to introduce you to Lena from Solarcoop." in promise


def test_the_event_picker_shows_dates_as_people_read_them(owner, app, user, clock):
    from app.models import Event

    with app.app_context():
        db.session.add(
            Event(user_id=user, name="UX Meetup", date=dt.date(2026, 11, 29))
        )
        db.session.add(Event(user_id=user, name="PyCon", date=dt.date(2025, 6, 14)))
        db.session.commit()
    html = owner.get("/capture").get_data(as_text=True)
    # This year's events need no year; last year's say which.
    assert "UX Meetup · Sun 29 Nov<" in html
    assert "PyCon · Sat 14 Jun 2025<" in html
    assert "2026-11-29<" not in html
