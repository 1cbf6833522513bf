"""The queue API: listing, actions, state machine, scores, and who sees what."""

from __future__ import annotations

import datetime as dt

import pytest

from app.extensions import db
from app.models import Contact, Event, FollowUp, Interaction
from tests.conftest import DUE, MET, assert_api_error


def followup_id(app, contact_id: str, key: str = "thank_you") -> int:
    with app.app_context():
        return db.session.execute(
            db.select(FollowUp.id).filter_by(contact_id=contact_id, key=key)
        ).scalar_one()


def test_queue_lists_followups_due_now_with_draft_channel_and_links(
    api, user, meet, clock
):
    meet(user, phone="+4915112345678", promise="the slides")
    assert api.get("/api/v1/followups").get_json() == {"items": [], "next": None}
    clock.set(DUE)
    body = api.get("/api/v1/followups").get_json()
    assert body["next"] is None
    assert [item["kind"] for item in body["items"]] == ["thank_you", "promise"]
    item = body["items"][0]
    assert set(item) >= {
        "id",
        "contact_id",
        "kind",
        "due_at",
        "status",
        "channel",
        "draft",
        "links",
        "snoozed_until",
        "done_at",
    }
    assert item["due_at"] == DUE.isoformat()
    assert item["status"] == "pending"
    assert item["channel"] == "email"
    assert set(item["draft"]) == {"subject", "body"}
    assert set(item["links"]) == {"email", "sms", "whatsapp"}
    assert item["links"]["whatsapp"].startswith("https://wa.me/4915112345678?text=")
    assert item["snoozed_until"] is None and item["done_at"] is None


def test_done_marks_sent_logs_an_interaction_and_sets_last_interaction(
    app, api, user, meet, clock
):
    contact_id = meet(user)
    fid = followup_id(app, contact_id)
    clock.set(DUE + dt.timedelta(minutes=5))
    response = api.post(f"/api/v1/followups/{fid}/done")
    assert response.status_code == 200
    assert response.get_json()["status"] == "done"
    assert response.get_json()["done_at"] == clock.current.isoformat()
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert contact.last_interaction_at == clock.current
        kinds = db.session.execute(db.select(Interaction.kind)).scalars().all()
        assert kinds == ["followup"]
    assert api.get("/api/v1/followups").get_json()["items"] == []
    done = api.get("/api/v1/followups?status=done&due=all").get_json()["items"]
    assert [d["id"] for d in done] == [fid]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("done", "snooze"),
        ("done", "skip"),
        ("done", "done"),
        ("skip", "done"),
        ("skip", "snooze"),
        ("skip", "skip"),
    ],
)
def test_finished_followups_refuse_further_actions_with_409(
    app, api, user, meet, clock, first, second
):
    fid = followup_id(app, meet(user))
    clock.set(DUE)
    assert api.post(f"/api/v1/followups/{fid}/{first}", json={}).status_code == 200
    response = api.post(
        f"/api/v1/followups/{fid}/{second}", json={"until": "2027-01-01"}
    )
    assert_api_error(response, 409, "conflict")
    assert_api_error(api.patch(f"/api/v1/followups/{fid}", json={"body": "x"}), 409)


def test_snooze_hides_until_then_it_is_pending_and_due_again(
    app, api, user, meet, clock
):
    fid = followup_id(app, meet(user))
    clock.set(DUE)
    response = api.post(f"/api/v1/followups/{fid}/snooze", json={"until": "2026-11-23"})
    assert response.status_code == 200
    item = response.get_json()
    assert item["status"] == "snoozed"
    # A date means the owner's follow-up hour that day (09:00 Berlin).
    assert item["snoozed_until"] == "2026-11-23T08:00:00+00:00"
    assert api.get("/api/v1/followups").get_json()["items"] == []
    snoozed = api.get("/api/v1/followups?status=snoozed&due=all").get_json()["items"]
    assert [s["id"] for s in snoozed] == [fid]
    clock.set(dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC))
    items = api.get("/api/v1/followups").get_json()["items"]
    assert [(i["id"], i["status"]) for i in items] == [(fid, "pending")]
    assert api.get("/api/v1/followups?status=snoozed&due=all").get_json()["items"] == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"until": "2026-11-20"}, 400, "until"),  # in the past
        ({"until": "2026-11-21T08:00:00Z"}, 400, "until"),  # exactly now
        ({"until": "tomorrow"}, 400, "until"),
        ({"until": 5}, 400, "until"),
        ({}, 400, "until"),
    ],
)
def test_snooze_needs_a_moment_in_the_future(
    app, api, user, meet, clock, body, status, field
):
    fid = followup_id(app, meet(user))
    clock.set(DUE)
    assert_api_error(
        api.post(f"/api/v1/followups/{fid}/snooze", json=body), status, field=field
    )


@pytest.mark.parametrize(
    ("tapped", "synced", "until"),
    [
        # 00:30 in Berlin, still the 21st in UTC: tomorrow is the 23rd there.
        (None, "2026-11-21T23:30:00+00:00", "2026-11-23T08:00:00+00:00"),
        # Tapped offline at 23:30 in Berlin, sent after midnight: the tap's day counts.
        (
            "2026-11-21T22:30:00Z",
            "2026-11-21T23:30:00+00:00",
            "2026-11-22T08:00:00+00:00",
        ),
        # Sent after the tap's "tomorrow" has passed: counted from now.
        (
            "2026-11-20T10:00:00Z",
            "2026-11-21T12:00:00+00:00",
            "2026-11-22T08:00:00+00:00",
        ),
        # A tap in the future counts from now.
        (
            "2026-11-25T10:00:00Z",
            "2026-11-21T12:00:00+00:00",
            "2026-11-22T08:00:00+00:00",
        ),
    ],
)
def test_snooze_tomorrow_is_counted_in_the_owners_zone_from_the_tap(
    app, api, user, meet, clock, tapped, synced, until
):
    fid = followup_id(app, meet(user))
    clock.set(dt.datetime.fromisoformat(synced))
    body = {"when": "tomorrow", **({"chosen_at": tapped} if tapped else {})}
    response = api.post(f"/api/v1/followups/{fid}/snooze", json=body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["snoozed_until"] == until


def test_snooze_next_week_and_bad_choices(app, api, user, meet, clock):
    fid = followup_id(app, meet(user))
    clock.set(DUE)
    url = f"/api/v1/followups/{fid}/snooze"
    assert_api_error(api.post(url, json={"when": "someday"}), 400, field="when")
    bad_tap = {"when": "tomorrow", "chosen_at": "yesterday"}
    assert_api_error(api.post(url, json=bad_tap), 400, field="chosen_at")
    response = api.post(url, json={"when": "next_week"})
    assert response.get_json()["snoozed_until"] == "2026-11-28T08:00:00+00:00"


def test_snooze_accepts_a_datetime_with_offset(app, api, user, meet, clock):
    fid = followup_id(app, meet(user))
    clock.set(DUE)
    response = api.post(
        f"/api/v1/followups/{fid}/snooze", json={"until": "2026-11-21T18:30:00+01:00"}
    )
    assert response.get_json()["snoozed_until"] == "2026-11-21T17:30:00+00:00"


def test_patch_edits_the_draft_and_links_follow(app, api, user, meet, clock):
    fid = followup_id(app, meet(user))
    clock.set(DUE)
    response = api.patch(
        f"/api/v1/followups/{fid}",
        json={"subject": "Hello & more", "body": "Line 1\nLine 2"},
    )
    item = response.get_json()
    assert item["draft"] == {"subject": "Hello & more", "body": "Line 1\nLine 2"}
    assert "subject=Hello%20%26%20more" in item["links"]["email"]
    assert "body=Line%201%0D%0ALine%202" in item["links"]["email"]
    # An empty body goes back to the template's text.
    item = api.patch(f"/api/v1/followups/{fid}", json={"body": ""}).get_json()
    assert item["draft"]["body"].startswith("Hi Ana,")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "sms"}, "channel"),  # Ana has no phone
        ({"channel": "pigeon"}, "channel"),
        ({"body": 5}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"subject": "x" * 201}, "subject"),
        ({"status": "done"}, "status"),
    ],
)
def test_patch_rejects_bad_fields(app, api, user, meet, clock, body, field):
    fid = followup_id(app, meet(user))
    assert_api_error(api.patch(f"/api/v1/followups/{fid}", json=body), 400, field=field)


def test_patch_needs_json(app, api, user, meet):
    fid = followup_id(app, meet(user))
    assert_api_error(api.patch(f"/api/v1/followups/{fid}", data="x"), 415)


@pytest.mark.parametrize(
    "query", ["status=maybe", "due=later", "event_id=x", "limit=0", "cursor=%%%"]
)
def test_list_rejects_bad_filters(api, query):
    assert_api_error(api.get(f"/api/v1/followups?{query}"), 400)


def test_list_pages_with_a_cursor_in_due_order(app, api, user, meet, clock):
    for n in range(5):
        meet(
            user,
            name=f"P{n}",
            email=f"p{n}@example.com",
            met_at=MET - dt.timedelta(days=n),
        )
    clock.set(DUE)
    seen, cursor = [], None
    while True:
        url = "/api/v1/followups?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = api.get(url).get_json()
        seen += body["items"]
        cursor = body["next"]
        if not cursor:
            break
    # P1–P4 were met before and captured late: all due at MET, ties by id.
    assert [i["contact_name"] for i in seen] == ["P1", "P2", "P3", "P4", "P0"]
    assert len({i["id"] for i in seen}) == 5


def test_list_filters_by_event(app, api, user, meet, clock):
    with app.app_context():
        event = Event(user_id=user, name="PyCon", date=dt.date(2026, 11, 20))
        db.session.add(event)
        db.session.commit()
        event_id = event.id
    at_event = meet(user, event_id=event_id)
    meet(user, name="Bo", email="bo@example.com")
    clock.set(DUE)
    items = api.get(f"/api/v1/followups?event_id={event_id}").get_json()["items"]
    assert [i["contact_id"] for i in items] == [at_event]


def test_event_score_counts_followups_within_48h_and_overdue_promises(
    app, api, user, meet, clock
):
    with app.app_context():
        event = Event(user_id=user, name="PyCon", date=dt.date(2026, 11, 20))
        db.session.add(event)
        db.session.commit()
        event_id = event.id
    quick = meet(user, event_id=event_id)
    late = meet(user, name="Bo", email="bo@example.com", event_id=event_id)
    meet(user, name="Cy", email="cy@example.com", event_id=event_id, promise="a link")
    clock.set(DUE)
    api.post(f"/api/v1/followups/{followup_id(app, quick)}/done")
    clock.set(dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC))
    api.post(f"/api/v1/followups/{followup_id(app, late)}/done")
    score = api.get(f"/api/v1/events/{event_id}/score").get_json()
    assert score["people"] == 3
    assert score["followed_up_within_48h"] == 1
    assert score["promises_overdue"] == 1
    assert [p["contact_name"] for p in score["overdue_promises"]] == ["Cy"]


def test_another_accounts_followup_is_404_on_every_route(
    app, api, make_user, meet, clock
):
    stranger = make_user("stranger@example.com")
    fid = followup_id(app, meet(stranger))
    with app.app_context():
        event = Event(user_id=stranger, name="Theirs", date=dt.date(2026, 11, 20))
        db.session.add(event)
        db.session.commit()
        event_id = event.id
    clock.set(DUE)
    for method, url, body in [
        ("get", f"/api/v1/followups/{fid}", None),
        ("post", f"/api/v1/followups/{fid}/done", {}),
        ("post", f"/api/v1/followups/{fid}/skip", {}),
        ("post", f"/api/v1/followups/{fid}/snooze", {"until": "2027-01-01"}),
        ("patch", f"/api/v1/followups/{fid}", {"body": "x"}),
        ("get", f"/api/v1/events/{event_id}/score", None),
        ("post", "/api/v1/followups/999999/done", {}),
    ]:
        assert_api_error(getattr(api, method)(url, json=body), 404)
    assert api.get("/api/v1/followups?due=all&status=all").get_json()["items"] == []
    assert api.get(f"/api/v1/followups?event_id={event_id}").get_json()["items"] == []


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/followups"),
        ("post", "/api/v1/followups/1/done"),
        ("post", "/api/v1/followups/1/skip"),
        ("post", "/api/v1/followups/1/snooze"),
        ("patch", "/api/v1/followups/1"),
        ("get", "/api/v1/events/1/score"),
    ],
)
def test_anonymous_requests_get_401(client, method, url):
    assert_api_error(getattr(client, method)(url, json={}), 401)


def test_queue_listing_uses_the_status_due_index(app, api, user, meet, clock):
    from sqlalchemy import event

    meet(user)
    clock.set(DUE)
    seen: list[tuple[str, tuple]] = []

    def record(conn, cursor, statement, parameters, *args):
        seen.append((statement, parameters))

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("reads SQLite's EXPLAIN QUERY PLAN")
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert api.get("/api/v1/followups").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # The queue's own query, as the app sent it, planned by SQLite.
    statement, parameters = next(
        (sql, params)
        for sql, params in seen
        if "FROM followups" in sql and "ORDER BY followups.due_at" in sql
    )
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            plan = raw.cursor().execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = plan.fetchall()
        finally:
            raw.close()
    detail = " ".join(str(row[-1]) for row in plan)
    assert "ix_followups_user_status_due" in detail, detail


def test_queue_query_count_does_not_grow_with_people(
    app, api, user, meet, clock, count_queries
):
    for n in range(3):
        meet(user, name=f"P{n}", email=f"p{n}@example.com")
    clock.set(DUE)
    with count_queries() as few:
        api.get("/api/v1/followups")
    for n in range(3, 12):
        meet(user, name=f"P{n}", email=f"p{n}@example.com")
    clock.set(DUE)
    with count_queries() as many:
        assert len(api.get("/api/v1/followups").get_json()["items"]) == 12
    assert len(many) == len(few)


def due_times(app, *contact_ids: str) -> list[dt.datetime]:
    with app.app_context():
        return [
            db.session.execute(
                db.select(FollowUp.due_at).filter_by(contact_id=c, key="thank_you")
            ).scalar_one()
            for c in contact_ids
        ]


def test_a_new_hour_or_time_zone_moves_followups_not_yet_due(
    app, api, user, meet, clock
):
    plain = meet(user)
    snoozed = meet(user, name="Ben Ode", email="ben@example.com")
    later = DUE + dt.timedelta(hours=3)
    with app.app_context():
        db.session.execute(
            db.update(FollowUp)
            .where(FollowUp.contact_id == snoozed)
            .values(due_at=later, snoozed_until=later)
        )
        db.session.commit()
    clock.set(MET + dt.timedelta(hours=1))
    assert due_times(app, plain) == [DUE]  # 09:00 in Berlin

    assert api.patch("/api/v1/me", json={"followup_hour": 18}).status_code == 200
    assert due_times(app, plain, snoozed) == [DUE + dt.timedelta(hours=9), later]

    api.patch("/api/v1/me", json={"timezone": "America/New_York"})
    # Met at 14:00 in New York on the 20th: 18:00 there on the 21st.
    expected = dt.datetime(2026, 11, 21, 23, 0, tzinfo=dt.UTC)
    assert due_times(app, plain, snoozed) == [expected, later]

    # Once due, a follow-up stays in the queue whatever the settings say.
    clock.set(expected + dt.timedelta(minutes=5))
    api.patch("/api/v1/me", json={"followup_hour": 21, "timezone": "Europe/Berlin"})
    assert due_times(app, plain) == [expected]
    queue = api.get("/api/v1/followups").get_json()["items"]
    assert plain in {item["contact_id"] for item in queue}


def test_a_new_hour_leaves_due_followups_and_moves_the_rest_in_one_update(
    app, api, user, meet, clock, count_queries
):
    people = [
        meet(user, name=f"P{n}", email=f"p{n}@example.com", keep_in_touch_days=30)
        for n in range(6)
    ]
    clock.set(DUE + dt.timedelta(minutes=30))  # the thank-yous are due
    with app.app_context():
        kit = db.session.execute(
            db.select(FollowUp.due_at).filter_by(
                contact_id=people[0], kind="keep_in_touch"
            )
        ).scalar_one()
    with count_queries() as statements:
        assert api.patch("/api/v1/me", json={"followup_hour": 18}).status_code == 200
    # However many people: read the follow-ups once, update them in one batch.
    assert sum(s.lstrip().startswith("UPDATE followups") for s in statements) == 1
    assert sum("FROM followups" in s for s in statements) == 1
    assert due_times(app, *people) == [DUE] * 6  # already due: they stay
    with app.app_context():
        moved = db.session.execute(
            db.select(FollowUp.due_at).filter_by(
                contact_id=people[0], kind="keep_in_touch"
            )
        ).scalar_one()
    assert moved == kit + dt.timedelta(hours=9)  # 09:00 → 18:00, same day
    queue = api.get("/api/v1/followups").get_json()["items"]
    assert {item["contact_id"] for item in queue} == set(people)


def test_a_new_hour_leaves_followups_timed_by_hand(app, api, user, meet, clock):
    # An imported follow-up due at 14:37 was not timed by the follow-up hour.
    person = meet(user)
    by_hand = DUE + dt.timedelta(hours=5, minutes=37)
    with app.app_context():
        db.session.execute(
            db.update(FollowUp)
            .where(FollowUp.contact_id == person)
            .values(due_at=by_hand)
        )
        db.session.commit()
    api.patch("/api/v1/me", json={"followup_hour": 18, "timezone": "Asia/Tokyo"})
    assert due_times(app, person) == [by_hand]
