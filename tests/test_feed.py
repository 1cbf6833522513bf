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


def test_feed_lists_pending_followups_with_reminders(meet, app, client, user, clock):
    clock.set(MET)
    meet(user, promise="the slides")
    response = client.get(f"/feed/{token_of(app, user)}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    for event in events:
        assert event.decoded("DTSTART") == dt.datetime(
            2026, 11, 21, 8, 0, tzinfo=dt.UTC
        )
        alarms = event.walk("VALARM")
        assert len(alarms) == 1 and str(alarms[0]["ACTION"]) == "DISPLAY"
    assert sorted(str(e["SUMMARY"]) for e in events) == [
        "Promise: Ana Lima",
        "Thank-you: Ana Lima",
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
    promise = [e for e in calendar.walk("VEVENT") if "Promise" in str(e["SUMMARY"])]
    assert "BEGIN:VALARM" in str(promise[0]["DESCRIPTION"])
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
