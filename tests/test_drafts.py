"""Drafted messages, channels and the links that open them."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.drafts import (
    DEFAULTS,
    PLACEHOLDERS,
    combine_drafts,
    default_channel,
    draft_message,
    mailto_link,
    render,
    sms_link,
    template_errors,
    whatsapp_link,
)
from app.extensions import db
from app.models import Card, Contact, Event, FollowUp, User
from tests.conftest import assert_api_error

KINDS = list(DEFAULTS)


def assert_clean(text: str) -> None:
    assert "{" not in text and "}" not in text
    assert "[" not in text and "]" not in text
    assert "  " not in text
    assert " ." not in text and " ," not in text
    assert "about ." not in text and "about." not in text
    assert "\n\n\n" not in text
    assert text == text.strip()


@pytest.mark.parametrize("kind", KINDS)
def test_default_drafts_with_every_value_missing_read_cleanly(kind):
    subject, body = DEFAULTS[kind]
    assert_clean(render(subject, {}))
    assert_clean(render(body, {}))


value = st.one_of(
    st.just(""),
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="{}[]"),
        max_size=30,
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    values=st.fixed_dictionaries({name: value for name in PLACEHOLDERS}),
)
def test_drafts_with_any_missing_fields_have_no_stray_placeholder(kind, values):
    for template in DEFAULTS[kind]:
        text = render(template, values)
        assert "{" not in text and "[" not in text
        assert "  " not in text
        assert "about ." not in text


def test_optional_part_vanishes_when_its_value_is_missing():
    template = "Hi[ {first_name}],\n\n[We talked about {talked_about}. ]Bye."
    assert render(template, {}) == "Hi,\n\nBye."
    assert render(template, {"first_name": "Ana", "talked_about": "maps"}) == (
        "Hi Ana,\n\nWe talked about maps. Bye."
    )


def test_values_are_inserted_once_and_never_read_as_template():
    text = render(
        "Hi {first_name}, {talked_about}",
        {"first_name": "{promise}", "talked_about": "[x] & {my_name}"},
    )
    assert text == "Hi {promise}, [x] & {my_name}"


def test_a_promise_and_an_intro_thank_you_in_one_message_thank_once_each():
    values = {
        "first_name": "Priya",
        "introducer_first_name": "Priya",
        "event": "PyCon",
        "promise": "As promised, I'm sending you my deck",
        "my_name": "Kim Park",
    }
    drafts = [
        {"subject": DEFAULTS[kind][0], "body": render(DEFAULTS[kind][1], values)}
        for kind in ("promise", "intro_thanks")
    ]
    body = combine_drafts(drafts)["body"]
    assert body.count("Thanks again") == 1
    assert "Thank you for connecting me with Priya at PyCon." in body
    assert body.count("Hi Priya,") == 1 and body.endswith("Best,\nKim Park")


def test_intro_thanks_follows_the_guide():
    subject, body = DEFAULTS["intro_thanks"]
    text = render(
        body,
        {
            "introducer_first_name": "Bo",
            "first_name": "Ana",
            "event": "PyCon",
            "my_name": "Kim Park",
        },
    )
    assert text.startswith("Hi Bo,\n\nThank you for connecting me with Ana at PyCon.")
    assert "I'd be glad to return the favour." in text
    assert text.endswith("Best,\nKim Park")


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [
        ("Hi", "Hello {firstname}", "body"),
        ("Hi {nope}", "Hello", "subject"),
        ("Hi", "Hello [unclosed {first_name}", "body"),
        ("Hi", "   ", "body"),
        ("x" * 201, "Hello", "subject"),
    ],
)
def test_template_mistakes_are_reported_by_field(subject, body, field):
    assert field in template_errors(subject, body)


def test_a_good_template_has_no_errors():
    assert template_errors(*DEFAULTS["promise"]) == {}


TRICKY = 'Grüße & ciao? #1 + 100% 🎉\nnext line\r\nand "quotes" / ; = done'


def test_mailto_link_decodes_back_to_the_exact_text():
    link = mailto_link("ana+x@example.com", "Hi & bye? #2 + 5%", TRICKY)
    assert link.startswith("mailto:ana+x@example.com?subject=")
    head, query = link.split("?", 1)
    parts = dict(part.split("=", 1) for part in query.split("&"))
    assert set(parts) == {"subject", "body"}
    assert unquote(parts["subject"]) == "Hi & bye? #2 + 5%"
    assert "%0D%0A" in parts["body"] and "\n" not in parts["body"]
    assert unquote(parts["body"]).replace("\r\n", "\n") == TRICKY.replace("\r\n", "\n")
    assert " " not in link and "#" not in link


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_sms_and_whatsapp_links_decode_back_to_the_exact_text(text):
    sms = sms_link("+4915112345678", text)
    assert sms.startswith("sms:+4915112345678?body=")
    assert unquote(sms.split("?body=", 1)[1]) == text
    wa = whatsapp_link("+4915112345678", text)
    assert wa.startswith("https://wa.me/4915112345678?text=")
    assert unquote(wa.split("?text=", 1)[1]) == text
    for link in (sms, wa):
        query = link.split("=", 1)[1]
        assert not set(query) & set(" #&?+\n\r")


@pytest.mark.parametrize(
    ("kept", "dialled"),
    [("+44 7700 900123", "+447700900123"), ("0170 123-45 67", "01701234567")],
)
def test_an_sms_link_to_a_number_kept_as_typed_has_no_spaces(kept, dialled):
    assert sms_link(kept, "Hi").startswith(f"sms:{dialled}?body=")


def test_a_person_page_calls_and_texts_a_number_kept_as_typed(app, owner):
    owner.form("/capture", {"name": "Aisha Bello", "reach": "+44 7700 900123"})
    with app.app_context():
        aisha = db.session.execute(db.select(Contact)).scalar_one()
        assert aisha.phone == "+44 7700 900123"  # not a valid number: kept as typed
    html = owner.get(f"/people/{aisha.id}").get_data(as_text=True)
    assert 'href="tel:+447700900123"' in html and 'href="sms:+447700900123"' in html


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"email": "a@example.com", "phone": "+4915112345678"}, "email"),
        (
            {"phone": "+4915112345678", "linkedin": "https://linkedin.com/in/a"},
            "whatsapp",
        ),
        ({"linkedin": "https://linkedin.com/in/a"}, "linkedin"),
        (
            {
                "email": "a@example.com",
                "phone": "+4915112345678",
                "preferred_channel": "sms",
            },
            "sms",
        ),
        # a preferred channel the person can't be reached on is ignored
        ({"email": "a@example.com", "preferred_channel": "whatsapp"}, "email"),
        ({}, None),
    ],
)
def test_channel_is_preferred_else_email_then_phone_then_linkedin(fields, expected):
    assert default_channel(Contact(name="A", **fields)) == expected


@pytest.fixture
def ctx(app, user):
    with app.app_context():
        owner = db.session.get(User, user)
        owner.card.first_name, owner.card.last_name = "Kim", "Park"
        yield owner


def test_draft_uses_person_event_and_owner_name(ctx):
    event = Event(user_id=ctx.id, name="PyCon", date=dt.date(2026, 11, 20))
    db.session.add(event)
    db.session.flush()
    contact = Contact(
        user_id=ctx.id,
        name="Ana Lima",
        email="a@example.com",
        talked_about="open maps",
        promise="the slides",
        event_id=event.id,
    )
    db.session.add(contact)
    db.session.flush()
    followup = FollowUp(
        user_id=ctx.id,
        contact_id=contact.id,
        kind="promise",
        key="promise",
        due_at=dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
    )
    db.session.add(followup)
    db.session.flush()
    draft = draft_message(followup, ctx)
    assert draft["subject"] == "As promised"
    assert draft["body"].startswith(
        "Hi Ana,\n\nThanks again for the chat at PyCon. "
        "As promised, I'm sending you the slides.\n\n"
    )
    assert "It was good talking about open maps." in draft["body"]
    assert draft["body"].endswith("Kim Park")


def test_draft_for_a_person_with_only_a_name_is_clean(ctx):
    ctx.card.first_name = ctx.card.last_name = ""
    contact = Contact(user_id=ctx.id, name="Ana", linkedin="https://linkedin.com/in/a")
    db.session.add(contact)
    db.session.flush()
    for kind in KINDS:
        followup = FollowUp(
            user_id=ctx.id,
            contact_id=contact.id,
            kind=kind,
            key=kind,
            due_at=dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
        )
        followup.contact = contact
        draft = draft_message(followup, ctx)
        assert_clean(draft["subject"])
        assert_clean(draft["body"])


def test_the_owners_template_replaces_the_default(ctx):
    from app.models import Template

    db.session.add(
        Template(
            user_id=ctx.id,
            kind="thank_you",
            subject="Yo",
            body="Hey {first_name}[, re {talked_about}]!",
        )
    )
    contact = Contact(user_id=ctx.id, name="Ana Lima", email="a@example.com")
    db.session.add(contact)
    db.session.flush()
    followup = FollowUp(
        user_id=ctx.id,
        contact_id=contact.id,
        kind="thank_you",
        key="thank_you",
        due_at=dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
    )
    followup.contact = contact
    assert draft_message(followup, ctx) == {"subject": "Yo", "body": "Hey Ana!"}
    assert isinstance(Card, type)


HUGE = "{promise}" * 555  # fits the old 5,000-character template limit


def test_a_template_repeating_a_long_value_renders_within_the_draft_limit():
    import time
    import tracemalloc

    from app.drafts import CUT, DRAFT_MAX

    promise = "send " + "x" * 4995
    tracemalloc.start()
    started = time.perf_counter()
    text = render(HUGE, {"promise": promise})
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(text) <= DRAFT_MAX and text.endswith(CUT)
    assert elapsed < 0.2
    assert peak < 1_000_000  # the whole would be 2.8 million characters


def test_a_long_draft_is_cut_at_a_word_with_a_marker():
    from app.drafts import CUT

    text = render("Hi. {talked_about} {promise}", {"talked_about": "word " * 50}, 100)
    assert len(text) <= 100 and text.endswith("word" + CUT)
    assert render("Hi {first_name}.", {"first_name": "Ana"}, 100) == "Hi Ana."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (HUGE, "At most 2000 characters."),
        ("{promise}" * 31, "At most 30 placeholders."),
    ],
)
def test_a_template_too_long_or_too_repetitive_is_refused(body, message):
    assert template_errors("Hi", body) == {"body": message}


def test_the_templates_page_refuses_a_template_that_repeats_a_value(owner):
    page = owner.get("/settings/templates").get_data(as_text=True)
    assert 'maxlength="2000"' in page and "at most 2000 characters" in page
    response = owner.form(
        "/settings/templates",
        {"kind": "promise", "action": "save", "subject": "Hi", "body": HUGE},
    )
    assert response.status_code == 400
    assert "At most 2000 characters." in response.get_data(as_text=True)


def test_an_imported_account_with_a_huge_template_is_refused(api):
    exported = api.get("/api/v1/export.json").get_json()
    exported["templates"] = [{"kind": "promise", "subject": "Hi", "body": HUGE}]
    response = api.post("/api/v1/import.json", json=exported)
    # The API's answer for a field it can't take (validation_error).
    assert_api_error(response, 400, "validation_error", "templates")


def test_a_stored_huge_template_still_drafts_a_bounded_message(ctx):
    from app.drafts import DRAFT_MAX
    from app.models import Template

    db.session.add(Template(user_id=ctx.id, kind="promise", subject="Hi", body=HUGE))
    contact = Contact(
        user_id=ctx.id, name="Ana", email="a@example.com", promise="x" * 5000
    )
    db.session.add(contact)
    db.session.flush()
    followup = FollowUp(
        user_id=ctx.id,
        contact_id=contact.id,
        kind="promise",
        key="promise",
        due_at=dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
    )
    followup.contact = contact
    assert len(draft_message(followup, ctx)["body"]) <= DRAFT_MAX
