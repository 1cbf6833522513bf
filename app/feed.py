"""The calendar feed: each morning's follow-ups as one event with a reminder.

A morning is the first follow-up hour at or after a follow-up's due time, so a
follow-up coming back from a snooze in the afternoon joins the next morning,
as with the nudges. The event's UID is the owner and the local date; its
DTSTAMP is the latest change of its follow-ups and their people, so fetching
again returns the same event until something changes.

The feed is reached by calendar apps that cannot log in, so its secret token
is the only key; Settings shows the link and can replace the token.
"""

from __future__ import annotations

import datetime as dt

import vobject
from dateutil import tz
from flask import (
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .cards import public_base_url
from .drafts import KIND_LABELS
from .extensions import db
from .models import Contact, FollowUp, User
from .nudges import nudge_text, shared_event_name
from .scheduling import hour_or_default, local_moment, zone_of
from .validation import clamp_moment

EVENT_LENGTH = dt.timedelta(minutes=15)
FEED_LIMIT = 500


def _utc(moment: dt.datetime) -> dt.datetime:
    # vobject writes a trailing Z only for dateutil's UTC object.
    return moment.astimezone(tz.UTC)


def _one_line(text: str) -> str:
    # Folding and escaping are vobject's job; this keeps titles on one line.
    return " ".join((text or "").split())


def _lines(text: str) -> str:
    # U+2028 and U+2029 end a line for some calendar readers and not for
    # others; written as newlines, vobject escapes them as \n like any other.
    return text.replace("\u2028", "\n").replace("\u2029", "\n")


def morning_of(due_at: dt.datetime, zone, hour: int) -> dt.date:
    """Return the local day whose follow-up hour first comes at or after due_at."""
    day = due_at.astimezone(zone).date()
    if due_at > local_moment(day, hour, zone):
        day += dt.timedelta(days=1)
    return day


def _line(followup: FollowUp) -> str:
    label = KIND_LABELS.get(followup.kind, followup.kind)
    line = f"{label}: {_one_line(followup.contact.name)}"
    if followup.about is not None:
        line += f" (about {_one_line(followup.about.name)})"
    if followup.kind == "promise" and followup.contact.promise:
        line += f"\n  Promised: {followup.contact.promise}"
    return line


def _changed(followup: FollowUp) -> dt.datetime:
    moments = [followup.created_at, followup.updated_at, followup.contact.updated_at]
    if followup.about is not None:
        moments.append(followup.about.updated_at)
    return max(m for m in moments if m is not None)


def build_calendar(user: User, now: dt.datetime) -> str:
    """Return one event per morning with pending follow-ups, as iCalendar."""
    calendar = vobject.iCalendar()
    calendar.add("prodid").value = "-//Morrow//Follow-ups//EN"
    calendar.add("x-wr-calname").value = "Morrow follow-ups"
    followups = db.session.execute(
        select(FollowUp)
        .where(FollowUp.user_id == user.id, FollowUp.status == "pending")
        .order_by(FollowUp.due_at, FollowUp.id)
        .limit(FEED_LIMIT)
        .options(
            selectinload(FollowUp.contact).selectinload(Contact.event),
            selectinload(FollowUp.about),
        )
    ).scalars()
    zone = zone_of(user)
    hour = hour_or_default(user.followup_hour)
    mornings: dict[dt.date, list[FollowUp]] = {}
    for followup in followups:
        day = morning_of(clamp_moment(followup.due_at), zone, hour)
        mornings.setdefault(day, []).append(followup)
    closed = _closed_changes(user, mornings, zone, hour)
    queue_url = public_base_url() + url_for("queue.index")
    for day, due in mornings.items():
        changed = max([*(_changed(f) for f in due), *closed.get(day, [])])
        start = local_moment(day, hour, zone)
        _add_morning(calendar, user, day, start, changed, due, queue_url)
    return calendar.serialize()


def _closed_changes(user: User, mornings: dict, zone, hour: int) -> dict:
    """When follow-ups left each morning by being sent or skipped."""
    if not mornings:
        return {}
    earliest = local_moment(min(mornings), 0, zone) - dt.timedelta(days=1)
    rows = db.session.execute(
        select(FollowUp.due_at, FollowUp.updated_at).where(
            FollowUp.user_id == user.id,
            FollowUp.status.in_(("done", "skipped")),
            FollowUp.due_at >= earliest,
            FollowUp.updated_at.is_not(None),
        )
    ).all()
    changes: dict[dt.date, list[dt.datetime]] = {}
    for due, updated in rows:
        changes.setdefault(morning_of(due, zone, hour), []).append(updated)
    return changes


def _add_morning(calendar, user, day, start, changed, due, queue_url) -> None:
    """Add one morning's event: the people due, an alarm at the follow-up hour."""
    summary = _one_line(nudge_text(len(due), shared_event_name(due)))
    event = calendar.add("vevent")
    # Stable between fetches: the calendar app updates the event in place.
    event.add("uid").value = f"morning-{user.id}-{day:%Y%m%d}@morrow"
    event.add("dtstamp").value = _utc(changed)
    event.add("dtstart").value = _utc(start)
    event.add("dtend").value = _utc(start + EVENT_LENGTH)
    event.add("summary").value = summary
    lines = [_line(f) for f in due]
    lines.append(f"Open the queue: {queue_url}")
    event.add("description").value = _lines("\n".join(lines))
    event.add("url").value = queue_url
    alarm = event.add("valarm")
    alarm.add("action").value = "DISPLAY"
    alarm.add("trigger").value = dt.timedelta(0)
    alarm.add("description").value = summary
