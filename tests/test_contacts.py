"""People through the API: idempotent capture, validation, search, merge."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest

from app.extensions import db
from app.models import Contact, ContactTag, FollowUp, Interaction, User
from tests.conftest import assert_api_error

URL = "/api/v1/contacts"


def capture(api, **fields):
    fields.setdefault("id", str(uuid.uuid4()))
    fields.setdefault("name", "Jane Doe")
    return api.post(URL, json=fields)


def count_rows(app, model=Contact) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(db.func.count()).select_from(model)
        ).scalar()


def test_first_capture_returns_201_with_location(api):
    response = capture(api, phone="030 1234567", tags=[" Python ", "AI", "python"])
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"{URL}/{body['id']}")
    assert body["phone"] == "+49301234567"  # the owner's region is DE (Berlin)
    assert body["tags"] == ["python", "ai"]
    assert (body["first_name"], body["last_name"]) == ("Jane", "Doe")
    assert body["met_at"] == "2026-03-10T12:00:00+00:00"  # API times are UTC
    assert body["source"] == "capture"


def test_replayed_capture_returns_200_and_one_row(api, app):
    first = capture(api, id="1b4e28ba-2fa1-11d2-883f-0016d3cca427", name="Jane")
    api.patch(f"{URL}/{first.get_json()['id']}", json={"company": "Acme"})
    again = capture(api, id="1b4e28ba-2fa1-11d2-883f-0016d3cca427", name="Other")
    assert again.status_code == 200
    assert again.get_json()["name"] == "Jane"
    assert again.get_json()["company"] == "Acme"  # a replay never overwrites an edit
    assert count_rows(app) == 1


def test_racing_identical_captures_make_one_row(app, user, token_for):
    token = token_for(user)
    payload = {"id": str(uuid.uuid4()), "name": "Racer", "tags": ["x"]}
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            URL, json=payload, headers={"Authorization": f"Bearer {token}"}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 200, 201]
    assert count_rows(app) == 1
    assert count_rows(app, ContactTag) == 1


def test_replay_answers_with_the_stored_person_even_if_its_fields_now_fail(api, app):
    # The phone's first copy was saved but its answer lost; the event was deleted
    # before the outbox sent the capture again.
    event = api.post(
        "/api/v1/events", json={"name": "Meetup", "date": "2026-03-10"}
    ).get_json()
    payload = {"id": str(uuid.uuid4()), "name": "Jane", "event_id": event["id"]}
    assert api.post(URL, json=payload).status_code == 201
    assert api.delete(f"/api/v1/events/{event['id']}").status_code == 204
    again = api.post(URL, json=payload)
    assert again.status_code == 200
    assert again.get_json()["id"] == payload["id"]
    assert again.get_json()["event_id"] is None
    assert count_rows(app) == 1
    # A first copy with the same fields is still refused.
    assert_api_error(capture(api, event_id=event["id"]), 400, field="event_id")


def test_capture_writes_one_insert_per_table_and_reads_nothing_back(api, count_queries):
    capture(api, name="Warm up")  # the token's owner and the day's event are read
    with count_queries() as statements:
        response = capture(
            api,
            name="Jane Doe",
            email="jane@example.com",
            promise="Send the slides",
            tags=["ux", "maps"],
        )
    assert response.status_code == 201
    writes = [s.split("(")[0].strip() for s in statements if s.startswith("INSERT")]
    assert writes == [
        "INSERT INTO contacts",
        "INSERT INTO followups",
        "INSERT INTO contact_tags",
    ]
    # The token and its owner, the day's event, the possible duplicates.
    reads = [s for s in statements if s.lstrip().startswith("SELECT")]
    assert len(reads) == 3, reads
    assert response.get_json()["tags"] == ["ux", "maps"]


def test_a_capture_made_under_another_account_is_refused_and_not_saved(
    api, app, user, make_user
):
    # A shared phone: the outbox names the account each capture was made under.
    with app.app_context():
        mine = db.session.get(User, user).device_key
        theirs = db.session.get(User, make_user("second@example.com")).device_key
    body = {"id": str(uuid.uuid4()), "name": "Made by the other owner"}
    refused = api.post(URL, json=body, headers={"X-Morrow-Account": theirs})
    assert_api_error(refused, 409, "wrong_account")
    assert count_rows(app) == 0
    answer = api.post(URL, json=body, headers={"X-Morrow-Account": mine})
    assert answer.status_code == 201
    assert count_rows(app) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"linkedin": "ftp://linkedin.com/in/x"}, "linkedin"),
        ({"tags": ["x" * 41]}, "tags"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"tags": "ok", "source": "fax"}, "source"),
        ({"preferred_channel": "pigeon"}, "preferred_channel"),
        ({"keep_in_touch_days": 0}, "keep_in_touch_days"),
        ({"keep_in_touch_days": 3651}, "keep_in_touch_days"),
        ({"met_at": "yesterday"}, "met_at"),
        ({"event_id": 999}, "event_id"),
        ({"introduced_by_id": str(uuid.uuid4())}, "introduced_by_id"),
        ({"talked_about": "x" * 5001}, "talked_about"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_invalid_capture_names_the_field_and_saves_nothing(api, app, payload, field):
    response = capture(api, **payload)
    assert_api_error(response, 400, "validation_error", field)
    assert count_rows(app) == 0


def test_capture_rejects_non_json(api):
    assert_api_error(api.post(URL, data="name=x"), 415)


def test_another_accounts_event_and_introducer_are_field_errors(
    api, make_user, token_for, client
):
    other = {"Authorization": f"Bearer {token_for(make_user())}"}
    event = client.post(
        "/api/v1/events", json={"name": "Theirs", "date": "2026-03-10"}, headers=other
    ).get_json()
    person = client.post(URL, json={"name": "Theirs"}, headers=other).get_json()
    assert_api_error(capture(api, event_id=event["id"]), 400, field="event_id")
    assert_api_error(
        capture(api, introduced_by_id=person["id"]), 400, field="introduced_by_id"
    )


def test_another_accounts_person_is_404_everywhere(api, make_user, token_for, client):
    other = {"Authorization": f"Bearer {token_for(make_user())}"}
    theirs = client.post(URL, json={"name": "Theirs"}, headers=other).get_json()["id"]
    mine = capture(api).get_json()["id"]
    assert_api_error(api.get(f"{URL}/{theirs}"), 404)
    assert_api_error(api.patch(f"{URL}/{theirs}", json={"name": "x"}), 404)
    assert_api_error(api.delete(f"{URL}/{theirs}"), 404)
    assert_api_error(api.post(f"{URL}/{theirs}/merge", json={"other_id": mine}), 404)
    assert_api_error(api.post(f"{URL}/{mine}/merge", json={"other_id": theirs}), 404)
    assert_api_error(capture(api, id=theirs), 422, "unprocessable", "id")
    assert api.get(URL).get_json()["items"][0]["id"] == mine


def test_anonymous_requests_get_401(client):
    for method, url in [
        ("get", URL),
        ("post", URL),
        ("get", f"{URL}/x"),
        ("post", f"{URL}/parse"),
        ("post", f"{URL}/x/merge"),
    ]:
        assert_api_error(getattr(client, method)(url, json={}), 401)


def test_patch_changes_fields_and_keeps_tag_rows_in_step(api, app):
    person = capture(api, tags=["old"]).get_json()
    response = api.patch(
        f"{URL}/{person['id']}",
        json={"tags": ["New", "other"], "email": "JANE@Example.COM", "name": "J D"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["tags"] == ["new", "other"]
    assert body["email"] == "JANE@example.com"
    assert body["first_name"] == "J"
    with app.app_context():
        tags = db.session.execute(db.select(ContactTag.tag)).scalars().all()
    assert sorted(tags) == ["new", "other"]
    assert api.get(f"{URL}?tag=old").get_json()["items"] == []


def test_delete_removes_the_person(api, app):
    person = capture(api).get_json()
    assert api.delete(f"{URL}/{person['id']}").status_code == 204
    assert_api_error(api.get(f"{URL}/{person['id']}"), 404)
    assert count_rows(app) == 0


def test_search_matches_names_company_notes_and_tags(api):
    capture(api, name="Ada Lovelace", company="Analytical Engines")
    capture(api, name="Grace Hopper", talked_about="compilers and COBOL")
    capture(api, name="Alan Turing", tags=["crypto"])
    capture(api, name="Nobody", notes="likes 100% juice")

    def names(q: str) -> list[str]:
        return [
            p["name"] for p in api.get(URL, query_string={"q": q}).get_json()["items"]
        ]

    assert names("lovelace") == ["Ada Lovelace"]
    assert names("analytical") == ["Ada Lovelace"]
    assert names("cobol") == ["Grace Hopper"]
    assert names("crypt") == ["Alan Turing"]
    assert names("100%") == ["Nobody"]
    assert names("grace compilers") == ["Grace Hopper"]
    assert names("zebra") == []


def test_filters_by_event_and_tag(api):
    event = api.post("/api/v1/events", json={"name": "PyCon", "date": "2026-03-10"})
    event_id = event.get_json()["id"]
    capture(api, name="At PyCon", event_id=event_id, tags=["python"])
    capture(api, name="Elsewhere", tags=["python"], event_id=None)
    capture(api, name="Untagged", event_id=event_id)
    by_event = api.get(f"{URL}?event_id={event_id}").get_json()["items"]
    assert {p["name"] for p in by_event} == {"At PyCon", "Untagged"}
    both = api.get(f"{URL}?event_id={event_id}&tag=Python").get_json()["items"]
    assert [p["name"] for p in both] == ["At PyCon"]


def test_cursor_pagination_walks_every_person_once_newest_first(api, clock):
    for number in range(5):
        capture(api, name=f"Person {number}")
        clock.advance(minutes=1)
    capture(api, name="Same time A")
    capture(api, name="Same time B")
    seen: list[str] = []
    url = f"{URL}?limit=2"
    while url:
        page = api.get(url).get_json()
        assert len(page["items"]) <= 2
        seen += [p["name"] for p in page["items"]]
        url = f"{URL}?limit=2&cursor={page['next']}" if page["next"] else None
    assert len(seen) == 7 and len(set(seen)) == 7
    assert seen[-1] == "Person 0"


@pytest.mark.parametrize("query", ["cursor=%%%", "cursor=WzFd", "limit=0", "limit=x"])
def test_bad_list_parameters_are_400(api, query):
    assert_api_error(api.get(f"{URL}?{query}"), 400)


@pytest.mark.parametrize(
    ("first", "second", "matched"),
    [
        ({"email": "jane@example.com"}, {"email": "JANE@example.com"}, "email"),
        ({"phone": "030 1234567"}, {"phone": "+49 30 1234567"}, "phone"),
        (
            {"linkedin": "https://linkedin.com/in/janedoe/"},
            {"linkedin": "https://www.linkedin.com/in/janedoe"},
            "linkedin",
        ),
    ],
)
def test_capture_matching_someone_is_flagged_already_met(api, first, second, matched):
    original = capture(api, name="Jane", **first).get_json()
    assert "possible_duplicates" not in original
    again = capture(api, name="Jane D.", **second).get_json()
    [duplicate] = again["possible_duplicates"]
    assert duplicate["id"] == original["id"]
    assert matched in duplicate["matched_on"]


def test_merge_keeps_every_note_promise_tag_introduction_and_followup(api, app):
    introducer = capture(api, name="Ivy Introducer", email="ivy@example.com").json
    keep = capture(
        api,
        name="Jane",
        email="jane@example.com",
        talked_about="Rust",
        promise="Send the paper",
        tags=["rust"],
    ).get_json()
    other = capture(
        api,
        name="Jane Doe",
        email="jane@work.example",
        phone="030 1234567",
        talked_about="Hiring",
        promise="Intro to Bob",
        notes="Met twice",
        tags=["hiring", "rust"],
        introduced_by_id=introducer["id"],
        company="Acme",
    ).get_json()
    friend = capture(api, name="Friend", introduced_by_id=other["id"]).get_json()
    now = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    with app.app_context():
        # One rewritten by the owner, one sent, one skipped: none of them goes.
        for contact_id, key, status, body in [
            (keep["id"], "test:a", "pending", "In my words"),
            (other["id"], "test:a", "done", None),
            (other["id"], "test:b", "skipped", None),
        ]:
            db.session.add(
                FollowUp(
                    user_id=1,
                    contact_id=contact_id,
                    kind="thank_you",
                    key=key,
                    due_at=now,
                    status=status,
                    body=body,
                )
            )
        db.session.add(
            FollowUp(
                user_id=1,
                contact_id=introducer["id"],
                kind="intro_thanks",
                key="test:intro",
                due_at=now,
                about_contact_id=other["id"],
            )
        )
        db.session.add(Interaction(user_id=1, contact_id=other["id"], kind="talked"))
        db.session.commit()
        # Sent, skipped or rewritten: what a merge never drops.
        before = set(
            db.session.execute(
                db.select(FollowUp.id).where(
                    (FollowUp.status != "pending") | FollowUp.body.is_not(None)
                )
            ).scalars()
        )
        assert len(before) == 3

    response = api.post(f"{URL}/{keep['id']}/merge", json={"other_id": other["id"]})
    assert response.status_code == 200
    merged = response.get_json()
    assert merged["talked_about"] == "Rust\n\nHiring"
    assert merged["promise"] == "Send the paper\n\nIntro to Bob"
    assert merged["notes"] == "Met twice"
    assert merged["extras"] == {"email": ["jane@work.example"]}
    assert merged["name"] == "Jane Doe"  # the fuller name
    assert merged["merge_id"]
    assert merged["tags"] == ["rust", "hiring"]
    assert merged["phone"] == "+49301234567" and merged["company"] == "Acme"
    assert merged["email"] == "jane@example.com"
    assert merged["introduced_by_id"] == introducer["id"]
    assert_api_error(api.get(f"{URL}/{other['id']}"), 404)
    assert api.get(f"{URL}/{friend['id']}").get_json()["introduced_by_id"] == keep["id"]
    assert [p["name"] for p in api.get(f"{URL}?tag=hiring").get_json()["items"]] == [
        "Jane Doe"
    ]
    with app.app_context():
        followups = db.session.execute(db.select(FollowUp)).scalars().all()
        assert before <= {f.id for f in followups}
        assert other["id"] not in {f.contact_id for f in followups}
        assert other["id"] not in {f.about_contact_id for f in followups}
        mine = {
            (f.key.split(":merged:")[0], f.status): f
            for f in followups
            if f.key.startswith("test:")
        }
        assert set(mine) == {("test:a", "done"), ("test:b", "skipped")}
        assert mine[("test:b", "skipped")].contact_id == keep["id"]
        # One thank-you is owed to the person merged: the owner's own words.
        owed = [
            f
            for f in followups
            if f.contact_id == keep["id"]
            and f.kind == "thank_you"
            and f.status == "pending"
        ]
        assert [f.body for f in owed] == ["In my words"]
        # One promise follow-up, its draft saying both promises.
        promises = [f for f in followups if f.kind == "promise"]
        assert [(f.contact_id, f.key) for f in promises] == [(keep["id"], "promise")]
        # Friend's introduction is thanked by the person merged.
        assert {
            (f.contact_id, f.about_contact_id)
            for f in followups
            if f.kind == "intro_thanks" and f.about_contact_id == friend["id"]
        } == {(keep["id"], friend["id"])}
        # Ivy is thanked once for introducing Jane, whichever record said so.
        intros = [
            f
            for f in followups
            if f.contact_id == introducer["id"] and f.kind == "intro_thanks"
        ]
        assert [(f.about_contact_id, f.status) for f in intros] == [
            (keep["id"], "pending")
        ]
        interaction = db.session.execute(db.select(Interaction)).scalar_one()
        assert interaction.contact_id == keep["id"]


@pytest.mark.parametrize("body", [{}, {"other_id": 5}])
def test_merge_needs_another_person(api, body):
    person = capture(api).get_json()
    assert_api_error(
        api.post(f"{URL}/{person['id']}/merge", json=body), 400, field="other_id"
    )
    same = {"other_id": person["id"]}
    assert_api_error(api.post(f"{URL}/{person['id']}/merge", json=same), 400)


def test_capture_defaults_to_the_active_event(api):
    api.post(
        "/api/v1/events", json={"name": "Now", "date": "2026-03-10", "active": True}
    )
    person = capture(api).get_json()
    events = api.get("/api/v1/events").get_json()["items"]
    assert person["event_id"] == events[0]["id"]
    assert capture(api, event_id=None).get_json()["event_id"] is None


def test_a_capture_keeps_its_private_notes_and_a_replay_leaves_them(api, app):
    first = capture(api, notes="Met her at the bar\nask about Berlin", email="a@x.io")
    assert first.status_code == 201
    assert first.get_json()["notes"] == "Met her at the bar\nask about Berlin"
    again = capture(api, id=first.get_json()["id"], notes="other")
    assert again.status_code == 200
    assert again.get_json()["notes"] == "Met her at the bar\nask about Berlin"
    drafts = api.get("/api/v1/followups?due=all").get_json()["items"]
    assert drafts and all("bar" not in d["draft"]["body"] for d in drafts)


def test_an_id_another_account_holds_reads_as_any_unusable_id(
    api, app, make_user, token_for, client
):
    other = {"Authorization": f"Bearer {token_for(make_user())}"}
    theirs = client.post(URL, json={"name": "Theirs"}, headers=other).get_json()["id"]
    taken = assert_api_error(capture(api, id=theirs), 422, "unprocessable", "id")
    for unusable in ("not-a-uuid", "\u00e9" * 36, 12, ["x"]):
        fresh = assert_api_error(capture(api, id=unusable), 422, "unprocessable", "id")
        assert fresh == taken  # nothing tells a taken id from a malformed one
    assert "id" in taken["error"]["message"]
    assert count_rows(app) == 1  # only theirs
    # The owner's own re-send is still the stored person.
    mine = capture(api)
    again = capture(api, id=mine.get_json()["id"], name="Sent twice")
    assert (mine.status_code, again.status_code) == (201, 200)
    assert again.get_json()["name"] == "Jane Doe"
