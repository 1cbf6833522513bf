"""Due times and the follow-ups each person gets (DESIGN §3)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Contact, Event, FollowUp, Interaction, User
from app.scheduling import due_at, event_day, log_interaction, schedule_followups

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def local(zone, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


@pytest.mark.parametrize(
    ("met_local", "event_date", "now_local", "expected_local"),
    [
        # after-party: 01:30 on Saturday belongs to Friday, due Saturday 09:00
        ((2026, 11, 21, 1, 30), None, (2026, 11, 21, 2, 0), (2026, 11, 21, 9, 0)),
        # 03:59 still the day before; 04:00 is the new day
        ((2026, 11, 21, 3, 59), None, (2026, 11, 21, 4, 0), (2026, 11, 21, 9, 0)),
        ((2026, 11, 21, 4, 0), None, (2026, 11, 21, 4, 5), (2026, 11, 22, 9, 0)),
        # an evening capture is due the next morning
        ((2026, 11, 20, 21, 15), None, (2026, 11, 20, 21, 16), (2026, 11, 21, 9, 0)),
        # with an event: the event's date decides, not met_at
        (
            (2026, 11, 20, 21, 15),
            dt.date(2026, 11, 19),
            (2026, 11, 19, 8, 0),
            (2026, 11, 20, 9, 0),
        ),
        # no event, captured at noon
        ((2026, 11, 20, 12, 0), None, (2026, 11, 20, 12, 0), (2026, 11, 21, 9, 0)),
        # captured after the due moment: due at once
        ((2026, 11, 20, 20, 0), None, (2026, 11, 23, 10, 30), (2026, 11, 23, 10, 30)),
        (
            (2026, 11, 21, 2, 0),
            dt.date(2026, 11, 1),
            (2026, 11, 21, 2, 5),
            (2026, 11, 21, 2, 5),
        ),
    ],
)
def test_due_time_rule(met_local, event_date, now_local, expected_local):
    met_at = local(BERLIN, *met_local).astimezone(UTC)
    now = local(BERLIN, *now_local).astimezone(UTC)
    day = event_day(met_at, BERLIN, event_date)
    due = due_at(day, BERLIN, 9, now)
    assert due == local(BERLIN, *expected_local)
    assert due.tzinfo is not None and due.utcoffset() == dt.timedelta(0)


def test_due_time_is_stored_in_utc_across_the_autumn_change():
    # 25 Oct 2026 is the Berlin change day: 09:00 on the 26th is CET (UTC+1).
    due = due_at(dt.date(2026, 10, 25), BERLIN, 9, dt.datetime(2026, 10, 1, tzinfo=UTC))
    assert due == dt.datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    due = due_at(dt.date(2026, 10, 24), BERLIN, 9, dt.datetime(2026, 10, 1, tzinfo=UTC))
    assert due == dt.datetime(2026, 10, 25, 8, 0, tzinfo=UTC)


ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "UTC",
]
CHANGE_DAYS = [
    dt.date(2026, 3, 29),
    dt.date(2026, 10, 25),
    dt.date(2026, 3, 8),
    dt.date(2026, 11, 1),
    dt.date(2026, 4, 5),
    dt.date(2026, 10, 4),
]


@settings(max_examples=300, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    base=st.sampled_from(CHANGE_DAYS),
    offset_days=st.integers(-2, 2),
    minutes=st.integers(0, 24 * 60 - 1),
    hour=st.integers(0, 23),
    with_event=st.booleans(),
    now_after=st.integers(-3 * 24 * 60, 5 * 24 * 60),
)
def test_due_local_time_is_followup_hour_on_the_next_day(
    zone_name, base, offset_days, minutes, hour, with_event, now_after
):
    zone = ZoneInfo(zone_name)
    naive = dt.datetime.combine(base + dt.timedelta(days=offset_days), dt.time(0))
    met_at = (naive + dt.timedelta(minutes=minutes)).replace(tzinfo=zone)
    met_at = met_at.astimezone(UTC)
    event_date = base if with_event else None
    now = met_at + dt.timedelta(minutes=now_after)
    day = event_day(met_at, zone, event_date)
    if event_date is None:
        local_met = met_at.astimezone(zone)
        expected_day = local_met.date() - dt.timedelta(days=local_met.hour < 4)
        assert day == expected_day
    due = due_at(day, zone, hour, now)
    assert due >= now
    assert due.utcoffset() == dt.timedelta(0)
    if (
        due == now
        and due_at(day, zone, hour, dt.datetime.min.replace(tzinfo=UTC)) < now
    ):
        return
    shown = due.astimezone(zone)
    assert shown.date() == day + dt.timedelta(days=1)
    wanted = dt.datetime.combine(shown.date(), dt.time(hour), tzinfo=zone)
    exists = wanted.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == (
        wanted.replace(tzinfo=None)
    )
    if exists:
        assert (shown.hour, shown.minute) == (hour, 0)
        # Of two equal wall times (clocks going back) the first is chosen.
        assert due == wanted.replace(fold=0).astimezone(UTC)
    else:
        # Clocks jumped over the hour: due right after the jump, within an hour.
        assert shown.replace(tzinfo=None) > wanted.replace(tzinfo=None)
        assert shown.replace(tzinfo=None) - wanted.replace(tzinfo=None) <= dt.timedelta(
            hours=1
        )


# ---- scheduling against the database ----------------------------------------


@pytest.fixture
def ctx(app, user):
    with app.app_context():
        yield db.session.get(User, user)


NOW = dt.datetime(2026, 11, 20, 20, 0, tzinfo=UTC)


def person(owner: User, **fields) -> Contact:
    values = {"name": "Ana Lima", "email": "ana@example.com", "met_at": NOW}
    values.update(fields)
    contact = Contact(user_id=owner.id, **values)
    db.session.add(contact)
    db.session.flush()
    return contact


def keys(contact: Contact) -> dict[str, FollowUp]:
    rows = db.session.execute(
        db.select(FollowUp).filter_by(contact_id=contact.id)
    ).scalars()
    return {f.key: f for f in rows}


def test_person_met_gets_a_thank_you_due_next_morning(ctx):
    contact = person(ctx)
    schedule_followups(contact, now=NOW)
    followups = keys(contact)
    assert set(followups) == {"thank_you"}
    assert followups["thank_you"].kind == "thank_you"
    assert followups["thank_you"].due_at == local(BERLIN, 2026, 11, 21, 9, 0)


def test_scheduling_twice_creates_nothing_new(ctx):
    intro = person(ctx, name="Bo", email="bo@example.com")
    contact = person(
        ctx, promise="the deck", introduced_by_id=intro.id, keep_in_touch_days=90
    )
    db.session.refresh(contact)
    schedule_followups(contact, now=NOW)
    first = db.session.execute(db.select(FollowUp.id, FollowUp.key, FollowUp.due_at))
    first = sorted(first.all())
    schedule_followups(contact, now=NOW + dt.timedelta(days=3))
    schedule_followups(contact, now=NOW + dt.timedelta(days=3))
    again = sorted(
        db.session.execute(db.select(FollowUp.id, FollowUp.key, FollowUp.due_at)).all()
    )
    assert again == first
    assert {row.key for row in first} == {
        "thank_you",
        "promise",
        "kit:1",
        f"intro:{contact.id}",
    }


def test_intro_thanks_goes_to_the_introducer_about_the_new_person(ctx):
    intro = person(ctx, name="Bo Chen", email="bo@example.com")
    contact = person(ctx, introduced_by_id=intro.id)
    db.session.refresh(contact)
    schedule_followups(contact, now=NOW)
    followup = keys(intro)[f"intro:{contact.id}"]
    assert followup.kind == "intro_thanks"
    assert followup.about_contact_id == contact.id


def test_unreachable_introducer_gets_no_intro_thanks(ctx):
    intro = person(ctx, name="Bo Chen", email="")
    contact = person(ctx, introduced_by_id=intro.id)
    db.session.refresh(contact)
    schedule_followups(contact, now=NOW)
    assert keys(intro) == {}


def test_imported_people_get_no_thank_you_but_keep_in_touch(ctx):
    contact = person(
        ctx,
        source="import",
        keep_in_touch_days=30,
        met_at=dt.datetime(2026, 1, 5, tzinfo=UTC),
    )
    schedule_followups(contact, now=NOW)
    followups = keys(contact)
    assert set(followups) == {"kit:1"}
    assert followups["kit:1"].due_at == NOW  # long overdue: due at once


def test_person_without_a_way_to_reach_gets_nothing(ctx):
    contact = person(ctx, email="", promise="the deck")
    schedule_followups(contact, now=NOW)
    assert keys(contact) == {}


def test_adding_a_promise_later_adds_a_promise_followup(ctx):
    contact = person(ctx)
    schedule_followups(contact, now=NOW)
    contact.promise = "intro to Carla"
    schedule_followups(contact, now=NOW + dt.timedelta(hours=1))
    assert set(keys(contact)) == {"thank_you", "promise"}
    assert keys(contact)["promise"].due_at == local(BERLIN, 2026, 11, 21, 9, 0)


def test_removing_the_way_to_reach_deletes_pending_but_keeps_history(ctx):
    contact = person(ctx, promise="the deck")
    schedule_followups(contact, now=NOW)
    keys(contact)["promise"].status = "done"
    contact.email = ""
    schedule_followups(contact, now=NOW)
    assert {k: f.status for k, f in keys(contact).items()} == {"promise": "done"}


def test_done_and_skipped_are_never_reopened_or_retimed(ctx):
    contact = person(ctx, promise="the deck")
    schedule_followups(contact, now=NOW)
    thanks, promise = keys(contact)["thank_you"], keys(contact)["promise"]
    thanks.status, promise.status = "done", "skipped"
    before = (thanks.due_at, promise.due_at)
    contact.met_at = NOW - dt.timedelta(days=10)
    schedule_followups(contact, now=NOW)
    assert (thanks.status, promise.status) == ("done", "skipped")
    assert (thanks.due_at, promise.due_at) == before


def test_editing_met_at_or_event_retimes_pending_untouched_only(ctx):
    contact = person(ctx, promise="the deck")
    schedule_followups(contact, now=NOW)
    snoozed = keys(contact)["promise"]
    later = dt.datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    snoozed.snoozed_until = snoozed.due_at = later
    event = Event(user_id=ctx.id, name="Meetup", date=dt.date(2026, 11, 25))
    db.session.add(event)
    db.session.flush()
    contact.event_id = event.id
    db.session.refresh(contact)
    contact.met_at = dt.datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
    schedule_followups(contact, now=NOW + dt.timedelta(hours=2))
    assert keys(contact)["thank_you"].due_at == local(BERLIN, 2026, 11, 26, 9, 0)
    assert keys(contact)["promise"].due_at == later


def test_keep_in_touch_is_due_cadence_days_after_last_interaction(ctx):
    contact = person(
        ctx,
        keep_in_touch_days=30,
        last_interaction_at=dt.datetime(2026, 11, 10, 15, 0, tzinfo=UTC),
    )
    schedule_followups(contact, now=NOW)
    assert keys(contact)["kit:1"].due_at == local(BERLIN, 2026, 12, 10, 9, 0)


def test_we_talked_resets_the_keep_in_touch_clock(ctx):
    contact = person(ctx, keep_in_touch_days=30)
    schedule_followups(contact, now=NOW)
    talked = NOW + dt.timedelta(days=20)
    log_interaction(contact, "talked", "coffee", talked)
    assert contact.last_interaction_at == talked
    kits = {k: f for k, f in keys(contact).items() if k.startswith("kit:")}
    assert list(kits) == ["kit:1"]
    assert kits["kit:1"].due_at == local(BERLIN, 2027, 1, 9, 9, 0)
    assert db.session.execute(db.select(Interaction.note)).scalars().all() == ["coffee"]


def test_after_a_keep_in_touch_is_done_the_next_one_is_scheduled(ctx):
    contact = person(ctx, keep_in_touch_days=30)
    schedule_followups(contact, now=NOW)
    kit = keys(contact)["kit:1"]
    kit.status = "done"
    done = kit.due_at
    log_interaction(contact, "followup", "keep_in_touch", done)
    pending = [
        f
        for f in keys(contact).values()
        if f.status == "pending" and f.kind == "keep_in_touch"
    ]
    assert [f.key for f in pending] == ["kit:2"]
    assert pending[0].due_at == local(BERLIN, 2027, 1, 19, 9, 0)


def test_a_skipped_keep_in_touch_comes_back_one_cycle_later(ctx):
    contact = person(ctx, keep_in_touch_days=30)
    schedule_followups(contact, now=NOW)
    kit = keys(contact)["kit:1"]
    kit.status = "skipped"
    schedule_followups(contact, now=kit.due_at)
    assert keys(contact)["kit:2"].due_at == local(BERLIN, 2027, 1, 19, 9, 0)


def test_turning_keep_in_touch_off_removes_the_pending_one(ctx):
    contact = person(ctx, keep_in_touch_days=30)
    schedule_followups(contact, now=NOW)
    contact.keep_in_touch_days = None
    schedule_followups(contact, now=NOW)
    assert set(keys(contact)) == {"thank_you"}
