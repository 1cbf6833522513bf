"""/api/v1/contacts: capture, search, edit, merge (and undo), delete and parse."""

from __future__ import annotations

from flask import request, url_for
from flask_login import current_user

from .. import clock
from ..capture_batch import MAX_ITEMS, capture_many, possible_duplicates
from ..contact_merge import duplicate_summary, get_merge, undo_merge
from ..contacts import (
    contact_to_dict,
    contact_warnings,
    create_contact,
    delete_contact,
    find_duplicates,
    get_contact,
    merge_contacts,
    search_contacts,
    update_contact,
)
from ..errors import DomainError, TooLarge, ValidationError, error_body
from ..events import get_event
from ..polish import after_capture
from ..shapes import ContactJSON
from . import bp, encode_cursor, json_body, keyset_cursor, page_limit

MAX_QR_TEXT = 4096


def _answer(contact, duplicates: list) -> ContactJSON:
    body = contact_to_dict(contact, current_user)
    if duplicates:
        body["possible_duplicates"] = [
            duplicate_summary(contact, d) for d in duplicates
        ]
    body["warnings"] = contact_warnings(contact)
    return body


@bp.get("/contacts")
def contacts():
    """Search people, newest first: q, event_id, tag, cursor, limit."""
    after = keyset_cursor(request.args.get("cursor"), str)
    event_id = request.args.get("event_id")
    if event_id:
        event_id = get_event(current_user, event_id).id
    q = request.args.get("q", "")
    if len(q) > 200:
        raise ValidationError("q must be at most 200 characters.", {"q": "Too long."})
    rows, following = search_contacts(
        current_user,
        q,
        event_id=event_id or None,
        tag=request.args.get("tag") or None,
        after=after,
        limit=page_limit(),
    )
    return {
        "items": [contact_to_dict(c, current_user) for c in rows],
        "next": encode_cursor(*following) if following else None,
    }


@bp.post("/contacts")
def create_contact_route():
    """Capture a person; a repeated client id returns the stored person (200)."""
    data = json_body()
    now = clock.now()
    ready: dict = {}

    def answer_first(new) -> None:
        # Before the person is written: on SQLite the write lock, taken by the
        # first INSERT, is then held only for the writes and the commit.
        ready["body"] = _answer(new, find_duplicates(current_user, new))
        ready["location"] = url_for("api.contact", contact_id=new.id)

    contact, created = create_contact(
        current_user, data, now, before_write=answer_first
    )
    if not created:
        # A repeat: the stored person and their duplicates, whatever this held.
        return _answer(contact, find_duplicates(current_user, contact)), 200
    after_capture(contact.id)
    return ready["body"], 201, {"Location": ready["location"]}


@bp.post("/contacts/batch")
def capture_batch():
    """Capture 1 to 100 people; each item answers as its own POST /contacts would."""
    data = json_body("MAX_BATCH_JSON_BYTES")
    items = data.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise ValidationError(
            f"Send items: a list of 1 to {MAX_ITEMS} captures.",
            {"items": f"Give 1 to {MAX_ITEMS} captures."},
        )
    ready: dict = {}

    def answer_first(answers: list) -> None:
        # Before the batch writes: on SQLite the write lock is then held only
        # for the writes and the commit.
        ready["outcomes"] = answers
        ready["results"] = _batch_results(answers)

    outcomes = capture_many(current_user, items, clock.now(), before_write=answer_first)
    if ready.get("outcomes") is outcomes:
        results = ready["results"]
    else:  # saved one by one after a conflict: answer with what was written
        results = _batch_results(outcomes)
    for outcome in outcomes:
        if outcome.status == 201 and outcome.contact is not None:
            after_capture(outcome.contact.id)
    return {"results": results}


def _batch_results(outcomes: list) -> list[dict]:
    """Each item's answer, with the possible duplicates found in one query."""
    duplicates = possible_duplicates(current_user, outcomes)
    results = []
    for outcome in outcomes:
        result = {"id": outcome.id, "status": outcome.status}
        if outcome.contact is not None:
            person = contact_to_dict(outcome.contact, current_user)
            if duplicates.get(outcome.contact.id):
                person["possible_duplicates"] = [
                    duplicate_summary(outcome.contact, d)
                    for d in duplicates[outcome.contact.id]
                ]
            result["contact"] = person
        else:
            result["error"] = _error_body(outcome.error)
        results.append(result)
    return results


def _error_body(error: DomainError) -> dict:
    return error_body(error.status, error.message, error.code, error.fields)


@bp.get("/contacts/<contact_id>")
def contact(contact_id: str):
    """Show one person."""
    return contact_to_dict(get_contact(current_user, contact_id), current_user)


@bp.patch("/contacts/<contact_id>")
def update_contact_route(contact_id: str):
    """Change some of a person's fields."""
    person = get_contact(current_user, contact_id)
    data = json_body()
    data.pop("id", None)
    update_contact(current_user, person, data, clock.now())
    return contact_to_dict(person, current_user)


@bp.delete("/contacts/<contact_id>")
def delete_contact_route(contact_id: str):
    """Delete a person."""
    delete_contact(current_user, get_contact(current_user, contact_id))
    return "", 204


@bp.post("/contacts/<contact_id>/merge")
def merge_contact_route(contact_id: str):
    """Merge the person `other_id` into this one."""
    keep = get_contact(current_user, contact_id)
    data = json_body()
    other_id = data.get("other_id")
    if not isinstance(other_id, str) or not other_id:
        raise ValidationError("Give other_id.", {"other_id": "Required."})
    other = get_contact(current_user, other_id)
    merge = merge_contacts(current_user, keep, other, clock.now())
    return {**contact_to_dict(keep, current_user), "merge_id": merge.id}


@bp.post("/merges/<merge_id>/undo")
def undo_merge_route(merge_id: str):
    """Undo a merge (for 30 days): both people back, each with their own."""
    merge = get_merge(current_user, merge_id)
    keep, other = undo_merge(current_user, merge, clock.now())
    return {
        "kept": contact_to_dict(keep, current_user),
        "other": contact_to_dict(other, current_user),
    }


@bp.post("/contacts/parse")
def parse_contact_text():
    """Turn decoded QR text into contact fields; nothing is saved."""
    from ..formats.vcard_read import parse_qr_text

    data = json_body()
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("Send the decoded text as text.", {"text": "Required."})
    if len(text) > MAX_QR_TEXT:
        raise TooLarge(
            f"text must be at most {MAX_QR_TEXT} characters.", {"text": "Too long."}
        )
    result = parse_qr_text(text, current_user.default_region or "US")
    kind = result.pop("kind", None)
    warnings = result.pop("warnings", [])
    return {"fields": result, "kind": kind, "warnings": warnings}
