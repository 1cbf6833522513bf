"""/api/v1/followups: the queue and its actions, and per-event scores."""

from __future__ import annotations

import re

from flask import request
from flask_login import current_user

from .. import clock
from ..errors import ValidationError
from ..events import get_event
from ..followups import (
    edit_draft,
    event_score,
    followup_to_dict,
    get_followup,
    in_messages,
    list_followups,
    mark_done,
    message_followups,
    require_open,
    skip,
    snooze,
    snooze_from_request,
    template_cache,
)
from ..models import MAX_ID
from ..scheduling import zone_of
from ..validation import clean_int
from . import bp, encode_cursor, json_body, keyset_cursor, page_limit


@bp.get("/followups")
def followups():
    """List follow-ups: pending and due now unless the filters say otherwise."""
    event_id = request.args.get("event_id")
    if event_id is not None and not (
        re.fullmatch(r"[0-9]{1,10}", event_id) and int(event_id) <= MAX_ID
    ):
        raise ValidationError(
            "event_id must be a number.", {"event_id": "Not a number."}
        )
    now = clock.now()
    items, next_cursor = list_followups(
        current_user,
        now,
        status=request.args.get("status", "pending"),
        due=request.args.get("due", "now"),
        event_id=int(event_id) if event_id is not None else None,
        cursor=keyset_cursor(request.args.get("cursor"), int),
        limit=page_limit(),
    )
    cache = template_cache(current_user)
    keys = {
        f.id: message.key
        for message in in_messages(current_user, items, zone_of(current_user))
        for f in message.followups
    }
    return {
        "items": [
            followup_to_dict(f, current_user, now, cache, message_key=keys[f.id])
            for f in items
        ],
        "next": encode_cursor(*next_cursor) if next_cursor else None,
    }


@bp.get("/followups/<int:followup_id>")
def followup(followup_id: int):
    """Show one follow-up."""
    return followup_to_dict(get_followup(current_user, followup_id), current_user)


def _message(followup_id: int):
    """The follow-up and the open ones sent within its message (`?also=`)."""
    also = [clean_int(raw, "also", 1, MAX_ID) for raw in request.args.getlist("also")]
    return message_followups(current_user, followup_id, also)


def _settle(followup_id: int, action):
    """Apply `action` to a follow-up and those named in `also`."""
    followups = _message(followup_id)
    now = clock.now()
    for followup in followups:
        action(current_user, followup, now)
    return followup_to_dict(followups[0], current_user, now)


@bp.post("/followups/<int:followup_id>/done")
def followup_done(followup_id: int):
    """Mark a follow-up sent, with those named in `also` (one message)."""
    return _settle(followup_id, mark_done)


@bp.post("/followups/<int:followup_id>/skip")
def followup_skip(followup_id: int):
    """Skip a follow-up, with those named in `also`."""
    return _settle(followup_id, skip)


@bp.post("/followups/<int:followup_id>/snooze")
def followup_snooze(followup_id: int):
    """Snooze a follow-up, with those named in `also`, until a later moment."""
    followups = _message(followup_id)
    data = json_body()
    require_open(followups[0], "snoozed")
    now = clock.now()
    until = snooze_from_request(current_user, data, now)
    for followup in followups:
        snooze(current_user, followup, until, now)
    return followup_to_dict(followups[0], current_user, now)


@bp.patch("/followups/<int:followup_id>")
def followup_edit(followup_id: int):
    """Edit a follow-up's subject, body or channel."""
    followup = get_followup(current_user, followup_id)
    edit_draft(current_user, followup, json_body())
    return followup_to_dict(followup, current_user)


@bp.get("/events/<int:event_id>/score")
def event_followup_score(event_id: int):
    """How many people of an event were followed up within 48 h; overdue promises."""
    return event_score(current_user, get_event(current_user, event_id), clock.now())
