"""/api/v1/events: the owner's events."""

from __future__ import annotations

import datetime as dt

from flask import request, url_for
from flask_login import current_user

from ..events import (
    create_event,
    delete_event,
    event_to_dict,
    get_event,
    list_events,
    update_event,
)
from . import bp, encode_cursor, json_body, keyset_cursor, page_limit


@bp.get("/events")
def events():
    """List events, newest date first."""
    after = keyset_cursor(request.args.get("cursor"), int, dt.date)
    rows, following = list_events(current_user, after, page_limit())
    return {
        "items": [event_to_dict(e) for e in rows],
        "next": encode_cursor(*following) if following else None,
    }


@bp.post("/events")
def create_event_route():
    """Create an event."""
    event = create_event(current_user, json_body())
    headers = {"Location": url_for("api.event", event_id=event.id)}
    return event_to_dict(event), 201, headers


@bp.get("/events/<event_id>")
def event(event_id: str):
    """Show one event."""
    return event_to_dict(get_event(current_user, event_id))


@bp.patch("/events/<event_id>")
def update_event_route(event_id: str):
    """Change some of an event's fields."""
    event = get_event(current_user, event_id)
    return event_to_dict(update_event(current_user, event, json_body()))


@bp.delete("/events/<event_id>")
def delete_event_route(event_id: str):
    """Delete an event; its people stay."""
    delete_event(current_user, get_event(current_user, event_id))
    return "", 204
