"""Many captures in one request: the phone's outbox handing over what it kept offline.

- Each item is what `POST /api/v1/contacts` takes and gets what that request
  would have answered: created (201), already stored (200, unchanged), or
  refused (its 4xx and the error). One refused item never refuses the others.
- One transaction for the batch, a SAVEPOINT per item: a refused item, or one
  whose id another request stored meanwhile, rolls back only itself. A failure
  of the database itself rolls back the whole batch and reaches the caller (a
  5xx), so the client sends the batch again; the idempotent create makes that
  harmless.
- What every capture of a request shares (the owner, the moment, the day's
  event) is worked out once by the caller and given to each item.
- On SQLite the batch takes the write lock when it starts (BEGIN IMMEDIATE):
  a transaction that read first and wrote later could not wait for another
  writer, and the driver's own transaction handling would otherwise let the
  first savepoint commit on its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.exc import DataError, IntegrityError

from .contacts import _clean_id, _stored, create_contact
from .errors import DomainError, ValidationError
from .extensions import db
from .models import Contact, User

MAX_ITEMS = 100


@dataclass
class Outcome:
    """One item's answer: its id, status, and the person or the refusal."""

    id: str | None
    status: int
    contact: Contact | None = None
    error: DomainError | None = None


def capture_many(
    user: User, items: list[dict], now: dt.datetime, *, default_event_id: int | None
) -> list[Outcome]:
    """Save each capture, or find it stored; commit once. Answers in item order."""
    _begin_write()
    outcomes: list[Outcome | None] = [None] * len(items)
    # Written in the order of their ids: two batches holding some of the same
    # ids then wait for each other at the first one they share, never in a
    # circle (PostgreSQL would end one of them as a deadlock).
    for n in sorted(range(len(items)), key=lambda n: (_order_key(items[n]), n)):
        outcomes[n] = _capture_one(user, items[n], now, default_event_id)
    db.session.commit()
    return outcomes


def _order_key(item) -> str:
    try:
        return _clean_id(item["id"])
    except (DomainError, KeyError, TypeError):
        return ""


def _capture_one(
    user: User, item, now: dt.datetime, default_event_id: int | None
) -> Outcome:
    given = item.get("id") if isinstance(item, dict) else None
    given = given if isinstance(given, str) else None
    if not isinstance(item, dict):
        error = ValidationError("Each item must be a JSON object.")
        return Outcome(None, error.status, error=error)
    try:
        with db.session.begin_nested():
            contact, created = create_contact(
                user, item, now, default_event_id=default_event_id, commit=False
            )
    except DomainError as error:
        return Outcome(given, error.status, error=error)
    except IntegrityError:
        # The same id stored by another request since this one looked.
        existing = _stored(user, _clean_id(given)) if given else None
        if existing is None:
            raise
        return Outcome(existing.id, 200, existing)
    except DataError as error:
        # PostgreSQL refuses NUL characters in text: that item alone is refused.
        if "NUL" not in str(error.orig):
            raise
        refusal = DomainError("Text can't contain NUL characters.")
        return Outcome(given, refusal.status, error=refusal)
    return Outcome(contact.id, 201 if created else 200, contact)


def _begin_write() -> None:
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
