"""The iCalendar feed of pending follow-ups."""

from __future__ import annotations

import datetime as dt

import icalendar

from app.extensions import db
from app.models import User
from tests.conftest import MET


def token_of(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).feed_token


def feed_events(app, client, user) -> list:
    response = client.get(f"/feed/{token_of(app, user)}.ics")
    assert response.status_code == 200
    return icalendar.Calendar.from_ical(response.data).walk("VEVENT")


def test_feed_has_one_event_per_morning_with_one_reminder(
    meet, app, client, user, clock
):
    clock.set(MET)
    meet(user, promise="the slides")
    meet(user, name="Ben Okafor", email="ben@example.com")
    response = client.get(f"/feed/{token_of(app, user)}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    events = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    # 09:00 in Berlin, the owner's follow-up hour, the morning after.
    assert event.decoded("DTSTART") == dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)
    assert str(event["SUMMARY"]) == "3 follow-ups are ready"
    alarms = event.walk("VALARM")
    assert len(alarms) == 1 and str(alarms[0]["ACTION"]) == "DISPLAY"
    description = str(event["DESCRIPTION"])
    assert "Promise: Ana Lima\n  Promised: the slides" in description
    assert (
        "Thank-you: Ana Lima" in description and "Thank-you: Ben Okafor" in description
    )
    assert "/queue" in description


def test_a_busy_morning_is_still_one_event_named_after_its_event(
    meet, app, api, client, user, clock
):
    clock.set(MET)
    event_id = api.post(
        "/api/v1/events", json={"name": "PyData Berlin", "date": "2026-11-20"}
    ).get_json()["id"]
    for n in range(14):
        meet(user, name=f"Person {n}", email=f"p{n}@example.com", event_id=event_id)
    events = feed_events(app, client, user)
    assert len(events) == 1
    assert str(events[0]["SUMMARY"]) == "14 follow-ups from PyData Berlin are ready"


def test_uid_and_dtstamp_stay_the_same_until_something_changes(
    meet, app, api, client, user, clock
):
    clock.set(MET)
    meet(user, promise="the slides", updated_at=MET)
    first = feed_events(app, client, user)[0]
    assert first.decoded("DTSTAMP") == MET
    clock.advance(hours=3)
    again = feed_events(app, client, user)[0]
    assert str(again["UID"]) == str(first["UID"]) == f"morning-{user}-20261121@morrow"
    assert again.decoded("DTSTAMP") == MET
    # Skipping one of the morning's two follow-ups changes its event.
    items = api.get("/api/v1/followups?due=all").get_json()["items"]
    api.post(f"/api/v1/followups/{items[0]['id']}/skip")
    (changed,) = feed_events(app, client, user)
    assert str(changed["SUMMARY"]) == "1 follow-up is ready"
    assert changed.decoded("DTSTAMP") == MET + dt.timedelta(hours=3)
    assert str(changed["UID"]) == str(first["UID"])


def test_separate_mornings_are_separate_events_and_afternoon_snoozes_wait(
    meet, app, api, client, user, clock
):
    clock.set(MET)
    meet(user, promise="the slides")
    items = api.get("/api/v1/followups?due=all").get_json()["items"]
    # Snoozed to 15:00 Berlin on the 22nd: it joins the 23rd's morning.
    api.post(
        f"/api/v1/followups/{items[0]['id']}/snooze",
        json={"until": "2026-11-22T15:00:00+01:00"},
    )
    events = sorted(feed_events(app, client, user), key=lambda e: e.decoded("DTSTART"))
    assert [e.decoded("DTSTART") for e in events] == [
        dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC),
    ]
    assert [str(e["SUMMARY"]) for e in events] == [
        "1 follow-up is ready",
        "1 follow-up is ready",
    ]


def test_newlines_in_names_and_promises_cannot_add_properties(
    meet, app, client, user, clock
):
    clock.set(MET)
    meet(
        user,
        name="Eve\r\nATTENDEE:mailto:x@evil.test\nX-EVIL:1",
        promise="slides\r\nBEGIN:VALARM\nACTION:AUDIO\nEND:VALARM",
    )
    response = client.get(f"/feed/{token_of(app, user)}.ics")
    calendar = icalendar.Calendar.from_ical(response.data)
    for event in calendar.walk("VEVENT"):
        assert "ATTENDEE" not in event and "X-EVIL" not in event
        assert len(event.walk("VALARM")) == 1
        assert str(event.walk("VALARM")[0]["ACTION"]) == "DISPLAY"
    (event,) = calendar.walk("VEVENT")
    assert "BEGIN:VALARM" in str(event["DESCRIPTION"])
    text = response.get_data(as_text=True)
    assert "\nX-EVIL" not in text and "\nATTENDEE" not in text


def test_done_followups_leave_the_feed(meet, app, api, client, user, clock):
    clock.set(MET)
    meet(user)
    items = api.get("/api/v1/followups?due=all").get_json()["items"]
    api.post(f"/api/v1/followups/{items[0]['id']}/done")
    calendar = icalendar.Calendar.from_ical(
        client.get(f"/feed/{token_of(app, user)}.ics").data
    )
    assert calendar.walk("VEVENT") == []


def test_wrong_token_is_404(app, client, user):
    assert client.get("/feed/not-the-token.ics").status_code == 404
    assert client.get(f"/feed/{token_of(app, user)}x.ics").status_code == 404


def test_feed_works_without_login_and_shows_only_its_owner(
    meet, app, client, user, make_user, clock
):
    clock.set(MET)
    other = make_user("other@example.com")
    meet(other, name="Someone Else")
    calendar = icalendar.Calendar.from_ical(
        client.get(f"/feed/{token_of(app, user)}.ics").data
    )
    assert calendar.walk("VEVENT") == []


def test_settings_show_the_link_and_reset_rotates_it(app, owner, client, user):
    old = token_of(app, user)
    page = owner.get("/settings/feed").get_data(as_text=True)
    assert f"/feed/{old}.ics" in page
    # One tap subscribes: the same link with the calendar scheme.
    assert f'href="webcal://localhost/feed/{old}.ics"' in page
    assert owner.get("/settings").get_data(as_text=True).count("Calendar feed") == 1
    response = owner.form("/settings/feed", {})
    assert response.status_code == 302
    new = token_of(app, user)
    assert new != old
    assert client.get(f"/feed/{old}.ics").status_code == 404
    assert client.get(f"/feed/{new}.ics").status_code == 200
    me = owner.get("/api/v1/me").get_json()
    assert me["calendar_feed_url"].endswith(f"/feed/{new}.ics")


def test_feed_settings_need_login(client, user):
    response = client.get("/settings/feed")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
