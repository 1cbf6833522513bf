"""Every request commits at most once; a refused write leaves nothing behind.

Write routes come from the app's URL map: a new one fails the test until this
file says how to build a valid request for it. Commits are counted with the
database connection's commit event. Bulk import is the one exception: it commits
every BATCH cards (app/importing.py).
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.engine import Engine

from app.drafts import DEFAULTS
from app.errors import ValidationError
from app.exporting import FORMAT, VERSION
from app.extensions import db
from app.models import Contact, ContactTag, Event, FollowUp, User
from tests.card_images import card_image, jpeg
from tests.conftest import PASSWORD, assert_api_error, csrf_from

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Commit once per batch of cards, in their own loop (see app/transactions.py).
BULK_IMPORT = {"api.import_contacts", "settings.import_export"}
# Routes that end the login or the account: sent last, each on its own.
ENDING = {"auth.logout", "settings.delete"}
# Routes that work only before the first account exists (tested on their own).
FIRST_RUN = {"auth.setup"}
VCARDS = "".join(
    f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {i}\r\nEMAIL:p{i}@example.com\r\n"
    "END:VCARD\r\n"
    for i in range(3)
)


@contextmanager
def counting_commits():
    commits: list[int] = []

    # The database's own COMMITs: releasing a SAVEPOINT (a batch's item) is
    # none, though the session reports it to after_commit listeners as well.
    def committed(connection):
        commits.append(1)

    sa_event.listen(Engine, "commit", committed)
    try:
        yield commits
    finally:
        sa_event.remove(Engine, "commit", committed)


def seed(app, api) -> dict:
    """An event, two people (one to merge away) and a merged message's follow-ups."""
    event = api.post("/api/v1/events", json={"name": "Meetup", "date": "2026-03-09"})
    event_id = event.get_json()["id"]
    person = api.post(
        "/api/v1/contacts",
        json={"name": "Ana Lima", "email": "ana@example.com", "promise": "slides",
              "event_id": event_id},
    ).get_json()  # fmt: skip
    other = api.post("/api/v1/contacts", json={"name": "Ana L."}).get_json()
    with app.app_context():
        followups = (
            db.session.execute(
                db.select(FollowUp.id).filter_by(contact_id=person["id"]).order_by("id")
            )
            .scalars()
            .all()
        )
    assert len(followups) == 2, followups
    kept = api.post("/api/v1/contacts", json={"name": "Kim Park"}).get_json()
    gone = api.post("/api/v1/contacts", json={"name": "Kim P."}).get_json()
    merged = api.post(
        f"/api/v1/contacts/{kept['id']}/merge", json={"other_id": gone["id"]}
    ).get_json()
    return {
        "merge_id": merged["merge_id"],
        "merge_kept": kept["id"],
        "event_id": event_id,
        "contact_id": person["id"],
        "other_id": other["id"],
        "followup_id": followups[0],
        "also": followups[1],
    }


# A device's subscription; its push service is allowed in the sender fixture.
PUSH = {
    "endpoint": "https://push.example.com/send/1",
    "keys": {
        "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        "auth": "tBHItJI5svbpez7KI4CCXg",
    },
}


CARD_JPEG = jpeg(card_image(width=600))
TYPED_WITH_PHOTO = {
    "name": "Cy Typed", "title": "CTO", "company": "Cyco", "email": "cy@example.com",
    "phone": "+49 30 1234567", "website": "https://cy.example.com",
    "linkedin": "https://www.linkedin.com/in/cy",
    "card_photo": "data:image/jpeg;base64," + base64.b64encode(CARD_JPEG).decode(),
}  # fmt: skip


def valid_requests(known: dict) -> dict[str, tuple[str, str, dict]]:
    """A request each write route accepts: endpoint → (method, path, kwargs)."""
    contact, other = known["contact_id"], known["other_id"]
    event, followup = known["event_id"], known["followup_id"]
    kind = next(iter(DEFAULTS))
    return {
        "people.capture": ("POST", "/capture", {"name": "Bo", "id": str(uuid.uuid4())}),
        "people.edit": ("POST", f"/people/{contact}/edit",
                        {"name": "Ana Lima", "email": "ana@example.com"}),
        "people.merge": ("POST", f"/people/{contact}/merge", {"other_id": other}),
        "people.delete": ("POST", f"/people/{contact}/delete", {}),
        "people.talked": ("POST", f"/people/{contact}/talked", {"note": "Coffee"}),
        "people.cadence": ("POST", f"/people/{contact}/cadence", {"cadence": "30"}),
        "queue.done": ("POST", f"/queue/{followup}/done", {"also": known["also"]}),
        "queue.skip": ("POST", f"/queue/{followup}/skip", {"also": known["also"]}),
        "queue.snooze": ("POST", f"/queue/{followup}/snooze",
                         {"when": "tomorrow", "also": known["also"]}),
        "queue.edit": ("POST", f"/queue/{followup}/edit", {"subject": "Hello"}),
        "events.index": ("POST", "/events", {"name": "Later", "date": "2026-03-12"}),
        "events.activate": ("POST", f"/events/{event}/active", {"active": "1"}),
        "events.detail": ("POST", f"/events/{event}",
                          {"name": "Meetup", "date": "2026-03-09", "active": "1"}),
        "events.delete": ("POST", f"/events/{event}/delete", {}),
        "settings.card": ("POST", "/settings/card",
                          {"first_name": "Owen", "public": ["first_name"]}),
        "settings.account": ("POST", "/settings/account",
                             {"timezone": "Europe/Berlin", "followup_hour": "8",
                              "default_region": "DE", "weekly_goal": "3"}),
        "settings.tokens": ("POST", "/settings/tokens", {"name": "Laptop"}),
        "settings.templates": ("POST", "/settings/templates",
                               {"kind": kind, "subject": DEFAULTS[kind][0],
                                "body": DEFAULTS[kind][1]}),
        "settings.feed": ("POST", "/settings/feed", {}),
        "settings.import_export": ("POST", "/settings/import-export",
                                   {"file": (io.BytesIO(VCARDS.encode()), "a.vcf")}),
        "settings.delete": ("POST", "/settings/delete", {"password": PASSWORD}),
        "public.exchange": ("POST", "/c/owner-card/exchange",
                            {"name": "Vi", "reach": "vi@example.com",
                             "consent": "1"}),
        "auth.signup": ("POST", "/signup",
                        {"email": "new@example.com", "password": PASSWORD,
                         "timezone": "UTC"}),
        "auth.login": ("POST", "/login",
                       {"email": "owner@example.com", "password": PASSWORD}),
        "auth.logout": ("POST", "/logout", {}),
        "people.undo_merge_page": (
            "POST", f"/people/{known['merge_kept']}/merges/{known['merge_id']}/undo", {}
        ),
        "api.undo_merge_route": (
            "POST", f"/api/v1/merges/{known['merge_id']}/undo", {}
        ),
        "settings.notifications": ("POST", "/settings/notifications",
                                   {"nudge_email": "on"}),
        "api.subscribe": ("POST", "/api/v1/push-subscriptions", PUSH),
        "api.unsubscribe": ("DELETE", "/api/v1/push-subscriptions",
                            {"endpoint": PUSH["endpoint"]}),
        "api.update_me": ("PATCH", "/api/v1/me", {"weekly_goal": 4}),
        "api.replace_card": ("PUT", "/api/v1/card", {"first_name": "Owen"}),
        # Every card field typed and a card photo: the photo is kept, nothing read.
        "api.create_contact_route": ("POST", "/api/v1/contacts", TYPED_WITH_PHOTO),
        "api.scan_card": ("POST", "/api/v1/contacts/scan-card",
                          {"image": (io.BytesIO(CARD_JPEG), "card.jpg")}),
        "api.capture_batch": ("POST", "/api/v1/contacts/batch",
                              {"items": [{"name": "Di"}, {"name": "Ed"}]}),
        "api.update_contact_route": ("PATCH", f"/api/v1/contacts/{contact}",
                                     {"company": "Acme"}),
        "api.delete_contact_route": ("DELETE", f"/api/v1/contacts/{contact}", {}),
        "api.merge_contact_route": ("POST", f"/api/v1/contacts/{contact}/merge",
                                    {"other_id": other}),
        "api.parse_contact_text": ("POST", "/api/v1/contacts/parse",
                                   {"text": "MECARD:N:Doe,Jo;;"}),
        "api.create_event_route": ("POST", "/api/v1/events",
                                   {"name": "Later", "date": "2026-03-12",
                                    "active": True}),
        "api.update_event_route": ("PATCH", f"/api/v1/events/{event}",
                                   {"active": True}),
        "api.delete_event_route": ("DELETE", f"/api/v1/events/{event}", {}),
        "api.followup_done": ("POST", f"/api/v1/followups/{followup}/done", {}),
        "api.followup_skip": ("POST", f"/api/v1/followups/{followup}/skip", {}),
        "api.followup_snooze": ("POST", f"/api/v1/followups/{followup}/snooze",
                                {"until": "2026-03-20"}),
        "api.followup_edit": ("PATCH", f"/api/v1/followups/{followup}",
                              {"subject": "Hello"}),
        "api.import_contacts": ("POST", "/api/v1/contacts/import",
                                {"file": (io.BytesIO(VCARDS.encode()), "a.vcf")}),
        "api.import_account_route": ("POST", "/api/v1/import.json",
                                     {"format": FORMAT, "version": VERSION,
                                      "events": [{"name": "Old", "date":
                                                  "2025-01-01"}]}),
    }  # fmt: skip


def write_rules(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & WRITE_METHODS):
            yield rule, method


class Sender:
    """Sends a request as the route expects it: API token, page form, or visitor."""

    def __init__(self, app, client, api, owner, empty_account: str) -> None:
        self.app, self.client, self.api, self.owner = app, client, api, owner
        self.empty_account = {"Authorization": f"Bearer {empty_account}"}

    def prepare(self, endpoint: str, method: str, path: str, body: dict):
        """Return a call sending the request (a visitor's form is fetched now)."""
        if endpoint == "api.import_account_route":  # loads only into a new account
            return lambda: self.client.post(path, json=body, headers=self.empty_account)
        if path.startswith("/api/"):
            if "file" in body or "image" in body:
                return lambda: self.api.post(path, data=body)
            return lambda: self.api.open(path, method=method, json=body)
        if endpoint.startswith(("auth.", "public.")) and endpoint != "auth.logout":
            visitor = self.app.test_client()
            page = "/c/owner-card" if endpoint.startswith("public.") else path
            csrf = csrf_from(visitor.get(page).get_data(as_text=True))
            return lambda: visitor.post(path, data={"csrf_token": csrf, **body})
        return lambda: self.owner.form(path, body)


@pytest.fixture
def sender(app, client, api, owner, make_user, token_for):
    app.config["ALLOW_SIGNUP"] = True
    app.config["PUSH_ALLOWED_HOSTS"] = ["push.example.com"]
    assert owner.form("/settings/card", {"slug": "owner-card"}).status_code == 302
    empty = token_for(make_user("empty@example.com"))
    return Sender(app, client, api, owner, empty)


def test_every_write_route_commits_at_most_once(app, sender, api, login, user):
    endpoints = {rule.endpoint for rule, _ in write_rules(app)}
    requests = valid_requests(seed(app, api))
    unknown = endpoints - set(requests) - FIRST_RUN
    assert not unknown, f"add a valid request for {sorted(unknown)} here"
    # The routes that end the login or the account go last, each after a login.
    rules = sorted(
        write_rules(app),
        key=lambda r: (r[0].endpoint in ENDING, r[0].endpoint == "settings.delete"),
    )
    commits_by_route = {}
    for rule, method in rules:
        endpoint = rule.endpoint
        if endpoint in FIRST_RUN | BULK_IMPORT:
            continue
        verb, path, body = valid_requests(seed(app, api))[endpoint]
        assert verb == method, endpoint
        if endpoint in ENDING:
            sender.owner = login(user)
        send = sender.prepare(endpoint, method, path, body)
        with counting_commits() as commits:
            response = send()
        assert response.status_code < 400, (endpoint, response.status_code)
        commits_by_route[endpoint] = len(commits)
    assert len(commits_by_route) >= 30, commits_by_route
    twice = {e: n for e, n in commits_by_route.items() if n > 1}
    assert twice == {}, twice


def test_first_run_setup_commits_once(app, client, setup_code):
    csrf = csrf_from(client.get("/setup").get_data(as_text=True))
    form = {"email": "first@example.com", "password": PASSWORD, "timezone": "UTC",
            "setup_code": setup_code, "csrf_token": csrf}  # fmt: skip
    with counting_commits() as commits:
        response = client.post("/setup", data=form)
    assert response.status_code == 302
    assert len(commits) == 1


@pytest.mark.parametrize("endpoint", sorted(BULK_IMPORT))
def test_bulk_import_commits_once_per_batch(app, sender, api, monkeypatch, endpoint):
    monkeypatch.setattr("app.importing.BATCH", 2)
    _verb, path, body = valid_requests(seed(app, api))[endpoint]
    send = sender.prepare(endpoint, "POST", path, body)
    with counting_commits() as commits:
        response = send()
    assert response.status_code == 200
    assert len(commits) == 2  # three cards, two to a batch
    with app.app_context():
        saved = db.session.execute(
            db.select(db.func.count()).where(Contact.name.like("Person %"))
        ).scalar()
    assert saved == 3


def test_a_refused_api_write_keeps_nothing_it_wrote(app, api, monkeypatch):
    known = seed(app, api)

    def refuse(*args, **kwargs):  # after mark_done has written the follow-up
        raise ValidationError("Refused.")

    monkeypatch.setattr("app.followups.log_interaction", refuse)
    response = api.post(f"/api/v1/followups/{known['followup_id']}/done", json={})
    assert_api_error(response, 400)
    with app.app_context():
        followup = db.session.get(FollowUp, known["followup_id"])
        assert (followup.status, followup.done_at) == ("pending", None)


def test_a_refusal_a_page_shows_itself_keeps_nothing_of_the_message(
    app, api, owner, monkeypatch
):
    # One message of two follow-ups: the second is refused after the first was
    # snoozed. The page answers with a flash and a redirect, not an error.
    from app.pages import queue

    known = seed(app, api)
    real = queue.snooze_followup
    calls: list[int] = []

    def second_refused(user, followup, until, now):
        calls.append(followup.id)
        if len(calls) == 2:
            raise ValidationError("Sent meanwhile.")
        return real(user, followup, until, now)

    monkeypatch.setattr(queue, "snooze_followup", second_refused)
    response = owner.form(
        f"/queue/{known['followup_id']}/snooze",
        {"when": "tomorrow", "also": known["also"]},
    )
    assert response.status_code == 303
    assert len(calls) == 2
    with app.app_context():
        snoozed = db.session.execute(
            select(FollowUp.snoozed_until).where(
                FollowUp.id.in_([known["followup_id"], known["also"]])
            )
        ).scalars()
        assert list(snoozed) == [None, None]


def test_a_form_shown_again_after_a_refused_write_keeps_nothing(app, owner, user):
    # The events are written before the people are found wrong.
    export = {"format": FORMAT, "version": VERSION,
              "events": [{"name": "Old", "date": "2025-01-01"}], "people": [7]}  # fmt: skip
    response = owner.form(
        "/settings/import-export",
        {"action": "account",
         "account_file": (io.BytesIO(json.dumps(export).encode()), "x.json")},
    )  # fmt: skip
    assert response.status_code == 400
    with app.app_context():
        assert db.session.execute(select(Event).filter_by(user_id=user)).first() is None


def test_captures_share_one_transaction_and_a_repeated_id_answers_the_stored(
    app, api, user, clock
):
    from app.contacts import create_contact

    raced = str(uuid.uuid4())
    # Another request stored this capture first (a phone's retry racing it).
    assert (
        api.post("/api/v1/contacts", json={"id": raced, "name": "Racer"}).status_code
        == 201
    )
    repeated = str(uuid.uuid4())
    with app.app_context():
        owner = db.session.get(User, user)
        first, made_first = create_contact(
            owner, {"id": repeated, "name": "First", "tags": ["x"]}, clock()
        )
        other, made_other = create_contact(owner, {"id": raced, "name": "Y"}, clock())
        again, made_again = create_contact(
            owner, {"id": repeated, "name": "Changed"}, clock()
        )
        assert (made_first, made_other, made_again) == (True, False, False)
        assert (other.name, again.name) == ("Racer", "First")
        assert again is first
        db.session.commit()
    with app.app_context():
        names = db.session.execute(select(Contact.name).order_by(Contact.name))
        assert list(names.scalars()) == ["First", "Racer"]
        tags = db.session.execute(select(ContactTag.tag)).scalars()
        assert list(tags) == ["x"]


def test_only_the_request_bulk_import_and_the_cli_commit():
    import ast
    from pathlib import Path

    app_dir = Path(__file__).resolve().parents[1] / "app"
    allowed = {
        # Outside any request: the CLI, the nudge runner, the draft polisher
        # and the card reader filling a synced capture's empty fields.
        "commit": {
            "transactions.py",
            "importing.py",
            "cli.py",
            "nudges.py",
            "polish.py",
            "card_photos.py",
        },
        "rollback": {
            "transactions.py",
            "importing.py",
            "errors.py",
            "nudges.py",
            "polish.py",
            "card_photos.py",
        },
    }
    found = {"commit": set(), "rollback": set()}
    for path in app_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in found
            ):
                found[node.func.attr].add(str(path.relative_to(app_dir)))
    assert found == allowed


@pytest.mark.parametrize("status", [200, 400])
def test_work_after_commit_runs_once_the_write_is_committed_and_never_after_a_refusal(
    app, client, user, status
):
    """What another connection does (the draft polisher's threads) sees the write."""
    import datetime as dt

    from app.transactions import after_commit

    seen: list[int] = []

    def count_from_another_connection() -> None:
        with db.engine.connect() as other:
            seen.append(other.execute(select(db.func.count(Event.id))).scalar_one())

    def write():
        db.session.add(Event(user_id=user, name="Probe", date=dt.date(2026, 3, 9)))
        db.session.flush()
        after_commit(count_from_another_connection)
        return "", status

    app.add_url_rule("/_probe", "probe", write)
    assert client.get("/_probe").status_code == status
    assert seen == ([1] if status == 200 else [])
