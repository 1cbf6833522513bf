"""The current time, replaceable in tests through the CLOCK setting."""

from __future__ import annotations

import datetime as dt

from flask import current_app, has_app_context


def now() -> dt.datetime:
    """Return the app's notion of now, an aware UTC datetime."""
    if has_app_context():
        clock = current_app.config.get("CLOCK")
        if clock is not None:
            return clock()
    return dt.datetime.now(dt.UTC)


def local(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """Return a stored moment in `zone`, safe for any moment the database holds.

    Moments outside the date window (rows written before it was enforced)
    are shown at the window's nearest end rather than overflowing the calendar.
    """
    from .validation import clamp_moment

    return clamp_moment(moment).astimezone(zone)


def iso(moment: dt.datetime | None) -> str | None:
    """A moment as every API answer writes it: ISO 8601 in UTC, with +00:00.

    Stored moments are UTC; a naive one is read as UTC. None stays None.
    """
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return local(moment, dt.UTC).isoformat()
