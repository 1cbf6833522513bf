"""Merging two people keeps every value, and a merge can be undone for 30 days."""

from __future__ import annotations

import datetime as dt
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import ContactTag, FollowUp, Interaction
from app.search_text import fold
from tests.conftest import assert_api_error

URL = "/api/v1/contacts"


def capture(api, **fields) -> dict:
    fields.setdefault("id", str(uuid.uuid4()))
    response = api.post(URL, json=fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def merge(api, keep: str, other: str) -> dict:
    response = api.post(f"{URL}/{keep}/merge", json={"other_id": other})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def undo(api, merge_id: str):
    return api.post(f"/api/v1/merges/{merge_id}/undo")


def state(app, api, *ids: str) -> dict:
    """Everything about these people: fields, tag rows, follow-ups, links."""
    people = {i: api.get(f"{URL}/{i}").get_json() for i in ids}
    with app.app_context():
        tags = {
            (t.contact_id, t.tag)
            for t in db.session.execute(db.select(ContactTag)).scalars()
            if t.contact_id in ids
        }
        followups = {
            (f.id, f.contact_id, f.about_contact_id, f.key, f.kind, f.status, f.due_at)
            for f in db.session.execute(db.select(FollowUp)).scalars()
        }
        interactions = {
            (i.id, i.contact_id)
            for i in db.session.execute(db.select(Interaction)).scalars()
        }
    return {
        "people": people,
        "tags": tags,
        "followups": followups,
        "interactions": interactions,
    }


def test_the_fuller_name_wins_and_the_other_stays_as_an_alias(api):
    keep = capture(api, name="Amara O.", email="amara@example.com")
    other = capture(api, name="Amara Okafor", email="AMARA@example.com")
    merged = merge(api, keep["id"], other["id"])
    assert merged["name"] == "Amara Okafor"
    assert (merged["first_name"], merged["last_name"]) == ("Amara", "Okafor")
    assert merged["extras"] == {"name": ["Amara O."]}  # the same email in any case
    found = api.get(URL, query_string={"q": "okafor"}).get_json()["items"]
    assert [p["id"] for p in found] == [keep["id"]]


def test_every_differing_value_stays_and_search_finds_it(api):
    keep = capture(
        api,
        name="Böhm",
        email="anna@example.com",
        phone="+49 30 1234567",
        company="Acme",
        website="https://anna.example",
    )
    other = capture(
        api,
        name="Anna Schmidt",
        email="anna@work.example",
        phone="+44 20 7946 0958",
        company="Acme Corporation",
        title="CTO",
        linkedin="https://www.linkedin.com/in/anna",
    )
    merged = merge(api, keep["id"], other["id"])
    assert merged["name"] == "Böhm"
    assert merged["company"] == "Acme Corporation"
    assert merged["title"] == "CTO"
    assert merged["linkedin"] == "https://www.linkedin.com/in/anna"
    assert merged["extras"] == {
        "name": ["Anna Schmidt"],
        "email": ["anna@work.example"],
        "phone": ["+442079460958"],
    }
    for q in ("schmidt", "anna@work", "bohm"):
        found = api.get(URL, query_string={"q": q}).get_json()["items"]
        assert [p["id"] for p in found] == [keep["id"]], q


def test_the_persons_page_and_vcard_show_the_kept_values(api, owner):
    keep = capture(api, name="Amara O.", email="amara@example.com")
    other = capture(api, name="Amara Okafor", email="okafor@work.example")
    merge(api, keep["id"], other["id"])
    page = owner.get(f"/people/{keep['id']}").get_data(as_text=True)
    assert "Also known as Amara O." in page
    assert "okafor@work.example" in page
    assert "Undo merge" in page
    vcard = api.get(f"{URL}/{keep['id']}/vcard").get_data(as_text=True)
    assert "NICKNAME:Amara O.\r\n" in vcard
    assert "EMAIL:amara@example.com\r\n" in vcard
    assert "EMAIL:okafor@work.example\r\n" in vcard


def test_undo_brings_both_people_back_exactly(app, api, clock):
    introducer = capture(api, name="Ivy Introducer", email="ivy@example.com")
    keep = capture(
        api,
        name="Jane",
        email="jane@example.com",
        promise="Send the paper",
        tags=["rust"],
    )
    other = capture(
        api,
        name="Jane Doe",
        email="jane@work.example",
        phone="030 1234567",
        notes="Met twice\nat the meetup",
        tags=["hiring", "rust"],
        introduced_by_id=introducer["id"],
    )
    friend = capture(api, name="Friend", introduced_by_id=other["id"])
    with app.app_context():
        db.session.add(Interaction(user_id=1, contact_id=other["id"], kind="talked"))
        db.session.commit()
    ids = (introducer["id"], keep["id"], other["id"], friend["id"])
    before = state(app, api, *ids)

    clock.advance(days=1)
    merged = merge(api, keep["id"], other["id"])
    assert api.get(f"{URL}/{other['id']}").status_code == 404
    assert api.get(f"{URL}/{friend['id']}").get_json()["introduced_by_id"] == keep["id"]

    clock.advance(days=29, hours=23)
    response = undo(api, merged["merge_id"])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["other"]["id"] == other["id"]
    after = state(app, api, *ids)
    for person_id in ids:
        assert after["people"][person_id] == before["people"][person_id], ids.index(
            person_id
        )
    assert after == before

    assert_api_error(undo(api, merged["merge_id"]), 409)


def test_undo_keeps_what_changed_since_on_the_person_it_was_made_to(
    app, api, owner, clock
):
    keep = capture(api, name="Jane", email="jane@example.com", tags=["rust"])
    other = capture(api, name="Jane Doe", phone="030 1234567", tags=["hiring"])
    merged = merge(api, keep["id"], other["id"])
    clock.advance(hours=2)
    api.patch(
        f"{URL}/{keep['id']}",
        json={"email": "jane@new.example", "tags": ["rust", "hiring", "friend"]},
    )
    owner.form(f"/people/{keep['id']}/cadence", {"cadence": "30"})
    owner.form(f"/people/{keep['id']}/talked", {"note": "Coffee"})
    with app.app_context():
        later = {
            (f.id, f.key)
            for f in db.session.execute(
                db.select(FollowUp).filter_by(contact_id=keep["id"])
            ).scalars()
            if f.key.startswith("kit")
        }
    assert later

    assert undo(api, merged["merge_id"]).status_code == 200
    kept = api.get(f"{URL}/{keep['id']}").get_json()
    back = api.get(f"{URL}/{other['id']}").get_json()
    assert kept["email"] == "jane@new.example"  # edited since: stays
    assert kept["phone"] == ""  # the merge brought it: it goes back
    assert kept["name"] == "Jane"
    assert kept["tags"] == ["rust", "friend"]
    assert kept["keep_in_touch_days"] == 30
    assert (back["name"], back["phone"], back["tags"]) == (
        "Jane Doe",
        "+49301234567",
        ["hiring"],
    )
    with app.app_context():
        kept_followups = {
            (f.id, f.key)
            for f in db.session.execute(
                db.select(FollowUp).filter_by(contact_id=keep["id"])
            ).scalars()
        }
        talks = db.session.execute(db.select(Interaction)).scalars().all()
    assert later <= kept_followups
    assert [t.contact_id for t in talks] == [keep["id"]]


def test_undo_ends_after_30_days_and_is_the_owners_alone(
    api, owner, clock, client, make_user, token_for
):
    keep = capture(api, name="Jane")
    other = capture(api, name="Jane Doe")
    merged = merge(api, keep["id"], other["id"])
    stranger = {"Authorization": f"Bearer {token_for(make_user())}"}
    response = client.post(
        f"/api/v1/merges/{merged['merge_id']}/undo", headers=stranger
    )
    assert_api_error(response, 404)
    assert_api_error(undo(api, "no-such-merge"), 404)
    clock.advance(days=30, minutes=1)
    body = assert_api_error(undo(api, merged["merge_id"]), 410)
    assert "30 days" in body["error"]["message"]
    assert "Undo merge" not in owner.get(f"/people/{keep['id']}").get_data(as_text=True)


def test_the_persons_page_undoes_a_merge(api, owner):
    keep = capture(api, name="Amara O.", email="amara@example.com")
    other = capture(api, name="Amara Okafor", phone="030 1234567")
    merged = merge(api, keep["id"], other["id"])
    response = owner.form(f"/people/{keep['id']}/merges/{merged['merge_id']}/undo", {})
    assert response.status_code == 302
    assert api.get(f"{URL}/{other['id']}").get_json()["name"] == "Amara Okafor"
    assert api.get(f"{URL}/{keep['id']}").get_json()["name"] == "Amara O."
    again = owner.form(
        f"/people/{keep['id']}/merges/{merged['merge_id']}/undo",
        {},
        follow_redirects=True,
    )
    assert "already undone" in again.get_data(as_text=True)


# Values as a person types them: accents, emoji, second lines, other scripts.
TEXT = st.text(
    alphabet=st.characters(
        categories=("Lu", "Ll", "Lo", "Mn", "Nd", "Zs", "Pd", "Po", "So"),
        exclude_characters="\u2028\u2029\u00a0\u3000",
    ),
    max_size=25,
)
NAME = TEXT.filter(lambda s: s.strip())
WORD = st.from_regex(r"[a-z]{2,8}", fullmatch=True)
PERSON = st.fixed_dictionaries(
    {},
    optional={
        "email": st.builds("{}@{}.example".format, WORD, WORD),
        "phone": st.sampled_from(
            ["+49 30 1234567", "+44 20 7946 0958", "+1 415 555 2671", "+81 3-1234-5678"]
        ),
        "company": TEXT,
        "title": TEXT,
        "website": st.builds("https://{}.example".format, WORD),
        "linkedin": st.builds("https://www.linkedin.com/in/{}".format, WORD),
        "talked_about": st.lists(TEXT, max_size=2).map("\n".join),
        "promise": TEXT,
        "notes": st.lists(TEXT, max_size=3).map("\n".join),
        "tags": st.lists(WORD, max_size=4),
    },
)
CHECKED = ("name", "email", "phone", "company", "title", "website", "linkedin")
JOINED = ("talked_about", "promise", "notes")


def kept_on(merged: dict, field: str, value: str) -> bool:
    if fold(value) in fold(merged[field]):
        return True
    return any(fold(value) == fold(v) for v in merged["extras"].get(field, []))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(first=PERSON, second=PERSON, first_name=NAME, second_name=NAME)
def test_a_merge_loses_nothing_and_its_undo_restores_both(
    app, api, first, second, first_name, second_name
):
    keep = capture(api, name=first_name, **first)
    other = capture(api, name=second_name, **second)
    before = state(app, api, keep["id"], other["id"])
    merged = merge(api, keep["id"], other["id"])
    for person in (keep, other):
        for field in CHECKED:
            if person[field]:
                assert kept_on(merged, field, person[field]), (field, person[field])
        for field in JOINED:
            assert person[field] in merged[field], field
        assert set(person["tags"]) <= set(merged["tags"])
        words = fold(person["name"]).split()
        if words:
            found = api.get(URL, query_string={"q": " ".join(words[:8])}).get_json()
            assert keep["id"] in [p["id"] for p in found["items"]], person["name"]
    assert undo(api, merged["merge_id"]).status_code == 200
    assert state(app, api, keep["id"], other["id"]) == before
    for person in (keep, other):  # the next example starts from nobody
        api.delete(f"{URL}/{person['id']}")


def test_an_old_merge_after_many_days_is_not_offered(api, owner, clock):
    keep = capture(api, name="Jane")
    other = capture(api, name="Jane Doe")
    merge(api, keep["id"], other["id"])
    clock.advance(days=29)
    assert "Undo merge" in owner.get(f"/people/{keep['id']}").get_data(as_text=True)
    clock.set(clock.current + dt.timedelta(days=2))
    assert "Undo merge" not in owner.get(f"/people/{keep['id']}").get_data(as_text=True)


def open_followups(app, *contact_ids: str) -> list[tuple]:
    """(contact, kind, key, about, body) of the pending follow-ups owed to them."""
    with app.app_context():
        rows = db.session.execute(
            db.select(FollowUp).where(
                FollowUp.status == "pending", FollowUp.contact_id.in_(contact_ids)
            )
        ).scalars()
        return sorted(
            (f.contact_id, f.kind, f.key, f.about_contact_id, f.body) for f in rows
        )


def followup_id(app, contact_id: str, kind: str) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(FollowUp.id).filter_by(contact_id=contact_id, kind=kind)
        ).scalar_one()


def test_a_person_met_twice_on_two_days_has_one_thank_you_after_the_merge(
    app, api, owner, clock
):
    keep = capture(api, name="Jane Doe", email="jane@example.com")
    clock.advance(days=1)
    other = capture(api, name="Jane D.", email="JANE@example.com", phone="030 12345")
    before = state(app, api, keep["id"], other["id"])
    earliest = followup_id(app, keep["id"], "thank_you")

    merged = merge(api, keep["id"], other["id"])
    assert open_followups(app, keep["id"], other["id"]) == [
        (keep["id"], "thank_you", "thank_you", None, None)
    ]
    assert followup_id(app, keep["id"], "thank_you") == earliest
    clock.advance(days=3)
    html = owner.get("/queue").get_data(as_text=True)
    assert html.count('class="queue-item"') == 1

    assert undo(api, merged["merge_id"]).status_code == 200
    assert state(app, api, keep["id"], other["id"]) == before


def test_the_owners_edited_draft_is_the_one_kept_and_a_sent_one_stays(app, api, clock):
    keep = capture(api, name="Jane Doe", email="jane@example.com", promise="Slides")
    clock.advance(days=1)
    other = capture(api, name="Jane D.", email="jane@example.com", promise="Deck")
    edited = followup_id(app, other["id"], "thank_you")
    answer = api.patch(f"/api/v1/followups/{edited}", json={"body": "Hi Jane, mine."})
    assert answer.status_code == 200, answer.get_json()
    sent = followup_id(app, keep["id"], "promise")
    assert api.post(f"/api/v1/followups/{sent}/done").status_code == 200
    before = state(app, api, keep["id"], other["id"])

    merged = merge(api, keep["id"], other["id"])
    # The promise not kept yet stays beside the one kept; one thank-you, the edit.
    assert [(f[1], f[4]) for f in open_followups(app, keep["id"])] == [
        ("promise", None),
        ("thank_you", "Hi Jane, mine."),
    ]
    assert followup_id(app, keep["id"], "thank_you") == edited
    with app.app_context():
        assert db.session.get(FollowUp, sent).status == "done"
        assert db.session.get(FollowUp, edited).contact_id == keep["id"]

    assert undo(api, merged["merge_id"]).status_code == 200
    assert state(app, api, keep["id"], other["id"]) == before


def test_an_introducer_thanks_once_for_a_person_merged(app, api, clock):
    ivy = capture(api, name="Ivy Introducer", email="ivy@example.com")
    keep = capture(api, name="Jane Doe", email="jane@example.com")
    other = capture(
        api, name="Jane D.", email="jane@example.com", introduced_by_id=ivy["id"]
    )
    before = state(app, api, ivy["id"], keep["id"], other["id"])

    merged = merge(api, keep["id"], other["id"])
    intros = [f for f in open_followups(app, ivy["id"]) if f[1] == "intro_thanks"]
    assert intros == [
        (ivy["id"], "intro_thanks", f"intro:{keep['id']}", keep["id"], None)
    ]

    assert undo(api, merged["merge_id"]).status_code == 200
    assert state(app, api, ivy["id"], keep["id"], other["id"]) == before


def test_one_keep_in_touch_reminder_after_merging_two_with_a_cadence(
    app, api, owner, clock
):
    keep = capture(api, name="Jane Doe", email="jane@example.com")
    other = capture(api, name="Jane D.", email="jane@example.com")
    for person in (keep, other):
        owner.form(f"/people/{person['id']}/cadence", {"cadence": "30"})
    before = state(app, api, keep["id"], other["id"])

    merged = merge(api, keep["id"], other["id"])
    kits = [f for f in open_followups(app, keep["id"]) if f[1] == "keep_in_touch"]
    assert [f[2] for f in kits] == ["kit:1"]

    assert undo(api, merged["merge_id"]).status_code == 200
    assert state(app, api, keep["id"], other["id"]) == before
