"""The calendar feed: pending follow-ups as iCalendar events with reminders.

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
from .models import FollowUp, User

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


def build_calendar(user: User, now: dt.datetime) -> str:
    """Return every pending follow-up as an iCalendar document."""
    calendar = vobject.iCalendar()
    calendar.add("prodid").value = "-//Morrow//Follow-ups//EN"
    calendar.add("x-wr-calname").value = "Morrow follow-ups"
    followups = db.session.execute(
        select(FollowUp)
        .where(FollowUp.user_id == user.id, FollowUp.status == "pending")
        .order_by(FollowUp.due_at, FollowUp.id)
        .limit(FEED_LIMIT)
        .options(selectinload(FollowUp.contact), selectinload(FollowUp.about))
    ).scalars()
    queue_url = public_base_url() + url_for("queue.index")
    for followup in followups:
        label = KIND_LABELS.get(followup.kind, followup.kind)
        event = calendar.add("vevent")
        event.add("uid").value = f"followup-{followup.id}@morrow"
        event.add("dtstamp").value = _utc(now)
        event.add("dtstart").value = _utc(followup.due_at)
        event.add("dtend").value = _utc(followup.due_at + EVENT_LENGTH)
        event.add("summary").value = _one_line(f"{label}: {followup.contact.name}")
        details = []
        if followup.about is not None:
            details.append(f"About {followup.about.name}")
        if followup.kind == "promise" and followup.contact.promise:
            details.append(f"Promised: {followup.contact.promise}")
        details.append(f"Open the queue: {queue_url}")
        event.add("description").value = _lines("\n".join(details))
        event.add("url").value = queue_url
        alarm = event.add("valarm")
        alarm.add("action").value = "DISPLAY"
        alarm.add("trigger").value = dt.timedelta(0)
        alarm.add("description").value = _one_line(
            f"Follow up: {followup.contact.name}"
        )
    return calendar.serialize()
