"""Polishing drafts with the owner's own language model (optional).

With DRAFTS_LLM_URL and DRAFTS_LLM_MODEL set, each thank-you and promise
draft is sent to an OpenAI-compatible server (Ollama, llama.cpp, vLLM…) as
`POST {DRAFTS_LLM_URL}/chat/completions`, and the model's text becomes the
draft. What the model gets: the template draft, the person's first name, the
event, the topic, the promise (as the draft phrases them) and the owner's name.
Private notes, and a "talked about" that is a note about the person rather
than a topic, are never sent.

- Never on a capture's request: `request_polish` hands follow-up ids to a
  small thread pool of this process, started on first use (each gunicorn
  worker polishes what it captured). `catch_up` finds drafts not polished yet
  (the Queue page calls it; so does `flask --app wsgi drafts polish`).
- The text is stored beside the draft (`FollowUp.polished_body`) with a digest
  of what the template draft was made of (`polished_from`, see
  drafts.inputs_digest): a changed promise, topic or template shows the
  template draft again until it is polished anew. An edit by the owner
  (`FollowUp.body`) always wins, and the polish is never written over one.
- A slow model (DRAFTS_LLM_TIMEOUT seconds, 10 by default), one that is down,
  or an answer that doesn't read as the message (empty; no greeting with the
  person's first name; longer than 1.5 times the template draft or
  POLISHED_MAX characters; a placeholder or bracket left in; the card link
  dropped) leaves the template draft, and the log says why, naming only the
  follow-up's id. A follow-up that failed is tried again after RETRY_AFTER.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from typing import cast

import click
from flask import Flask, current_app, has_request_context, request
from flask.cli import with_appcontext
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import joinedload

from .background import ProcessPool
from .cards import shareable_card_url
from .drafts import (
    draft_message,
    draft_values,
    inputs_digest,
    template_for,
    user_templates,
)
from .extensions import db
from .models import Contact, FollowUp, User
from .transactions import after_commit

log = logging.getLogger(__name__)

KINDS = ("thank_you", "promise")
POLISHED_MAX = 900
LONGER = 1.5  # times the template draft
ANSWER_MAX = 64 * 1024  # bytes read from the model's answer
RETRY_AFTER = 600.0  # seconds before a follow-up that failed is tried again
WORKERS = 2
CATCH_UP_MAX = 50  # follow-ups one catch-up hands over at most

SYSTEM = (
    "You polish short follow-up messages that a person sends after meeting "
    "someone. Rewrite the draft so it reads naturally and warmly, in the "
    "draft's language, keeping every fact, link and promise, adding none, and "
    "keeping it as short as the draft. Start with a greeting that uses the "
    "recipient's first name and end with the sender's name. Answer with the "
    "message text only."
)

_lock = threading.Lock()
_busy: set[int] = set()
_failed: dict[int, float] = {}


class NotPolished(Exception):
    """The model's text can't be used; the message says why (no personal data)."""


def enabled(app: Flask | None = None) -> bool:
    config = (app or current_app).config
    return bool(config.get("DRAFTS_LLM_URL") and config.get("DRAFTS_LLM_MODEL"))


_pool = ProcessPool(WORKERS, "morrow-polish", _lock, _busy.clear).get


def request_polish(followup_ids) -> None:
    """Polish these follow-ups' drafts in the background (no-op when off)."""
    if not enabled():
        return
    now = time.monotonic()
    with _lock:
        ids = [
            i
            for i in dict.fromkeys(followup_ids)
            if i not in _busy and now - _failed.get(i, -RETRY_AFTER) >= RETRY_AFTER
        ]
        _busy.update(ids)
    if not ids:
        return
    base_url = request.host_url if has_request_context() else None
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's app
    # The pool's threads read the drafts from their own sessions: only once
    # the capture that wrote them is committed.
    after_commit(lambda: _pool().submit(_run, app, ids, base_url))


def _run(app: Flask, ids: list[int], base_url: str | None) -> None:
    """Polish in a thread of the pool, in a request context for the card link."""
    try:
        with app.test_request_context(base_url=base_url or "http://localhost/"):
            for followup_id in ids:
                try:
                    polish(followup_id)
                except Exception:  # one draft's trouble never stops the others
                    log.exception("Draft %s: polishing failed", followup_id)
                    db.session.rollback()
    finally:
        with _lock:
            _busy.difference_update(ids)


def stale_drafts(user: User, limit: int = CATCH_UP_MAX) -> list[int]:
    """Return the ids of the owner's drafts not polished from their inputs.

    The oldest `limit` pending, unedited thank-you and promise drafts are
    looked at, read with what their drafts are made of (the person, their
    event and introducer) in one query.
    """
    person = joinedload(FollowUp.contact)
    followups = db.session.execute(
        select(FollowUp)
        .where(
            FollowUp.user_id == user.id,
            FollowUp.status == "pending",
            FollowUp.kind.in_(KINDS),
            FollowUp.body.is_(None),
        )
        .order_by(FollowUp.due_at, FollowUp.id)
        .limit(limit)
        .options(
            person.joinedload(Contact.event),
            person.joinedload(Contact.introduced_by),
        )
    ).scalars()
    templates = user_templates(user)
    card_url = shareable_card_url(user.card)
    stale = []
    for followup in followups:
        _, body_template = template_for(user, followup.kind, templates)
        values = draft_values(followup, user, card_url)
        digest = inputs_digest(followup.kind, body_template, values)
        if followup.polished_from != digest:
            stale.append(followup.id)
    return stale


def catch_up(user: User) -> None:
    """Hand the owner's drafts not polished yet to the pool (no-op when off)."""
    if enabled():
        request_polish(stale_drafts(user))


@click.command("polish-drafts")
@with_appcontext
def polish_command() -> None:
    """Polish every pending draft not polished yet with DRAFTS_LLM_MODEL, now."""
    if not enabled():
        raise click.ClickException("Set DRAFTS_LLM_URL and DRAFTS_LLM_MODEL first.")
    done = tried = 0
    for user in db.session.execute(select(User)).scalars().all():
        for followup_id in stale_drafts(user, limit=100_000):
            tried += 1
            done += polish(followup_id)
    click.echo(f"Polished {done} of {tried} drafts (the log says why for the rest).")


def after_capture(contact_id: str) -> None:
    """Polish a new person's drafts in the background (no-op when off)."""
    if not enabled():
        return
    ids = db.session.execute(
        select(FollowUp.id).where(
            FollowUp.contact_id == contact_id, FollowUp.kind.in_(KINDS)
        )
    ).scalars()
    request_polish(list(ids))


def forget() -> None:
    """Forget which follow-ups failed lately (they are tried at once again)."""
    with _lock:
        _failed.clear()


def polish(followup_id: int) -> bool:
    """Ask the model for one draft and keep its text when it reads right.

    Returns whether a polished text was stored. Runs anywhere with an app
    context (the pool, the command line, tests); commits its own write.
    """
    followup = db.session.get(FollowUp, followup_id)
    if followup is None or followup.kind not in KINDS:
        return False
    if followup.status != "pending" or followup.body is not None:
        return False  # sent, skipped, or in the owner's own words
    user = db.session.get_one(User, followup.user_id)
    _, body_template = template_for(user, followup.kind)
    card_url = shareable_card_url(user.card)
    values = draft_values(followup, user, card_url)
    digest = inputs_digest(followup.kind, body_template, values)
    if followup.polished_from == digest and followup.polished_body:
        return False  # already polished from these inputs
    template = draft_message(followup, user, card_url, polished=False)["body"]
    try:
        text = usable(ask_model(template, values), template, values)
    except NotPolished as reason:
        with _lock:
            _failed[followup_id] = time.monotonic()
        log.warning("Draft %s not polished: %s", followup_id, reason)
        db.session.rollback()
        return False
    with _lock:
        _failed.pop(followup_id, None)
    # Only over no edit, and only while still pending: an edit saved meanwhile wins.
    result = db.session.execute(
        update(FollowUp)
        .where(
            FollowUp.id == followup_id,
            FollowUp.body.is_(None),
            FollowUp.status == "pending",
        )
        .values(polished_body=text, polished_from=digest)
        .execution_options(synchronize_session=False)
    )
    written = cast(CursorResult, result).rowcount
    db.session.commit()
    return bool(written)


def prompt(template: str, values: dict) -> list[dict]:
    """The chat messages sent: the draft and the details it is made of."""
    details = {
        "Recipient's first name": values.get("first_name", ""),
        "Event": values.get("event", ""),
        "Topic we talked about": values.get("talked_about", ""),
        "What I promised them": values.get("promise", ""),
        "My name": values.get("my_name", ""),
    }
    lines = [f"{label}: {value}" for label, value in details.items() if value]
    user = "\n".join(lines) + "\n\nDraft:\n" + template
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def ask_model(template: str, values: dict) -> str:
    """POST the chat completion; return the answer's text or raise NotPolished."""
    config = current_app.config
    payload = {
        "model": config["DRAFTS_LLM_MODEL"],
        "messages": prompt(template, values),
        "temperature": 0.3,
        "stream": False,
    }
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if config.get("DRAFTS_LLM_KEY"):
        headers["Authorization"] = f"Bearer {config['DRAFTS_LLM_KEY']}"
    outgoing = urllib.request.Request(
        config["DRAFTS_LLM_URL"].rstrip("/") + "/chat/completions",
        data=json.dumps(payload).encode(),
        headers=headers,
        method="POST",
    )
    timeout = config.get("DRAFTS_LLM_TIMEOUT") or 10
    try:
        # The URL is checked to be http(s) at startup (config.py): no file: URLs.
        with urllib.request.urlopen(outgoing, timeout=timeout) as answer:  # nosec B310  # noqa: S310
            raw = answer.read(ANSWER_MAX + 1)
    except urllib.error.HTTPError as error:
        raise NotPolished(f"the model answered HTTP {error.code}") from None
    except TimeoutError:
        raise NotPolished(f"the model did not answer within {timeout} s") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):
            raise NotPolished(f"the model did not answer within {timeout} s") from None
        raise NotPolished(
            f"the model is unreachable ({type(reason).__name__})"
        ) from None
    if len(raw) > ANSWER_MAX:
        raise NotPolished("the model's answer is too large")
    try:
        text = json.loads(raw)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise NotPolished("the model's answer is not a chat completion") from None
    if not isinstance(text, str):
        raise NotPolished("the model's answer has no text")
    return text


def usable(text: str, template: str, values: dict) -> str:
    """Return the model's text tidied, or raise NotPolished saying why not."""
    text = re.sub(r"\n{3,}", "\n\n", text.replace("\r\n", "\n")).strip()
    if not text:
        raise NotPolished("the model's answer is empty")
    limit = min(POLISHED_MAX, int(len(template) * LONGER))
    if len(text) > limit:
        raise NotPolished(f"the answer is too long ({len(text)} > {limit} characters)")
    name = values.get("first_name", "")
    greeting = text.split("\n", 1)[0]
    if name and name.casefold() not in greeting.casefold():
        raise NotPolished("the answer does not greet the person by first name")
    if re.search(r"[{}\[\]]", text):
        raise NotPolished("the answer has a placeholder or bracket in it")
    for link in re.findall(r"https?://\S+", template):
        if link not in text:
            raise NotPolished("the answer dropped the card link")
    return text
