"""Dates in the window 1900-01-01 to 2200-12-31: refused outside it, safe at its ends.

Rows written before the window was enforced may hold any date; pages and the
API must still answer them (computing with the window's nearest day).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.models import Contact, Event, FollowUp
from app.scheduling import schedule_followups
from tests.conftest import assert_api_error

WINDOW = "1900-01-01 to 2200-12-31"
# UTC-12 and UTC+14, the ends of the world's time zones.
ZONES = ["Etc/GMT+12", "Pacific/Kiritimati"]
OUTSIDE_DAYS = ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"]
OUTSIDE_MOMENTS = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00",
    "1899-12-31T23:59:59Z",
    "2201-01-01T00:00:00-12:00",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59",
]


def assert_window_error(response, field: str):
    body = assert_api_error(response, 422, "unprocessable", field)
    assert WINDOW in body["error"]["fields"][field], body


@pytest.mark.parametrize("day", OUTSIDE_DAYS)
def test_an_event_date_outside_the_window_is_422_naming_it(api, day):
    assert_window_error(
        api.post("/api/v1/events", json={"name": "X", "date": day}), "date"
    )
    made = api.post("/api/v1/events", json={"name": "X", "date": "2026-03-10"})
    url = f"/api/v1/events/{made.get_json()['id']}"
    assert_window_error(api.patch(url, json={"date": day}), "date")
    assert api.get(url).get_json()["date"] == "2026-03-10"


@pytest.mark.parametrize("moment", OUTSIDE_MOMENTS)
def test_a_met_at_outside_the_window_is_422_naming_it(api, app, moment):
    capture = {"id": str(uuid.uuid4()), "name": "Far", "met_at": moment}
    assert_window_error(api.post("/api/v1/contacts", json=capture), "met_at")
    person = api.post("/api/v1/contacts", json={"name": "Near"}).get_json()
    url = f"/api/v1/contacts/{person['id']}"
    assert_window_error(api.patch(url, json={"met_at": moment}), "met_at")
    assert api.get(url).get_json()["met_at"] == person["met_at"]


@pytest.mark.parametrize("until", [*OUTSIDE_DAYS, *OUTSIDE_MOMENTS])
def test_a_snooze_outside_the_window_is_422(api, user, meet, clock, until):
    meet(user)
    clock.set(dt.datetime(2026, 11, 22, tzinfo=dt.UTC))
    fid = api.get("/api/v1/followups").get_json()["items"][0]["id"]
    response = api.post(f"/api/v1/followups/{fid}/snooze", json={"until": until})
    assert_window_error(response, "until")


def test_a_json_import_time_outside_the_window_names_it(api):
    export = api.get("/api/v1/export.json").get_json()
    export["people"] = [{"id": "p1", "name": "Old", "met_at": "0001-01-01T00:00+14:00"}]
    response = api.post("/api/v1/import.json", json=export)
    body = assert_api_error(response, 400, field="met_at")
    assert WINDOW in body["error"]["fields"]["met_at"]
    assert api.get("/api/v1/contacts").get_json()["items"] == []


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("hour", [0, 23])
def test_the_window_ends_work_everywhere_in_every_zone(
    app, api, owner, user, clock, zone, hour
):
    """Captures on the first and last days, at the follow-up hour, in UTC-12..+14."""
    api.patch("/api/v1/me", json={"timezone": zone, "followup_hour": hour})
    for day, met in (
        ("1900-01-01", "1900-01-01T00:00"),
        ("2200-12-31", "2200-12-31T23:59"),
    ):
        event = api.post("/api/v1/events", json={"name": day, "date": day}).get_json()
        for event_id in (event["id"], None):
            response = api.post(
                "/api/v1/contacts",
                json={"name": f"At {met}", "email": "a@example.com", "promise": "slides",
                      "met_at": met, "event_id": event_id},
            )  # fmt: skip
            assert response.status_code == 201, response.get_json()
            shown = dt.datetime.fromisoformat(response.get_json()["met_at"])
            assert shown.utcoffset() == dt.timedelta(0)  # API times are UTC
            assert shown.astimezone(ZoneInfo(zone)).isoformat().startswith(met)
        assert api.get(f"/api/v1/events/{event['id']}/score").status_code == 200
        assert owner.get(f"/events/{event['id']}").status_code == 200
    clock.set(dt.datetime(2195, 1, 1, tzinfo=dt.UTC))
    items = api.get("/api/v1/followups?due=all&status=all&limit=200").get_json()[
        "items"
    ]
    assert items
    snoozed = api.post(
        f"/api/v1/followups/{items[0]['id']}/snooze", json={"until": "2200-12-31"}
    )
    assert snoozed.status_code == 200, snoozed.get_json()
    for url in ("/api/v1/contacts", "/api/v1/events", "/api/v1/followups?due=all"):
        assert api.get(url).status_code == 200, url
    for url in ("/queue", "/people", "/events"):
        assert owner.get(url).status_code == 200, url


def insert_event(app, user_id: int, day: dt.date) -> int:
    with app.app_context():
        event = Event(user_id=user_id, name="Written long ago", date=day)
        db.session.add(event)
        db.session.commit()
        return event.id


@pytest.mark.parametrize("day", [dt.date(9999, 12, 31), dt.date(1, 1, 1)])
def test_an_event_stored_outside_the_window_still_answers(app, api, owner, user, day):
    event_id = insert_event(app, user, day)
    person = api.post(
        "/api/v1/contacts",
        json={"name": "Ana", "email": "ana@example.com", "promise": "slides",
              "event_id": event_id},
    )  # fmt: skip
    assert person.status_code == 201, person.get_json()
    assert api.get(f"/api/v1/events/{event_id}/score").status_code == 200
    assert api.get(f"/api/v1/events/{event_id}").get_json()["date"] == day.isoformat()
    assert api.get("/api/v1/events").status_code == 200
    assert owner.get(f"/events/{event_id}").status_code == 200
    assert owner.get("/events").status_code == 200
    assert owner.get(f"/people/{person.get_json()['id']}").status_code == 200
    assert owner.get("/queue").status_code == 200


@pytest.mark.parametrize(
    "met_at",
    [
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC),
    ],
)
def test_a_person_stored_outside_the_window_still_answers_in_any_zone(
    app, api, owner, user, clock, met_at
):
    with app.app_context():
        contact = Contact(
            user_id=user, name="Old", email="old@example.com", promise="slides",
            met_at=met_at, created_at=met_at, updated_at=met_at,
            last_interaction_at=met_at, keep_in_touch_days=30,
        )  # fmt: skip
        db.session.add(contact)
        db.session.flush()
        schedule_followups(contact, now=clock())
        db.session.add(
            FollowUp(user_id=user, contact_id=contact.id, kind="promise", key="old",
                     due_at=met_at, status="pending", created_at=met_at)
        )  # fmt: skip
        db.session.commit()
        contact_id = contact.id
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12"):
        assert api.patch("/api/v1/me", json={"timezone": zone}).status_code == 200
        listed = api.get("/api/v1/contacts")
        assert listed.status_code == 200
        assert listed.get_json()["items"][0]["id"] == contact_id
        for url in (f"/api/v1/contacts/{contact_id}", "/api/v1/followups?due=all"):
            assert api.get(url).status_code == 200, url
        for url in (f"/people/{contact_id}", f"/people/{contact_id}/edit", "/queue",
                    "/people", "/"):  # fmt: skip
            assert owner.get(url).status_code == 200, url
        edited = api.patch(f"/api/v1/contacts/{contact_id}", json={"notes": "kept"})
        assert edited.status_code == 200
    with app.app_context():
        assert db.session.get(Contact, contact_id).met_at == met_at  # not rewritten


def cursor(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


@pytest.mark.parametrize(
    ("url", "values"),
    [
        ("/api/v1/contacts", ["0001-01-01T00:00:00+14:00", "x"]),
        ("/api/v1/contacts", ["9999-12-31T23:59:59-12:00", "x"]),
        ("/api/v1/followups", ["0001-01-01T00:00:00+14:00", 1]),
        ("/api/v1/followups", ["2026-01-01T00:00:00+00:00", 10**30]),
        ("/api/v1/events", ["2026-01-01", 10**30]),
    ],
)
def test_extreme_cursors_are_400(api, url, values):
    assert_api_error(api.get(f"{url}?cursor={cursor(*values)}"), 400, field="cursor")


def test_a_cursor_at_a_stored_year_one_row_still_pages(app, api, user):
    for n in range(3):
        api.post("/api/v1/contacts", json={"name": f"New {n}"})
    with app.app_context():
        old = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
        db.session.add_all(
            Contact(user_id=user, name=f"Old {n}", met_at=old, created_at=old,
                    updated_at=old)
            for n in range(3)
        )  # fmt: skip
        db.session.commit()
    seen, url = [], "/api/v1/contacts?limit=2"
    while url:
        page = api.get(url)
        assert page.status_code == 200, page.get_json()
        seen += [p["name"] for p in page.get_json()["items"]]
        following = page.get_json()["next"]
        url = f"/api/v1/contacts?limit=2&cursor={following}" if following else None
    assert sorted(seen) == [f"{a} {n}" for a in ("New", "Old") for n in range(3)]


@pytest.mark.parametrize("day", ["1899-12-31", "2201-01-01", "9999-12-31"])
def test_the_event_forms_name_the_window(owner, day):
    response = owner.form("/events", {"name": "Far", "date": day})
    assert response.status_code == 400
    assert WINDOW in response.get_data(as_text=True)


@pytest.mark.parametrize("met_at", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_the_capture_form_names_the_window(owner, met_at):
    response = owner.form("/capture", {"name": "Far", "met_at": met_at})
    assert response.status_code == 400
    assert WINDOW in response.get_data(as_text=True)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_snooze_form_refuses_a_date_outside_the_window(
    owner, user, meet, clock, day
):
    meet(user)
    clock.set(dt.datetime(2026, 11, 22, tzinfo=dt.UTC))
    with owner.app.app_context():
        fid = db.session.execute(db.select(FollowUp.id)).scalars().first()
    response = owner.form(f"/queue/{fid}/snooze", {"when": "date", "date": day})
    assert response.status_code in (302, 303)
    page = owner.get("/queue").get_data(as_text=True)
    assert "Not snoozed" in page and WINDOW in page


def test_the_window_helper_judges_the_day_as_written():
    from app.validation import Unusable, in_date_window

    kiritimati = dt.timezone(dt.timedelta(hours=14))
    first = dt.datetime(1900, 1, 1, tzinfo=kiritimati)
    assert in_date_window(first, "met_at") is first  # 1899-12-31 in UTC
    with pytest.raises(Unusable):
        in_date_window(dt.date(1899, 12, 31), "date")


def test_the_capture_form_swaps_an_unusable_id_for_a_new_one(
    app, owner, make_user, token_for, client
):
    other = {"Authorization": f"Bearer {token_for(make_user())}"}
    theirs = client.post("/api/v1/contacts", json={"name": "T"}, headers=other)
    taken = theirs.get_json()["id"]
    refused = owner.form("/capture", {"name": "Ana", "id": taken})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert taken not in page
    fresh = page.split('name="id" value="')[1].split('"')[0]
    saved = owner.form("/capture", {"name": "Ana", "id": fresh})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Contact, fresh).name == "Ana"
