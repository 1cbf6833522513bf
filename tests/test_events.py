"""Events: CRUD through the API and the pages, the active and default rules."""

from __future__ import annotations

import datetime as dt

import pytest

from app.events import default_event, event_day
from app.extensions import db
from app.models import User
from tests.conftest import assert_api_error

URL = "/api/v1/events"


def make_event(api, **fields):
    fields.setdefault("name", "PyCon")
    fields.setdefault("date", "2026-03-10")
    response = api.post(URL, json=fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_event_crud_through_the_api(api):
    event = make_event(api, place="Berlin", notes="Hall B")
    assert event == {
        "id": event["id"],
        "name": "PyCon",
        "date": "2026-03-10",
        "place": "Berlin",
        "notes": "Hall B",
        "active": False,
    }
    changed = api.patch(f"{URL}/{event['id']}", json={"name": "PyCon DE"}).get_json()
    assert changed["name"] == "PyCon DE" and changed["place"] == "Berlin"
    assert api.get(f"{URL}/{event['id']}").get_json()["name"] == "PyCon DE"
    assert api.delete(f"{URL}/{event['id']}").status_code == 204
    assert_api_error(api.get(f"{URL}/{event['id']}"), 404)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "", "date": "2026-03-10"}, "name"),
        ({"name": "x" * 141, "date": "2026-03-10"}, "name"),
        ({"name": "A", "date": "10/03/2026"}, "date"),
        ({"name": "A"}, "date"),
        ({"name": "A", "date": "2026-03-10", "active": "maybe"}, "active"),
        ({"name": "A", "date": "2026-03-10", "colour": "red"}, "colour"),
    ],
)
def test_invalid_event_names_the_field(api, payload, field):
    assert_api_error(api.post(URL, json=payload), 400, "validation_error", field)


def test_only_one_event_is_active(api):
    first = make_event(api, name="One", active=True)
    second = make_event(api, name="Two", active=True)
    assert api.get(f"{URL}/{first['id']}").get_json()["active"] is False
    api.patch(f"{URL}/{first['id']}", json={"active": True})
    assert api.get(f"{URL}/{second['id']}").get_json()["active"] is False
    assert api.get(f"{URL}/{first['id']}").get_json()["active"] is True


def test_events_list_pages_newest_date_first(api):
    for day in (1, 3, 2):
        make_event(api, name=f"Day {day}", date=f"2026-03-0{day}")
    page = api.get(f"{URL}?limit=2").get_json()
    assert [e["name"] for e in page["items"]] == ["Day 3", "Day 2"]
    rest = api.get(f"{URL}?limit=2&cursor={page['next']}").get_json()
    assert [e["name"] for e in rest["items"]] == ["Day 1"] and rest["next"] is None


def test_another_accounts_event_is_404(api, client, make_user, token_for):
    other = {"Authorization": f"Bearer {token_for(make_user())}"}
    theirs = client.post(URL, json={"name": "T", "date": "2026-03-10"}, headers=other)
    event_id = theirs.get_json()["id"]
    assert_api_error(api.get(f"{URL}/{event_id}"), 404)
    assert_api_error(api.patch(f"{URL}/{event_id}", json={"name": "x"}), 404)
    assert_api_error(api.delete(f"{URL}/{event_id}"), 404)
    assert_api_error(api.get(f"/api/v1/contacts?event_id={event_id}"), 404)
    assert api.get(URL).get_json()["items"] == []


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (
            dt.datetime(2026, 3, 10, 22, 30, tzinfo=dt.UTC),
            dt.date(2026, 3, 10),
        ),  # 23:30
        (
            dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC),
            dt.date(2026, 3, 10),
        ),  # 00:30
        (dt.datetime(2026, 3, 11, 2, 59, tzinfo=dt.UTC), dt.date(2026, 3, 10)),  # 03:59
        (dt.datetime(2026, 3, 11, 3, 0, tzinfo=dt.UTC), dt.date(2026, 3, 11)),  # 04:00
    ],
)
def test_event_day_uses_the_owners_zone_and_the_after_party_rule(
    app, user, utc, expected
):
    with app.app_context():
        assert event_day(db.session.get(User, user), utc) == expected


def test_default_event_is_the_active_one_else_todays_in_the_owners_zone(api, app, user):
    make_event(api, name="Tenth", date="2026-03-10")
    make_event(api, name="Eleventh", date="2026-03-11")
    with app.app_context():
        owner = db.session.get(User, user)
        # 23:30 UTC on the 10th is already the 11th in Berlin.
        late = dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC)
        morning = dt.datetime(2026, 3, 11, 8, 0, tzinfo=dt.UTC)
        assert default_event(owner, morning).name == "Eleventh"
        assert default_event(owner, late).name == "Tenth"  # 00:30 counts for the 10th
        assert default_event(owner, morning + dt.timedelta(days=5)) is None
    make_event(api, name="Active", date="2026-03-11", active=True)
    make_event(api, name="Also on the 11th", date="2026-03-11")
    with app.app_context():
        assert default_event(db.session.get(User, user), morning).name == "Active"


# Saturday 14 March 2026 in Berlin (UTC+1).
SATURDAY = dt.date(2026, 3, 14)


def berlin(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour - 1, minute, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("when", "todays", "expected"),
    [
        (berlin(14, 23), False, "Saturday party"),
        (berlin(15, 3, 30), False, "Saturday party"),  # the after-party
        (berlin(15, 10), False, None),
        (berlin(15, 10), True, "Sunday brunch"),
        (berlin(17, 10), False, None),
    ],
    ids=["sat-23:00", "sun-03:30", "sun-10:00", "sun-10:00-todays", "tue"],
)
def test_an_active_event_ends_with_its_day(api, app, user, when, todays, expected):
    make_event(api, name="Saturday party", date=SATURDAY.isoformat(), active=True)
    if todays:
        make_event(api, name="Sunday brunch", date="2026-03-15")
    with app.app_context():
        found = default_event(db.session.get(User, user), when)
        assert (found.name if found else None) == expected


def test_the_day_after_captures_are_not_filed_under_yesterdays_active_event(
    api, owner, clock
):
    make_event(api, name="Saturday party", date=SATURDAY.isoformat(), active=True)
    clock.set(berlin(15, 10))
    assert "Saturday party" not in owner.get("/").get_data(as_text=True)
    person = api.post(
        "/api/v1/contacts", json={"name": "Sunday Sam", "email": "sam@example.com"}
    ).get_json()
    assert person["event_id"] is None
    queue = api.get("/api/v1/followups?due=all").get_json()["items"]
    # Due Monday 09:00 in Berlin, not at once as if met on Saturday.
    assert [f["due_at"] for f in queue] == ["2026-03-16T08:00:00+00:00"]
    assert "Saturday party" not in queue[0]["draft"]["body"]
    clock.set(berlin(15, 3, 30))
    assert "Saturday party" in owner.get("/").get_data(as_text=True)


def test_an_active_event_still_to_come_waits_for_its_day(api, owner, app, user, clock):
    clock.set(dt.datetime(2026, 3, 10, 18, 0, tzinfo=dt.UTC))
    tonight = make_event(api, name="Tonight", date="2026-03-10")
    make_event(api, name="Conf next week", date="2026-03-17", active=True)
    person = api.post(
        "/api/v1/contacts",
        json={"name": "Met tonight", "email": "tonight@example.com"},
    ).get_json()
    assert person["event_id"] == tonight["id"]
    # Their thank-you is due tomorrow at 09:00 in Berlin, not after next week.
    queue = api.get("/api/v1/followups?due=all").get_json()["items"]
    assert [f["due_at"] for f in queue] == ["2026-03-11T08:00:00+00:00"]
    home = owner.get("/").get_data(as_text=True)
    assert "Tonight" in home and "Conf next week" not in home
    clock.set(dt.datetime(2026, 3, 17, 10, 0, tzinfo=dt.UTC))
    with app.app_context():
        owner = db.session.get(User, user)
        assert default_event(owner, clock()).name == "Conf next week"
        # From midnight on its day (00:30 in Berlin), after-party hours or not.
        just_after_midnight = dt.datetime(2026, 3, 16, 23, 30, tzinfo=dt.UTC)
        assert default_event(owner, just_after_midnight).name == "Conf next week"
        # It ends with its day: the day after goes to that day's event, if any.
        later = clock() + dt.timedelta(days=1)
        assert default_event(owner, later) is None


def test_events_pages_create_activate_edit_and_delete(owner, app):
    page = owner.get("/events")
    assert page.status_code == 200 and b"New event" in page.data
    bad = owner.form("/events", {"name": "", "date": "2026-03-10"})
    assert bad.status_code == 400 and b"Give the event a name" in bad.data
    created = owner.form("/events", {"name": "Meetup", "date": "2026-03-10"})
    assert created.status_code == 302
    listed = owner.get("/events").get_data(as_text=True)
    assert (
        "Meetup" in listed and "Tue 10 Mar 2026" in listed
    )  # as a person reads a date
    owner.form("/events/1/active", {"active": "1"})
    assert b"Active" in owner.get("/events/1").data
    assert b"Meetup" in owner.get("/").data  # Home shows the active event
    edited = owner.form("/events/1", {"name": "Meetup 2", "date": "2026-03-11"})
    assert edited.status_code == 302
    assert b"Meetup 2" in owner.get("/events/1").data
    assert owner.get("/events/1/delete").status_code == 200
    assert owner.form("/events/1/delete", {}).status_code == 302
    assert owner.get("/events/1").status_code == 404


def test_another_accounts_event_pages_are_404(owner, login, make_user):
    stranger = login(make_user())
    stranger.form("/events", {"name": "Theirs", "date": "2026-03-10"})
    for url in ("/events/1", "/events/1/delete"):
        assert owner.get(url).status_code == 404
    for url in ("/events/1", "/events/1/active", "/events/1/delete"):
        assert owner.form(url, {"name": "x", "date": "2026-03-10"}).status_code == 404


def test_the_capture_service_itself_files_a_capture_under_the_days_event(
    api, app, user, clock
):
    """The day's event is the capture service's rule: no view has to pass it."""
    from app.contacts import create_contact

    tonight = make_event(api, name="Tonight", date="2026-03-10")
    with app.app_context():
        owner = db.session.get(User, user)
        person, created = create_contact(owner, {"name": "Ann"}, clock())
        assert created and person.event_id == tonight["id"]
        named_none, _ = create_contact(owner, {"name": "Bo", "event_id": None}, clock())
        assert named_none.event_id is None
