"""The Queue screen, Home figures, the person panel and message templates."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.models import Contact, Event, FollowUp, Interaction, Template
from tests.conftest import DUE, MET


def ids(app, contact_id: str) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            db.select(FollowUp.key, FollowUp.id).filter_by(contact_id=contact_id)
        )
        return dict(rows.all())


def status(app, followup_id: int) -> tuple[str, dt.datetime | None]:
    with app.app_context():
        f = db.session.get(FollowUp, followup_id)
        return f.status, f.snoozed_until


def test_queue_needs_login(client, user):
    response = client.get("/queue")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_queue_shows_due_items_oldest_first_with_drafts_and_actions(
    app, owner, user, meet, clock
):
    meet(
        user,
        name="Late Bo",
        email="bo@example.com",
        phone="+4915112345678",
        met_at=MET + dt.timedelta(hours=1),
    )
    meet(user, name="Ana Lima", promise="the slides", met_at=MET - dt.timedelta(days=1))
    clock.set(DUE + dt.timedelta(hours=1))
    html = owner.get("/queue").get_data(as_text=True)
    names = re.findall(r'<h2 id="fh-\d+">([^<]+)</h2>', html)
    # Ana's promise and thank-you are one message; Bo gets a thank-you.
    assert names == ["Ana Lima", "Late Bo"]
    assert "Promise and Thank-you" in html and "Thank-you" in html
    assert "<textarea" in html and "Hi Ana," in html
    assert 'href="mailto:ana@example.com?subject=' in html
    assert 'href="https://wa.me/4915112345678?text=' in html
    assert 'href="sms:+4915112345678?body=' in html
    for action in ("done", "skip", "snooze", "edit"):
        assert f'/{action}"' in html
    # One count per card: Ana's two follow-ups are one message.
    assert "0 of 2 done" in html
    assert 'type="module" src="/static/js/queue.js"' in html
    assert "<script>" not in html and "style=" not in html and "onclick" not in html


def test_sent_form_marks_done_and_progress_counts_it(app, owner, user, meet, clock):
    contact = meet(user, promise="the slides")
    clock.set(DUE)
    fid = ids(app, contact)["thank_you"]
    response = owner.form(f"/queue/{fid}/done", {})
    assert response.status_code == 302
    assert status(app, fid)[0] == "done"
    assert "1 of 2 done" in owner.get("/queue").get_data(as_text=True)
    assert owner.form(f"/queue/{fid}/done", {}).status_code == 409


@pytest.mark.parametrize(
    ("action", "form", "expected"),
    [
        ("done", {}, "done"),
        ("skip", {}, "skipped"),
        ("snooze", {"when": "tomorrow"}, "pending"),
    ],
)
def test_a_promise_and_a_thank_you_are_one_message_acted_on_together(
    app, owner, user, meet, clock, action, form, expected
):
    contact = meet(user, promise="the slides")
    clock.set(DUE)
    followups = ids(app, contact)
    html = owner.get("/queue").get_data(as_text=True)
    assert html.count('class="queue-item"') == 1
    assert f'name="also" value="{followups["thank_you"]}"' in html
    form = {**form, "also": str(followups["thank_you"])}
    assert owner.form(f"/queue/{followups['promise']}/{action}", form).status_code in (
        302,
        303,
    )
    states = {status(app, fid)[0] for fid in followups.values()}
    assert states == {expected}
    if action == "done":
        assert "1 of 1 done" in owner.get("/queue").get_data(as_text=True)


def test_a_merged_thank_you_already_closed_elsewhere_does_not_block_the_promise(
    app, owner, user, meet, clock
):
    contact = meet(user, promise="the slides")
    clock.set(DUE)
    followups = ids(app, contact)
    assert owner.form(f"/queue/{followups['thank_you']}/done", {}).status_code == 302
    form = {"also": str(followups["thank_you"])}
    assert owner.form(f"/queue/{followups['promise']}/done", form).status_code == 302
    assert status(app, followups["promise"])[0] == "done"


def test_skip_form_skips(app, owner, user, meet, clock):
    fid = ids(app, meet(user))["thank_you"]
    clock.set(DUE)
    assert owner.form(f"/queue/{fid}/skip", {}).status_code == 302
    assert status(app, fid)[0] == "skipped"


@pytest.mark.parametrize(
    ("form", "until"),
    [
        ({"when": "tomorrow"}, dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)),
        ({"when": "next_week"}, dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)),
        (
            {"when": "date", "date": "2026-12-24"},
            dt.datetime(2026, 12, 24, 8, 0, tzinfo=dt.UTC),
        ),
    ],
)
def test_snooze_form_choices(app, owner, user, meet, clock, form, until):
    fid = ids(app, meet(user))["thank_you"]
    clock.set(DUE)
    assert owner.form(f"/queue/{fid}/snooze", form).status_code == 302
    assert status(app, fid) == ("pending", until)
    html = owner.get("/queue").get_data(as_text=True)
    assert 'id="fh-' not in html
    # Listed under Snoozed with when it comes back, not among the upcoming.
    aside = html.split("<h2>Snoozed</h2>")[1].split("<h2>Upcoming</h2>")[0]
    back = until.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"back {back:%a %d %b, %H:%M}" in aside
    # Nothing else to come: Upcoming doesn't say "nothing scheduled" under it.
    assert "Nothing else scheduled" in html and "Nothing scheduled yet" not in html


def test_snoozed_follow_ups_are_listed_even_behind_many_upcoming(
    app, owner, user, meet, clock
):
    # Twelve keep-in-touch follow-ups come due before the snoozed one.
    people = [meet(user, name=f"Person {n}", keep_in_touch_days=30) for n in range(12)]
    fid = ids(app, people[0])["thank_you"]
    clock.set(DUE)
    form = {"when": "date", "date": "2027-01-15"}
    assert owner.form(f"/queue/{fid}/snooze", form).status_code == 302
    html = owner.get("/queue").get_data(as_text=True)
    aside, later = html.split("<h2>Snoozed</h2>")[1].split("<h2>Upcoming</h2>")
    assert "Person 0" in aside and "back Fri 15 Jan" in aside
    assert later.count('class="list-row"') == 10 and "The next 10 are shown" in later


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("", "Pick a day to snooze it to."),
        ("2026-11-01", "That moment has passed: pick a later day."),
        ("not a date", "That isn't a date."),
    ],
)
def test_snooze_form_with_a_bad_date_says_so_and_keeps_the_item(
    app, owner, user, meet, clock, date, message
):
    fid = ids(app, meet(user))["thank_you"]
    clock.set(DUE)
    response = owner.form(
        f"/queue/{fid}/snooze", {"when": "date", "date": date}, follow_redirects=True
    )
    assert f"Not snoozed: {message}" in response.get_data(as_text=True).replace(
        "&#39;", "'"
    )
    assert status(app, fid) == ("pending", None)


def test_edit_form_saves_the_draft(app, owner, user, meet, clock):
    fid = ids(app, meet(user))["thank_you"]
    clock.set(DUE)
    owner.form(f"/queue/{fid}/edit", {"subject": "Hey", "body": "Custom words"})
    html = owner.get("/queue").get_data(as_text=True)
    assert "Custom words</textarea>" in html
    assert "body=Custom%20words" in html


def test_empty_queue_says_when_the_next_item_is_due(app, owner, user, meet, clock):
    meet(user)
    html = owner.get("/queue").get_data(as_text=True)
    assert "All clear" in html
    assert "Sat 21 Nov, 09:00" in html  # local time in Berlin
    assert "Upcoming" in html and "Ana Lima" in html


def test_empty_queue_with_nothing_waiting(owner):
    html = owner.get("/queue").get_data(as_text=True)
    assert "Nothing is due and nothing is waiting" in html


def test_another_accounts_followup_is_404_on_every_page_route(
    app, owner, make_user, meet, clock
):
    stranger = make_user("stranger@example.com")
    contact = meet(stranger, keep_in_touch_days=30)
    fid = ids(app, contact)["thank_you"]
    clock.set(DUE)
    for url, data in [
        (f"/queue/{fid}/done", {}),
        (f"/queue/{fid}/skip", {}),
        (f"/queue/{fid}/snooze", {"when": "tomorrow"}),
        (f"/queue/{fid}/edit", {"body": "x"}),
        (f"/people/{contact}/talked", {"note": "x"}),
        (f"/people/{contact}/cadence", {"cadence": "none"}),
    ]:
        assert owner.form(url, data).status_code == 404, url
    assert status(app, fid) == ("pending", None)
    assert "Ana Lima" not in owner.get("/queue").get_data(as_text=True)


def test_one_message_closing_a_promise_and_its_thank_you_is_one_interaction(
    app, owner, user, meet, clock
):
    contact = meet(user, promise="send her the slides")
    clock.set(DUE)
    followups = ids(app, contact)
    assert len(followups) == 2  # the promise and the thank-you: one Queue card
    for followup_id in followups.values():
        assert owner.form(f"/queue/{followup_id}/done", {}).status_code == 302
    html = owner.get("/").get_data(as_text=True)
    assert "<strong>1</strong> interaction this week" in html
    # Talking to her later the same day is another interaction.
    owner.form(f"/people/{contact}/talked", {"note": "coffee"})
    assert "<strong>2</strong> interactions" in owner.get("/").get_data(as_text=True)


def test_home_shows_the_queue_count_and_weekly_goal(app, owner, user, meet, clock):
    contact = meet(user)
    clock.set(DUE)
    html = owner.get("/").get_data(as_text=True)
    assert "<strong>1</strong> follow-up due" in html
    # The 1 is a goal the owner set, and it says so.
    assert "<strong>0</strong> of your weekly goal of 1 interaction<" in html
    owner.form(f"/queue/{ids(app, contact)['thank_you']}/done", {})
    html = owner.get("/").get_data(as_text=True)
    assert "<strong>1</strong> interaction this week · weekly goal of 1 met" in html
    # Past the goal it says so, instead of "2 of 1".
    owner.form(f"/people/{meet(user, name='Bo')}/talked", {"note": "coffee"})
    html = owner.get("/").get_data(as_text=True)
    assert "<strong>2</strong> interactions this week · weekly goal of 1 met" in html
    # Next Monday (Berlin) starts a new week.
    clock.set(dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC))
    html = owner.get("/").get_data(as_text=True)
    assert "<strong>0</strong> of your weekly goal of 1" in html


def test_we_talked_logs_an_interaction_and_resets_keep_in_touch(
    app, owner, user, meet, clock
):
    contact = meet(user, keep_in_touch_days=30)
    clock.set(dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC))
    response = owner.form(f"/people/{contact}/talked", {"note": "coffee"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.execute(db.select(Interaction.note)).scalars().all() == [
            "coffee"
        ]
        kit = db.session.execute(
            db.select(FollowUp).filter_by(contact_id=contact, kind="keep_in_touch")
        ).scalar_one()
        assert kit.due_at == dt.datetime(2026, 12, 31, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("form", "days"),
    [
        ({"cadence": "90"}, 90),
        ({"cadence": "custom", "custom_days": "14"}, 14),
        ({"cadence": "none"}, None),
    ],
)
def test_cadence_picker_sets_keep_in_touch(app, owner, user, meet, form, days):
    contact = meet(user, keep_in_touch_days=30)
    assert owner.form(f"/people/{contact}/cadence", form).status_code == 302
    with app.app_context():
        assert db.session.get(Contact, contact).keep_in_touch_days == days
        kits = (
            db.session.execute(
                db.select(FollowUp).filter_by(contact_id=contact, kind="keep_in_touch")
            )
            .scalars()
            .all()
        )
        assert len(kits) == (1 if days else 0)


@pytest.mark.parametrize("custom", ["0", "", "soon"])
def test_cadence_picker_rejects_bad_custom_days_on_the_person_page(
    app, owner, user, meet, custom
):
    contact = meet(user, keep_in_touch_days=90)
    response = owner.form(
        f"/people/{contact}/cadence", {"cadence": "custom", "custom_days": custom}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    # The person's own page, the error beside the field, the choice kept.
    assert "Keep in touch" in html and "We talked" in html
    assert "Give a number of days from 1 to 3650." in html
    assert 'value="custom" checked' in html
    with app.app_context():
        assert db.session.get(Contact, contact).keep_in_touch_days == 90


def test_a_number_typed_without_choosing_every_sets_it(app, owner, user, meet):
    contact = meet(user)
    form = {"cadence": "none", "custom_days": "45"}
    assert owner.form(f"/people/{contact}/cadence", form).status_code == 302
    with app.app_context():
        assert db.session.get(Contact, contact).keep_in_touch_days == 45
    # "Not needed" with the stored number still in the field turns it off.
    assert owner.form(f"/people/{contact}/cadence", form).status_code == 302
    with app.app_context():
        assert db.session.get(Contact, contact).keep_in_touch_days is None


def test_person_page_shows_followups_and_the_forms(app, owner, user, meet):
    contact = meet(user)
    response = owner.get(f"/people/{contact}")
    if response.status_code == 404:
        pytest.skip("the person page is not installed")
    html = response.get_data(as_text=True)
    assert "Follow-ups" in html and "We talked" in html and "Keep in touch" in html
    assert f'action="/people/{contact}/cadence"' in html


def test_event_page_shows_the_score(app, owner, user, meet, clock):
    with app.app_context():
        event = Event(user_id=user, name="PyCon", date=dt.date(2026, 11, 20))
        db.session.add(event)
        db.session.commit()
        event_id = event.id
    meet(user, event_id=event_id, promise="a link")
    clock.set(dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC))
    response = owner.get(f"/events/{event_id}")
    if response.status_code == 404:
        pytest.skip("the event page is not installed")
    html = response.get_data(as_text=True)
    assert "0 of 1</strong> followed up within 48 h" in html
    assert "1 promise overdue" in html and "a link" in html


def test_templates_page_edits_resets_and_explains(app, owner, user):
    html = owner.get("/settings/templates").get_data(as_text=True)
    assert "{talked_about}" in html and "optional" in html
    assert "Message templates" in owner.get("/settings").get_data(as_text=True)
    response = owner.form(
        "/settings/templates",
        {
            "kind": "thank_you",
            "action": "save",
            "subject": "Hi",
            "body": "Hello {first_name}[, re {talked_about}]",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        row = db.session.execute(db.select(Template)).scalar_one()
        assert (row.kind, row.body) == (
            "thank_you",
            "Hello {first_name}[, re {talked_about}]",
        )
    owner.form("/settings/templates", {"kind": "thank_you", "action": "reset"})
    with app.app_context():
        assert db.session.execute(db.select(Template)).first() is None


def test_templates_page_reports_an_unknown_placeholder(app, owner, user):
    response = owner.form(
        "/settings/templates",
        {"kind": "promise", "action": "save", "subject": "Hi", "body": "{nme}"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Unknown placeholder {nme}" in html
    # Said at the top of the long page too, with a way to the field.
    assert 'the Promise template needs a fix. <a href="#body-promise">' in html
    assert 'action="#t-promise"' in html
    with app.app_context():
        assert db.session.execute(db.select(Template)).first() is None


def test_templates_page_rejects_an_unknown_kind(owner):
    assert (
        owner.form("/settings/templates", {"kind": "x", "body": "y"}).status_code == 404
    )


def test_another_accounts_follow_up_cant_ride_along(
    app, owner, user, meet, clock, other_objects
):
    fid = ids(app, meet(user))["thank_you"]
    clock.set(DUE)
    form = {"also": str(other_objects["followup_id"])}
    assert owner.form(f"/queue/{fid}/done", form).status_code == 404
    assert status(app, fid)[0] == "pending"


@pytest.mark.parametrize("also", ["²", "9" * 5000, "-1", "0"])
def test_a_malformed_also_is_a_400_and_changes_nothing(
    app, owner, user, meet, clock, also
):
    fid = ids(app, meet(user))["thank_you"]
    clock.set(DUE)
    for action in ("done", "skip", "snooze"):
        response = owner.form(
            f"/queue/{fid}/{action}", {"also": also, "when": "tomorrow"}
        )
        assert response.status_code == 400, action
    assert status(app, fid) == ("pending", None)


def test_a_rewritten_thank_you_stays_a_message_of_its_own(
    app, owner, user, meet, clock
):
    contact = meet(user, promise="the slides")
    clock.set(DUE)
    thank_you = ids(app, contact)["thank_you"]
    owner.form(f"/queue/{thank_you}/edit", {"subject": "Hi", "body": "My own words"})
    html = owner.get("/queue").get_data(as_text=True)
    assert html.count('class="queue-item"') == 2 and 'name="also"' not in html


def test_a_promise_due_another_day_is_a_message_of_its_own(
    app, owner, user, meet, clock
):
    contact = meet(user, promise="the slides")
    with app.app_context():
        promise = db.session.get(FollowUp, ids(app, contact)["promise"])
        promise.due_at = promise.due_at - dt.timedelta(days=1)
        db.session.commit()
    clock.set(DUE)
    html = owner.get("/queue").get_data(as_text=True)
    assert html.count('class="queue-item"') == 2 and 'name="also"' not in html


def test_a_person_s_history_shows_one_entry_per_message_sent(
    app, owner, user, meet, clock
):
    contact = meet(user, promise="send her the slides")
    clock.set(DUE)
    followups = ids(app, contact)
    assert len(followups) == 2  # the promise and the thank-you: one message
    lead, other = sorted(followups.values())
    owner.form(f"/queue/{lead}/done", {"also": [other]})
    assert {status(app, i)[0] for i in followups.values()} == {"done"}
    clock.set(DUE + dt.timedelta(hours=2))
    owner.form(f"/people/{contact}/talked", {"note": "coffee"})
    html = owner.get(f"/people/{contact}").get_data(as_text=True)
    history = html.split("<h3>Interactions</h3>")[1].split("</ul>")[0]
    entries = re.findall(r"<span>([^<]*)</span>", history)
    assert len(entries) == 2, entries
    assert entries[0] == "Talked: coffee"
    assert entries[1] in (
        "Message sent: Promise and Thank-you",
        "Message sent: Thank-you and Promise",
    )
