"""POST /api/v1/contacts/batch: many captures, each answered as its own create."""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Contact, ContactTag, FollowUp
from tests.conftest import assert_api_error

URL = "/api/v1/contacts/batch"


def item(**fields) -> dict:
    fields.setdefault("id", str(uuid.uuid4()))
    fields.setdefault("name", "Jane Doe")
    return fields


def count_rows(app, model=Contact) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(db.func.count()).select_from(model)
        ).scalar()


def test_batch_answers_each_item_as_the_single_create_would(api, app):
    stored = item(name="Ada")
    assert api.post("/api/v1/contacts", json=stored).status_code == 201
    fresh = item(name="Grace", email="grace@example.com", tags=["navy"])
    bad = item(name="", email="not an email")
    other = item(name="Alan", email="alan@example.com", promise="Send the paper")
    response = api.post(URL, json={"items": [fresh, stored, bad, other]})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == [201, 200, 400, 201]
    assert [r["id"] for r in results] == [i["id"] for i in (fresh, stored, bad, other)]
    assert results[0]["contact"]["email"] == "grace@example.com"
    assert results[0]["contact"]["tags"] == ["navy"]
    assert results[1]["contact"]["name"] == "Ada"  # stored, unchanged
    assert "contact" not in results[2]
    assert results[2]["error"]["code"] == "validation_error"
    assert set(results[2]["error"]["fields"]) == {"name", "email"}
    assert count_rows(app) == 3
    assert count_rows(app, ContactTag) == 1
    # Each new person got the follow-ups a single capture gets.
    with app.app_context():
        kinds = db.session.execute(
            db.select(FollowUp.kind).filter_by(contact_id=other["id"])
        ).scalars()
        assert sorted(kinds) == ["promise", "thank_you"]


def test_possible_duplicates_are_those_single_captures_would_show(api, app):
    ada = item(name="Ada", email="ada@example.com")
    single = api.post("/api/v1/contacts", json=ada).get_json()
    assert "possible_duplicates" not in single
    again = item(name="Ada L.", email="ADA@example.com")
    phone = item(name="Ada Phone", email="ada@example.com", phone="+4930123456")
    other = item(name="Grace", email="grace@example.com")
    results = api.post(URL, json={"items": [again, phone, other, ada]}).get_json()
    found = [
        {d["id"] for d in r["contact"].get("possible_duplicates", [])}
        for r in results["results"]
    ]
    # Each sees who was there before it, as one capture after another would.
    assert found == [
        {ada["id"]},
        {ada["id"], again["id"]},
        set(),
        {again["id"], phone["id"]},  # the stored one, answered as a replay
    ]
    first = results["results"][0]["contact"]["possible_duplicates"][0]
    assert first == {
        "id": ada["id"],
        "name": "Ada",
        "company": "",
        "matched_on": ["email"],
    }


def test_the_same_batch_twice_creates_nothing_new(api, app):
    items = [item(name=f"Person {n}", email=f"p{n}@example.com") for n in range(30)]
    first = api.post(URL, json={"items": items}).get_json()["results"]
    assert {r["status"] for r in first} == {201}
    api.patch(f"/api/v1/contacts/{items[0]['id']}", json={"company": "Acme"})
    again = api.post(URL, json={"items": items}).get_json()["results"]
    assert {r["status"] for r in again} == {200}
    assert again[0]["contact"]["company"] == "Acme"  # a replay never overwrites
    assert count_rows(app) == 30


def test_a_repeated_id_inside_one_batch_is_one_person(api, app):
    one = item(name="Twice")
    results = api.post(URL, json={"items": [one, one]}).get_json()["results"]
    assert [r["status"] for r in results] == [201, 200]
    assert count_rows(app) == 1


def test_items_without_an_id_get_one(api, app):
    results = api.post(URL, json={"items": [{"name": "No id"}]}).get_json()
    result = results["results"][0]
    assert result["status"] == 201
    assert uuid.UUID(result["id"]) and result["contact"]["id"] == result["id"]


@pytest.mark.parametrize(
    "body",
    [{}, {"items": []}, {"items": "x"}, {"items": [item() for _ in range(101)]}],
)
def test_a_batch_of_the_wrong_size_or_shape_is_refused(api, app, body):
    assert_api_error(api.post(URL, json=body), 400, field="items")
    assert count_rows(app) == 0


def test_an_item_that_is_not_an_object_is_refused_alone(api, app):
    results = api.post(URL, json={"items": [3, item()]}).get_json()["results"]
    assert [r["status"] for r in results] == [400, 201]
    assert results[0]["id"] is None and results[0]["error"]["message"]


def test_another_accounts_id_reads_like_a_malformed_one(api, app, make_user, token_for):
    theirs = item(name="Theirs")
    other = {"Authorization": f"Bearer {token_for(make_user('b@example.com'))}"}
    assert api.post("/api/v1/contacts", json=theirs, headers=other).status_code == 201
    results = api.post(URL, json={"items": [theirs]}).get_json()["results"]
    assert results[0]["status"] == 422
    assert "id" in results[0]["error"]["fields"]
    assert count_rows(app) == 1


def test_a_batch_of_100_realistic_captures_fits(api, app):
    items = [
        item(
            name=f"Person Number {n}",
            email=f"person{n}@example.com",
            phone="+1 415 555 0100",
            company="A Company With A Long Name",
            title="Director of Things",
            talked_about="x " * 400,
            promise="Send the deck and the paper we discussed at the booth",
            tags=["conference", "ai", "follow"],
        )
        for n in range(100)
    ]
    assert len(json.dumps({"items": items})) > 64 * 1024  # more than one capture takes
    response = api.post(URL, json={"items": items})
    assert response.status_code == 200
    assert {r["status"] for r in response.get_json()["results"]} == {201}
    assert count_rows(app) == 100


def test_a_batch_larger_than_its_limit_is_refused(api, app):
    big = {"items": [item(notes="n" * 19000) for _ in range(60)]}
    assert_api_error(api.post(URL, json=big), 413)
    assert count_rows(app) == 0


def test_the_account_header_is_checked_for_the_batch(owner, app):
    response = owner.post(
        URL, json={"items": [item()]}, headers={"X-Morrow-Account": "someone-else"}
    )
    assert_api_error(response, 409, "wrong_account")
    assert count_rows(app) == 0


def test_the_days_event_is_read_once_per_batch(api, count_queries):
    api.post(URL, json={"items": [item()]})  # warm up: the token's owner
    with count_queries() as statements:
        api.post(URL, json={"items": [item(name=f"P{n}") for n in range(10)]})
    event_reads = [s for s in statements if "FROM events" in s]
    assert len(event_reads) == 1, event_reads


def test_a_database_failure_fails_the_whole_batch(api, app):
    items = [item(name=f"P{n}", email=f"p{n}@example.com") for n in range(5)]
    with app.app_context():
        engine = db.engine
    seen = []

    def fail_after_the_people(conn, cursor, statement, *args):
        # The people are written; their follow-ups fail with the disk.
        seen.append(statement)
        if statement.startswith("INSERT INTO followups"):
            assert any(s.startswith("INSERT INTO contacts") for s in seen)
            raise OperationalError(statement, {}, Exception("disk I/O error"))

    sa_event.listen(engine, "before_cursor_execute", fail_after_the_people)
    try:
        response = api.post(URL, json={"items": items})
    finally:
        sa_event.remove(engine, "before_cursor_execute", fail_after_the_people)
    assert response.status_code >= 500
    assert count_rows(app) == 0  # the people rolled back with their follow-ups
    again = api.post(URL, json={"items": items}).get_json()["results"]
    assert {r["status"] for r in again} == {201}
    assert count_rows(app) == 5


def test_people_stored_between_the_lookup_and_the_insert_are_found(
    api, app, monkeypatch
):
    # Another request stored two of them after this batch looked: the batch's
    # insert meets their ids, and it saves its items one by one instead.
    import app.capture_batch as capture_batch

    items = [item(name=f"P{n}", tags=["t"]) for n in range(4)]
    for stored in (items[1], items[3]):
        assert api.post("/api/v1/contacts", json=stored).status_code == 201
    monkeypatch.setattr(capture_batch, "_stored_among", lambda ids: {})
    results = api.post(URL, json={"items": items}).get_json()["results"]
    assert [r["status"] for r in results] == [201, 200, 201, 200]
    assert [r["id"] for r in results] == [i["id"] for i in items]
    assert count_rows(app) == 4
    assert count_rows(app, ContactTag) == 4


@pytest.fixture
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def _post(url: str, token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.loads(response.read())


def test_racing_batches_and_singles_create_each_person_once(
    served, app, user, token_for
):
    token = token_for(user)
    people = [item(name=f"Racer {n}", tags=["race"]) for n in range(40)]
    # Overlapping batches, and singles of some of the same ids, all at once.
    sends = [
        (f"{served}{URL}", {"items": people[0:30]}),
        (f"{served}{URL}", {"items": people[10:40]}),
        (f"{served}{URL}", {"items": list(reversed(people))}),
    ] + [(f"{served}/api/v1/contacts", people[n]) for n in (5, 15, 25, 35)]
    answers: list = [None] * len(sends)
    barrier = threading.Barrier(len(sends))

    def send(n: int) -> None:
        barrier.wait()
        answers[n] = _post(sends[n][0], token, sends[n][1])

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(sends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    created: dict[str, int] = {}
    for status, body in answers[:3]:
        assert status == 200, body
        for result in body["results"]:
            assert result["status"] in (200, 201), result
            created[result["id"]] = created.get(result["id"], 0) + (
                result["status"] == 201
            )
    for (status, body), (_, sent) in zip(answers[3:], sends[3:], strict=True):
        assert status in (200, 201), body
        created[sent["id"]] = created.get(sent["id"], 0) + (status == 201)
    assert created == {p["id"]: 1 for p in people}  # one 201 per person, in all
    assert count_rows(app) == 40
    assert count_rows(app, ContactTag) == 40
