"""One message per person per morning: Queue cards, counts, drafts and the API."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from app.drafts import combine_drafts
from app.extensions import db
from app.models import Contact, FollowUp
from app.phrasing import topic_phrase
from tests.conftest import DUE
from tests.draft_corpus import CORPUS
from tests.test_phrasing import assert_reads_as_a_message, drafted, greeting


def followups_of(app, contact_id: str) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            db.select(FollowUp.key, FollowUp.id).filter_by(contact_id=contact_id)
        )
        return dict(rows.all())


def card(html: str, name: str) -> str:
    """The Queue card of the person named `name`."""
    for item in html.split('<li class="queue-item"')[1:]:
        if re.search(rf'<h2 id="fh-\d+">{re.escape(name)}</h2>', item):
            return item.split("</li>")[0]
    raise AssertionError(f"no card for {name}")


@pytest.fixture
def busy_morning(app, user, meet):
    """Six people, twelve follow-ups: several kinds, an introducer also met,
    a person captured twice, a keep-in-touch due with a thank-you."""
    people = {}
    people["ana"] = meet(user, name="Ana Lima", promise="send her the slides")
    people["bo"] = meet(user, name="Bo Berg", email="bo@example.com")
    people["cy"] = meet(
        user, name="Cy Diaz", email="cy@example.com", introduced_by_id=people["bo"]
    )
    people["di"] = meet(
        user,
        name="Di Eck",
        email="di@example.com",
        introduced_by_id=people["bo"],
        promise="intro to Lena",
    )
    people["eve"] = meet(user, name="Eve Stone", email="eve@example.com")
    people["eve2"] = meet(user, name="Eve S.", email="EVE@example.com")
    people["fay"] = meet(user, name="Fay Gold", email="fay@example.com")
    with app.app_context():
        fay = followups_of(app, people["fay"])
        thank_you = db.session.get(FollowUp, fay["thank_you"])
        db.session.add(
            FollowUp(
                user_id=user,
                contact_id=people["fay"],
                kind="keep_in_touch",
                key="kit:1",
                due_at=thank_you.due_at,
            )
        )
        db.session.commit()
    return people


def test_a_busy_morning_counts_the_same_on_home_the_queue_and_the_api(
    app, owner, api, user, busy_morning, clock
):
    clock.set(DUE)
    home = owner.get("/").get_data(as_text=True)
    html = owner.get("/queue").get_data(as_text=True)
    items = api.get("/api/v1/followups").get_json()["items"]
    assert len(items) == 12
    assert html.count('class="queue-item"') == 6
    assert "<strong>6</strong> follow-ups due" in home
    assert "0 of 6 done" in html
    keys = {item["message_key"] for item in items}
    assert len(keys) == 6
    by_key = {}
    for item in items:
        by_key.setdefault(item["message_key"], set()).add(item["contact_name"])
    # Eve's two records share a key; everyone else's follow-ups share theirs.
    assert {"Eve Stone", "Eve S."} in by_key.values()
    # Each card carries its message's key and names every follow-up in it.
    for key in keys:
        assert f'data-message-key="{key}"' in html
    bo = card(html, "Bo Berg")
    bo_ids = [i["id"] for i in items if i["contact_name"] == "Bo Berg"]
    assert len(bo_ids) == 3
    for fid in bo_ids:
        assert f'name="also" value="{fid}"' in bo or f'data-followup="{fid}"' in bo

    # Sent on Bo's card settles all three in one request.
    lead = int(re.search(r'data-followup="(\d+)"', bo).group(1))
    also = [str(i) for i in bo_ids if i != lead]
    assert f'data-also-ids="{" ".join(also)}"' in bo
    assert owner.form(f"/queue/{lead}/done", {"also": also}).status_code == 302
    html = owner.get("/queue").get_data(as_text=True)
    assert html.count('class="queue-item"') == 5
    assert "1 of 6 done" in html
    assert "<strong>5</strong> follow-ups due" in owner.get("/").get_data(as_text=True)
    states = {
        i["status"] for i in api.get("/api/v1/followups?status=done").json["items"]
    }
    assert states == {"done"}


def test_the_introducer_met_the_same_night_gets_one_message(
    app, owner, user, busy_morning, clock
):
    clock.set(DUE)
    bo = card(owner.get("/queue").get_data(as_text=True), "Bo Berg")
    body = re.search(r"<textarea[^>]*>([^<]*)</textarea>", bo).group(1)
    body = body.replace("&#39;", "'")
    assert body.startswith("Hi Bo,\n\n")
    assert body.count("Hi ") == 1 and body.count("Best,") == 1
    assert "great to meet you" in body
    assert "connecting me with Cy" in body and "connecting me with Di" in body
    assert body.count("I'd be glad to return the favour.") == 1
    assert "Thank-you and Thanks for the intro" in bo
    assert_reads_as_a_message(body)


def test_a_combined_cards_links_carry_its_whole_message(
    app, owner, user, busy_morning, clock
):
    clock.set(DUE)
    bo = card(owner.get("/queue").get_data(as_text=True), "Bo Berg")
    body = html.unescape(re.search(r"<textarea[^>]*>([^<]*)</textarea>", bo).group(1))
    link = html.unescape(re.search(r'href="(mailto:bo@example.com[^"]*)"', bo).group(1))
    sent = parse_qs(urlsplit(link).query)["body"][0]
    assert "connecting me with Cy" in sent and "connecting me with Di" in sent
    assert sent.replace("\r\n", "\n") == body  # a mailto body has CRLF lines


def test_a_person_captured_twice_gets_one_card_that_offers_the_merge(
    app, owner, user, busy_morning, clock
):
    clock.set(DUE)
    html = owner.get("/queue").get_data(as_text=True)
    assert "Eve S.</h2>" not in html
    eve = card(html, "Eve Stone")
    assert "data-merge-offer" in eve
    action = f'action="/people/{busy_morning["eve"]}/merge"'
    assert action in eve
    assert f'name="other_id" value="{busy_morning["eve2"]}"' in eve
    assert eve.count("Hi Eve,") == 1
    response = owner.form(
        f"/people/{busy_morning['eve']}/merge", {"other_id": busy_morning["eve2"]}
    )
    assert response.status_code == 302
    html = owner.get("/queue").get_data(as_text=True)
    assert "data-merge-offer" not in html
    assert html.count('class="queue-item"') == 6


def test_a_keep_in_touch_due_with_a_thank_you_rides_along(
    app, owner, user, busy_morning, clock
):
    clock.set(DUE)
    fay = card(owner.get("/queue").get_data(as_text=True), "Fay Gold")
    assert "Thank-you and Keep in touch" in fay
    assert "It&#39;s been a while" not in fay and "great to meet you" in fay


def test_the_api_acts_on_a_whole_message_in_one_request(
    app, api, user, busy_morning, clock
):
    clock.set(DUE)
    items = api.get("/api/v1/followups").get_json()["items"]
    di = [i for i in items if i["contact_name"] == "Di Eck"]
    assert len(di) == 2 and di[0]["message_key"] == di[1]["message_key"]
    # Looked up alone, a follow-up has the key it has in the list.
    alone = api.get(f"/api/v1/followups/{di[1]['id']}").get_json()
    assert alone["message_key"] == di[1]["message_key"]
    eve = [i for i in items if i["contact_name"].startswith("Eve")]
    assert (
        api.get(f"/api/v1/followups/{eve[1]['id']}").json["message_key"]
        == (eve[0]["message_key"])
    )
    response = api.post(
        f"/api/v1/followups/{di[0]['id']}/snooze?also={di[1]['id']}",
        json={"until": "2026-12-01"},
    )
    assert response.status_code == 200
    with app.app_context():
        for item in di:
            assert db.session.get(FollowUp, item["id"]).snoozed_until is not None
    bad = api.post(f"/api/v1/followups/{eve[0]['id']}/done?also=x")
    assert bad.status_code == 400 and bad.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.get(FollowUp, eve[0]["id"]).status == "pending"


def test_message_keys_are_stable_whatever_records_are_asked_about(
    app, user, busy_morning
):
    from app.followups import same_people

    with app.app_context():
        eve2 = db.session.get(Contact, busy_morning["eve2"])
        eve = db.session.get(Contact, busy_morning["eve"])
        # Asked about the later record alone, the older one still stands for it.
        assert same_people(_user(user), [eve2])[eve2.id] == eve.id
        assert same_people(_user(user), [eve, eve2])[eve2.id] == eve.id


def _user(user_id: int):
    from app.models import User

    return db.session.get(User, user_id)


@pytest.mark.parametrize("index", range(len(CORPUS)))
def test_every_combined_corpus_draft_follows_the_rules(index):
    """A promise, a thank-you and intro thanks made one message read right."""
    entry = CORPUS[index]
    parts = [drafted(entry, "promise"), drafted(entry, "thank_you")]
    intro = drafted({**entry, "introducer": entry["name"]}, "intro_thanks")
    combined = combine_drafts([*parts, intro])
    body = combined["body"]
    assert_reads_as_a_message(body)
    assert body.startswith(f"Hi {greeting(entry['name'])},\n\n"), body
    assert body.count("\nBest,\n") == 1 and body.count("Hi ") == 1
    # What we talked about is said once, however many parts mention it.
    topic = entry.get("talked_about")
    if topic and topic_phrase(topic):
        assert body.count(topic_phrase(topic)) <= 1, body
    if entry["notes"]:
        assert entry["notes"] not in body


def _many_followups(app, user: int, people: int) -> None:
    """`people` people met over the last days, written directly: thank-yous
    due on three different mornings, some owed twice over two mornings, some
    with a rewritten keep-in-touch riding on their card, some captured twice,
    some snoozed to later."""
    import datetime as dt
    import uuid

    with app.app_context():
        for n in range(people):
            contact = Contact(
                id=str(uuid.uuid4()),
                user_id=user,
                name=f"Person {n}",
                email=f"p{n // 2 if n % 7 == 0 else n}@example.com",
                created_at=DUE - dt.timedelta(days=3, minutes=n),
            )
            db.session.add(contact)
            due = DUE - dt.timedelta(days=n % 3, minutes=n % 5)
            rows = [("thank_you", due, None)]
            if n % 4 == 0:
                rows.append(("keep_in_touch", due - dt.timedelta(days=2), None))
            if n % 5 == 0:
                rows.append(("keep_in_touch", due, "Rewritten"))
            if n % 6 == 0:
                rows.append(("promise", DUE + dt.timedelta(days=2), None))
            for i, (kind, when, subject) in enumerate(rows):
                db.session.add(
                    FollowUp(
                        user_id=user,
                        contact_id=contact.id,
                        kind=kind,
                        key=f"{kind}:{i}",
                        due_at=when,
                        subject=subject,
                        snoozed_until=when if when > DUE else None,
                    )
                )
        db.session.commit()


def _all_due_cards(app, user: int) -> int:
    from app.followups import in_messages, list_followups
    from app.scheduling import zone_of

    with app.app_context():
        owner = _user(user)
        items, _ = list_followups(owner, DUE, limit=100_000)
        return len(in_messages(owner, items, zone_of(owner)))


def test_many_followups_count_the_same_on_home_the_queue_and_the_progress_line(
    app, owner, user, clock, count_queries
):
    from app.followups import count_due

    _many_followups(app, user, 150)
    clock.set(DUE)
    html = owner.get("/queue").get_data(as_text=True)
    cards = html.count('class="queue-item"')
    assert cards == _all_due_cards(app, user) > 150
    assert f"<strong>{cards}</strong> follow-ups due" in owner.get("/").get_data(
        as_text=True
    )
    assert f"0 of {cards} done" in html
    # Counted from the columns: the follow-ups and their people, in two queries.
    with app.app_context():
        owner_row = _user(user)
        with count_queries() as seen:
            assert count_due(owner_row, DUE) == cards
    assert len(seen) <= 2, seen


def test_home_counts_every_card_due_beyond_what_the_queue_lists_at_once(
    app, user, clock
):
    from app.followups import QUEUE_MAX, count_due

    _many_followups(app, user, 360)
    with app.app_context():
        due = db.session.execute(
            db.select(db.func.count(FollowUp.id)).where(FollowUp.due_at <= DUE)
        ).scalar_one()
        assert due > QUEUE_MAX
        assert count_due(_user(user), DUE) == _all_due_cards(app, user)


def test_a_card_owing_three_things_names_them_as_a_sentence_would(
    owner, user, meet, clock
):
    priya = meet(user, name="Priya Shah", promise="send her my deck")
    meet(user, name="Lena Fischer", email="lena@example.com", introduced_by_id=priya)
    clock.set(DUE)
    priya_card = card(owner.get("/queue").get_data(as_text=True), "Priya Shah")
    assert "Promise, Thank-you and Thanks for the intro" in priya_card
