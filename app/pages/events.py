"""Events: the list, create, set active, edit, delete, and each event's score."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import clock
from ..contacts import search_contacts
from ..errors import ValidationError
from ..events import (
    create_event,
    delete_event,
    event_day,
    get_event,
    list_events,
    set_active,
    update_event,
)
from ..followups import event_score
from ..transactions import undo_on_error

bp = Blueprint("events", __name__)


@bp.before_request
@login_required
def require_login():
    """Every page here belongs to a logged-in owner."""


FORM_FIELDS = ("name", "date", "place", "notes")


def _form_data() -> dict:
    data: dict[str, Any] = {key: request.form.get(key, "") for key in FORM_FIELDS}
    data["active"] = bool(request.form.get("active"))
    return data


@bp.route("/events", methods=["GET", "POST"])
def index():  # noqa: A001 - the endpoint reads events.list
    """All events, newest first, and a form for a new one."""
    errors: dict[str, str] = {}
    form = {"date": event_day(current_user, clock.now()).isoformat(), "active": True}
    if request.method == "POST":
        form = _form_data()
        try:
            with undo_on_error():
                event = create_event(current_user, form)
        except ValidationError as error:
            errors = error.fields
        else:
            flash(f"{event.name} created.")
            return redirect(url_for("events.index"))
    events, _ = list_events(current_user, limit=200)
    return (
        render_template("events/list.html", events=events, form=form, errors=errors),
        400 if errors else 200,
    )


@bp.post("/events/<int:event_id>/active")
def activate(event_id: int):
    """Make this event the active one, or switch it off."""
    event = get_event(current_user, event_id)
    if request.form.get("active") == "0":
        set_active(current_user, None)
        flash(f"{event.name} is no longer active.")
    else:
        set_active(current_user, event)
        flash(f"New captures go to {event.name}.")
    return redirect(
        request.form.get("next") == "detail"
        and url_for("events.detail", event_id=event.id)
        or url_for("events.index")
    )


@bp.route("/events/<int:event_id>", methods=["GET", "POST"])
def detail(event_id: int):
    """One event: who was met there, its follow-up score, and its details."""
    event = get_event(current_user, event_id)
    errors: dict[str, str] = {}
    form = {key: getattr(event, key) for key in FORM_FIELDS}
    form["date"] = event.date.isoformat()
    form["active"] = event.active
    if request.method == "POST":
        form = _form_data()
        try:
            with undo_on_error():
                update_event(current_user, event, form)
        except ValidationError as error:
            errors = error.fields
        else:
            flash("Event saved.")
            return redirect(url_for("events.detail", event_id=event.id))
    people, _ = search_contacts(current_user, event_id=event.id, limit=200)
    return (
        render_template(
            "events/detail.html",
            event=event,
            people=people,
            form=form,
            errors=errors,
            score=event_score(current_user, event, clock.now()),
        ),
        400 if errors else 200,
    )


@bp.route("/events/<int:event_id>/delete", methods=["GET", "POST"])
def delete(event_id: int):
    """Ask, then delete an event; its people stay."""
    event = get_event(current_user, event_id)
    if request.method == "GET":
        return render_template("events/delete.html", event=event)
    name = event.name
    delete_event(current_user, event)
    flash(f"Deleted {name}. The people you met there stay.")
    return redirect(url_for("events.index"))
