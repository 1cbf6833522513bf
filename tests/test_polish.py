"""Polishing drafts with the owner's own model, against a fake OpenAI-compatible server."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app import polish
from app.config import ConfigError, from_environment
from app.extensions import db
from app.models import FollowUp
from tests.conftest import DUE

POLISHED = "Hi Ana,\n\nLovely to meet you! Here are the slides, as promised.\n\nKim"


class FakeModel:
    """A tiny /v1/chat/completions server on a free loopback port."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.answer = POLISHED
        self.delay = 0.0
        self.status = 200
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                size = int(self.headers["Content-Length"])
                fake.bodies.append(json.loads(self.rfile.read(size)))
                fake.headers.append(dict(self.headers))
                fake.path = self.path
                time.sleep(fake.delay)
                reply = {"choices": [{"message": {"content": fake.answer}}]}
                data = json.dumps(reply).encode()
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def model(app):
    fake = FakeModel()
    app.config.update(
        DRAFTS_LLM_URL=fake.url,
        DRAFTS_LLM_MODEL="tiny",
        DRAFTS_LLM_KEY="sk-local",
        DRAFTS_LLM_TIMEOUT=1,
    )
    polish.forget()
    yield fake
    fake.close()
    polish.forget()


def promise_of(app, user, meet) -> int:
    contact = meet(
        user,
        name="Ana Lima",
        promise="send her the slides",
        talked_about="battery storage",
        notes="SECRET: owes me money",
    )
    with app.app_context():
        return db.session.execute(
            db.select(FollowUp.id).filter_by(contact_id=contact, kind="promise")
        ).scalar_one()


def polish_now(app, followup_id: int) -> bool:
    with app.test_request_context():
        return polish.polish(followup_id)


def draft_body(api, followup_id: int) -> str:
    return api.get(f"/api/v1/followups/{followup_id}").get_json()["draft"]["body"]


def test_an_answered_polish_becomes_the_draft_and_sends_no_private_notes(
    app, api, user, meet, model
):
    fid = promise_of(app, user, meet)
    template = draft_body(api, fid)
    assert polish_now(app, fid)
    assert draft_body(api, fid) == POLISHED
    (body,) = model.bodies
    assert model.path == "/v1/chat/completions"
    assert model.headers[0]["Authorization"] == "Bearer sk-local"
    assert body["model"] == "tiny"
    sent = json.dumps(body)
    assert "SECRET" not in sent and "owes me money" not in sent
    prompt = body["messages"][-1]["content"]
    assert template in prompt and "Ana" in prompt and "battery storage" in prompt
    assert "sending you the slides" in prompt
    # Asked again with the same inputs, the model isn't bothered.
    assert not polish_now(app, fid)
    assert len(model.bodies) == 1


def test_a_changed_promise_shows_the_template_again_until_polished_anew(
    app, api, user, meet, model
):
    fid = promise_of(app, user, meet)
    polish_now(app, fid)
    contact_id = api.get(f"/api/v1/followups/{fid}").get_json()["contact_id"]
    api.patch(f"/api/v1/contacts/{contact_id}", json={"promise": "call her monday"})
    body = draft_body(api, fid)
    assert body != POLISHED and "I'll call you monday" in body
    assert polish_now(app, fid)
    assert draft_body(api, fid) == POLISHED


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("down", "unreachable"),
        ("slow", "did not answer within"),
        ("error", "HTTP 500"),
        ("empty", "empty"),
        ("no_greeting", "does not greet"),
        ("too_long", "too long"),
        ("placeholder", "placeholder"),
    ],
)
def test_a_model_down_slow_or_talking_nonsense_leaves_the_template(
    app, api, user, meet, model, caplog, setup, reason
):
    fid = promise_of(app, user, meet)
    template = draft_body(api, fid)
    if setup == "down":
        model.close()
    elif setup == "slow":
        model.delay = 2.5
    elif setup == "error":
        model.status = 500
    else:
        model.answer = {
            "empty": "  \n ",
            "no_greeting": "Dear colleague,\n\nHere are the slides.\n\nKim",
            "too_long": "Hi Ana,\n\n" + "Thank you so much. " * 40,
            "placeholder": "Hi Ana,\n\nHere are {promise}.\n\nKim",
        }[setup]
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="app.polish"):
        assert not polish_now(app, fid)
    assert time.monotonic() - started < 2.4
    assert draft_body(api, fid) == template
    (record,) = [r for r in caplog.records if r.name == "app.polish"]
    assert reason in record.getMessage() and f"Draft {fid}" in record.getMessage()
    assert "Ana" not in record.getMessage()


def test_an_edited_draft_is_never_replaced(app, api, user, meet, model):
    fid = promise_of(app, user, meet)
    api.patch(f"/api/v1/followups/{fid}", json={"body": "Hi Ana, my own words."})
    assert not polish_now(app, fid)
    assert model.bodies == []
    # An edit saved while the model was thinking wins too.
    api.patch(f"/api/v1/followups/{fid}", json={"body": ""})
    model.delay = 0.5
    worker = threading.Thread(target=polish_now, args=(app, fid))
    worker.start()
    while not model.bodies:
        time.sleep(0.01)
    api.patch(f"/api/v1/followups/{fid}", json={"body": "Hi Ana, mine after all."})
    worker.join()
    assert draft_body(api, fid) == "Hi Ana, mine after all."
    # Cleared again, the text goes back to the template's, never the polish.
    api.patch(f"/api/v1/followups/{fid}", json={"body": ""})
    assert draft_body(api, fid) != POLISHED


def wait_for(check, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_a_capture_answers_at_once_and_its_drafts_are_polished_after(
    app, api, user, model
):
    model.delay = 0.8
    started = time.monotonic()
    response = api.post(
        "/api/v1/contacts",
        json={"name": "Ana Lima", "email": "ana@example.com", "promise": "the slides"},
    )
    assert response.status_code == 201
    assert time.monotonic() - started < 0.6
    contact_id = response.get_json()["id"]
    with app.app_context():
        ids = db.session.execute(
            db.select(FollowUp.id).filter_by(contact_id=contact_id)
        ).scalars()
        ids = sorted(ids)

    def polished():
        with app.app_context():
            rows = [db.session.get(FollowUp, i) for i in ids]
            done = all(f.polished_body == POLISHED for f in rows)
            db.session.remove()
            return done

    assert wait_for(polished)
    assert len(model.bodies) == len(ids) == 2


def test_the_queue_catches_up_on_drafts_not_polished_yet(
    app, owner, user, meet, model, clock
):
    fid = promise_of(app, user, meet)
    clock.set(DUE)
    html = owner.get("/queue").get_data(as_text=True)
    assert "Lovely to meet you" not in html

    def polished():
        with app.app_context():
            done = db.session.get(FollowUp, fid).polished_body == POLISHED
            db.session.remove()
            return done

    assert wait_for(polished)
    # The promise card speaks for the thank-you too: the polish is its text.
    assert "Lovely to meet you" in owner.get("/queue").get_data(as_text=True)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DRAFTS_LLM_URL": "localhost:11434"}, "absolute http"),
        ({"DRAFTS_LLM_URL": "http://127.0.0.1:11434/v1"}, "DRAFTS_LLM_MODEL"),
        ({"DRAFTS_LLM_TIMEOUT": "0"}, "at least 1"),
    ],
)
def test_bad_model_settings_stop_morrow_at_startup(tmp_path, environ, message):
    with pytest.raises(ConfigError, match=message):
        from_environment(environ, str(tmp_path))


def test_model_settings_are_read(tmp_path):
    config = from_environment(
        {
            "DRAFTS_LLM_URL": "http://127.0.0.1:11434/v1/",
            "DRAFTS_LLM_MODEL": "llama3.2",
            "DRAFTS_LLM_KEY": "k",
            "DRAFTS_LLM_TIMEOUT": "5",
        },
        str(tmp_path),
    )
    assert config["DRAFTS_LLM_URL"] == "http://127.0.0.1:11434/v1"
    assert config["DRAFTS_LLM_MODEL"] == "llama3.2"
    assert config["DRAFTS_LLM_KEY"] == "k" and config["DRAFTS_LLM_TIMEOUT"] == 5


def test_the_catch_up_reads_every_draft_in_one_query(
    app, user, meet, clock, count_queries
):
    """However many drafts wait, finding the stale ones reads them (with their
    people, events and introducers) in one query."""
    from app.events import create_event
    from app.models import User

    with app.app_context():
        owner = db.session.get(User, user)
        event = create_event(owner, {"name": "Battery night", "date": "2026-11-20"})
        db.session.commit()
        event_id = event.id
    introducer = meet(user, name="Bo Berg", email="bo@example.com")

    def statements(people: int) -> tuple[int, list[int]]:
        for n in range(people):
            meet(
                user,
                name=f"Ana {n}",
                email=f"ana{n}@example.com",
                promise="send her the slides",
                event_id=event_id,
                introduced_by_id=introducer,
            )
        with app.test_request_context():
            owner = db.session.get(User, user)
            with count_queries() as seen:
                stale = polish.stale_drafts(owner)
            return len(seen), stale

    few, stale = statements(2)
    many, stale = statements(20)
    # Bo's thank-you; each Ana's thank-you and promise.
    assert len(stale) == 1 + 2 * (2 + 20)
    assert many == few <= 4
