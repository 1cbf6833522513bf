"""The public card's "Send me your details" form: a visitor becomes a person."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from .contacts import classify_reach, create_contact
from .errors import ValidationError
from .extensions import db
from .models import Card, Contact, User
from .validation import FieldErrors, clean_text

HONEYPOT = "homepage"  # hidden from people; bots fill every field they see
NOTE_LIMIT = 1000


def submit_exchange(card: Card, form: dict, now: dt.datetime) -> Contact | None:
    """Save a visitor's details for the card's owner; None when a bot was caught.

    Only name, one way to reach them and a note are taken: nothing about the
    visitor's browser or address is kept.
    """
    if (form.get(HONEYPOT) or "").strip():
        return None  # answer as if saved, so the bot learns nothing
    owner = db.session.get_one(User, card.user_id)
    errors = FieldErrors()
    name = errors.check("name", clean_text, form.get("name"), "name", 200)
    if name == "":
        errors.add("name", "Tell us your name.")
    reach = errors.check("reach", clean_text, form.get("reach"), "reach", 254)
    field, value = "", ""
    if reach:
        result = errors.check("reach", classify_reach, reach, owner.default_region)
        field, value = result or ("", "")
    elif reach == "":
        errors.add("reach", "Leave an email, a phone number or a profile link.")
    note = errors.check(
        "note", clean_text, form.get("note"), "note", NOTE_LIMIT, multiline=True
    )
    if not form.get("consent"):
        errors.add("consent", "Tick the box so we may keep your details.")
    errors.raise_if_any()
    data = {
        "name": name,
        field: value,
        "notes": note or "",
        "source": "exchange",
        "unread": True,
    }
    contact, _created = create_contact(owner, data, now)
    db.session.execute(
        update(Card)
        .where(Card.id == card.id)
        .values(exchange_count=Card.exchange_count + 1)
    )
    return contact


__all__ = ["HONEYPOT", "ValidationError", "submit_exchange"]
