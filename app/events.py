"""Events: the meetups and conferences people are met at, and which one is active."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import update

from . import scheduling
from .errors import NotFound, ValidationError
from .extensions import db
from .models import MAX_ID, Event, User
from .scheduling import zone_of
from .shapes import EventJSON
from .validation import FieldErrors, clean_text, in_date_window

EVENT_FIELDS = ("name", "date", "place", "notes", "active")


def event_day(user: User, when: dt.datetime) -> dt.date:
    """Return the owner-local date a moment counts for, after-parties included."""
    return scheduling.event_day(when, zone_of(user))


def event_to_dict(event: Event) -> EventJSON:
    """Return the event's JSON shape (DESIGN §4)."""
    return {
        "id": event.id,
        "name": event.name,
        "date": event.date.isoformat(),
        "place": event.place,
        "notes": event.notes,
        "active": bool(event.active),
    }


def clean_date(value, field: str = "date") -> dt.date:
    """Return a date in the window from an ISO string (YYYY-MM-DD)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return in_date_window(value, field)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("Give the date as YYYY-MM-DD.", {field: "Give a date."})
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        message = "Give the date as YYYY-MM-DD."
        raise ValidationError(message, {field: message}) from None
    return in_date_window(day, field)


def clean_bool(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("1", "true", "on", "yes"):
        return True
    if value in (None, "", "0", "false", "off", "no"):
        return False
    raise ValidationError(f"{field} must be true or false.", {field: "true or false."})


def _clean_event(data: dict, *, partial: bool) -> dict:
    unknown = set(data) - set(EVENT_FIELDS) - {"id"}
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationError(f"Unknown field {field}.", {field: "Unknown field."})
    errors = FieldErrors()
    values: dict = {}
    if not partial or "name" in data:
        name = errors.check("name", clean_text, data.get("name"), "name", 140)
        if name == "":
            errors.add("name", "Give the event a name.")
        values["name"] = name
    if not partial or "date" in data:
        values["date"] = errors.check("date", clean_date, data.get("date"))
    for field, limit in (("place", 200), ("notes", 5000)):
        if field in data:
            values[field] = errors.check(
                field, clean_text, data[field], field, limit, multiline=field == "notes"
            )
    if "active" in data:
        values["active"] = errors.check("active", clean_bool, data["active"], "active")
    errors.raise_if_any()
    return values


def _deactivate_others(user: User, keep_id: int | None) -> None:
    # Only one event may be active per owner: switching one on switches the rest off.
    statement = update(Event).where(Event.user_id == user.id, Event.active.is_(True))
    if keep_id is not None:
        statement = statement.where(Event.id != keep_id)
    db.session.execute(statement.values(active=False))


def create_event(user: User, data: dict) -> Event:
    """Validate and save a new event; an active one switches the others off."""
    values = _clean_event(data, partial=False)
    event = Event(user_id=user.id, **values)
    db.session.add(event)
    db.session.flush()
    if event.active:
        _deactivate_others(user, event.id)
    db.session.flush()
    return event


def update_event(user: User, event: Event, data: dict) -> Event:
    """Change the given fields of an event."""
    values = _clean_event(data, partial=True)
    for field, value in values.items():
        setattr(event, field, value)
    if values.get("active"):
        _deactivate_others(user, event.id)
    db.session.flush()
    return event


def set_active(user: User, event: Event | None) -> None:
    """Make `event` the active one, or none when it is None."""
    _deactivate_others(user, event.id if event else None)
    if event is not None:
        event.active = True
    db.session.flush()


def delete_event(user: User, event: Event) -> None:
    """Delete an event; its people stay, without an event."""
    db.session.delete(event)
    db.session.flush()


def get_event(user: User, event_id) -> Event:
    """Return one of the owner's events, or raise NotFound."""
    try:
        number = int(event_id)
    except (TypeError, ValueError):
        raise NotFound("No such event.") from None
    if not 0 < number <= MAX_ID:
        raise NotFound("No such event.")
    event = db.session.execute(
        db.select(Event).filter_by(id=number, user_id=user.id)
    ).scalar_one_or_none()
    if event is None:
        raise NotFound("No such event.")
    return event


def list_events(
    user: User, after: tuple[dt.date, int] | None = None, limit: int = 50
) -> tuple[list[Event], tuple[str, int] | None]:
    """Return one page of events, newest date first, and where the next starts."""
    query = db.select(Event).filter_by(user_id=user.id)
    if after is not None:
        date, last_id = after
        query = query.where(
            (Event.date < date) | ((Event.date == date) & (Event.id < last_id))
        )
    rows = list(
        db.session.execute(
            query.order_by(Event.date.desc(), Event.id.desc()).limit(limit + 1)
        ).scalars()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    following = (rows[-1].date.isoformat(), rows[-1].id) if more else None
    return rows, following


def default_event(
    user: User, now: dt.datetime, zone: ZoneInfo | None = None
) -> Event | None:
    """Return the event a capture made now belongs to: the active one, else today's.

    An event marked active applies from its date until 03:59 the day after
    (the after-party rule), in the owner's time zone; then it lapses and
    captures go to today's event, or none. It never claims another day's
    people: yesterday's active event must not name today's drafts or make them
    due at once. An active event still to come waits for its day too, so
    preparing next week's conference doesn't file tonight's people under it.
    """
    zone = zone or zone_of(user)
    params = {
        "user_id": user.id,
        "day": scheduling.event_day(now, zone),
        "today": now.astimezone(zone).date(),
    }
    return db.session.execute(_DEFAULT_EVENT, params).scalar_one_or_none()


# One query on every capture, built once: the active event first (on its own
# day), else the newest of today's.
_DEFAULT_EVENT = (
    db.select(Event)
    .where(
        Event.user_id == db.bindparam("user_id"),
        db.or_(
            # The event day, after-parties included; and the calendar date,
            # so just after midnight the active event's day has come.
            Event.date == db.bindparam("day"),
            db.and_(Event.active.is_(True), Event.date == db.bindparam("today")),
        ),
    )
    .order_by(Event.active.desc(), Event.id.desc())
    .limit(1)
)
