"""When follow-ups are due, and keeping them in step with each person."""

from __future__ import annotations

import datetime as dt

from .models import Contact


def schedule_followups(contact: Contact, now: dt.datetime) -> None:
    """Create, update or cancel the follow-ups a person needs (idempotent)."""
    # Filled in by the follow-up scheduling work; callers already use it.
    return None
