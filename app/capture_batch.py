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
  event) is worked out once here and given to each item.
- The batch commits as soon as it is written (app/transactions.py, commit_now).
- On SQLite the batch takes the write lock when it starts (begin_write):
  a transaction that read first and wrote later could not wait for another
  writer, and the driver's own transaction handling would otherwise let the
  first savepoint commit on its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select, union
from sqlalchemy.exc import DataError, IntegrityError

from .contact_merge import match_columns, match_keys
from .contacts import (
    clean_id,
    create_contact,
    new_person_rows,
    stored_contact,
    todays_event_id,
    unusable_id,
)
from .errors import DomainError, ValidationError
from .extensions import db
from .models import Contact, FollowUp, User
from .tags import write_tag_rows
from .transactions import begin_write

MAX_ITEMS = 100


@dataclass
class Outcome:
    """One item's answer: its id, status, and the person or the refusal."""

    id: str | None
    status: int
    contact: Contact | None = None
    error: DomainError | None = None


def capture_many(
    user: User, items: list[dict], now: dt.datetime, before_write=None
) -> list[Outcome]:
    """Save each capture, or find it stored. Answers in item order.

    `before_write(outcomes)`, when given, is called with the answers just
    before the new people are written, if they are written in one go: reads
    done there keep the database's write lock (SQLite) free of them. The list
    it gets is the list returned.
    """
    default_event_id = todays_event_id(user, now)  # once for the whole batch
    # Written in the order of their ids: two batches holding some of the same
    # ids then wait for each other at the first one they share, never in a
    # circle (PostgreSQL would end one of them as a deadlock).
    keys = [_order_key(item) for item in items]
    order = sorted(range(len(items)), key=lambda n: (keys[n], n))
    together = _capture_together(
        user, items, keys, order, now, default_event_id, before_write
    )
    if together is None:  # another request stored some of them meanwhile
        one_by_one = {
            n: _capture_one(user, items[n], now, default_event_id) for n in order
        }
        return [one_by_one[n] for n in range(len(items))]
    # The new people, written without the ORM, stay out of the session: they
    # hold what was written, and attaching 25 of them (then expiring them at
    # the commit) was work done while holding SQLite's write lock.
    return together


def _capture_together(
    user: User,
    items: list,
    keys: list[str],
    order: list[int],
    now: dt.datetime,
    default_event_id: int | None,
    before_write=None,
) -> list[Outcome] | None:
    """The fast way: one lookup of stored ids, one INSERT per table for the new.

    Answers None, having written nothing, when an insert meets an id stored
    since the lookup (the caller then saves the items one savepoint each).
    `keys` are the items' ids as stored (_order_key), `order` the order to
    write them in.
    """
    stored = _stored_among({key for key in keys if key})
    rows: dict[str, list] = {"contacts": [], "followups": [], "tags": []}

    def collect(contact: Contact, tags: list[str], now: dt.datetime) -> None:
        person, followups, tag_entry = new_person_rows(contact, tags, now)
        rows["contacts"].append(person)
        rows["followups"] += followups
        rows["tags"].append(tag_entry)

    outcomes: list[Outcome | None] = [None] * len(items)
    made: dict[str, Contact] = {}
    for n in order:
        item, key = items[n], keys[n]
        known = made.get(key) or stored.get(key)
        if known is not None:
            if known.user_id == user.id:
                outcomes[n] = Outcome(known.id, 200, known)
            else:
                error = unusable_id()
                outcomes[n] = Outcome(_given(item), error.status, error=error)
            continue
        outcome = _refused(item)
        if outcome is None:
            try:
                contact, _ = create_contact(
                    user, item, now, days_event_id=default_event_id, write=collect
                )
            except DomainError as error:
                outcome = Outcome(_given(item), error.status, error=error)
            else:
                made[contact.id] = contact
                outcome = Outcome(contact.id, 201, contact)
        outcomes[n] = outcome
    answers = [outcome for outcome in outcomes if outcome is not None]
    if before_write is not None:
        before_write(answers)
    # Validated and worked out before the write lock is taken: on SQLite the
    # other workers write meanwhile.
    begin_write()
    try:
        with db.session.begin_nested():
            # On SQLite each table's rows go as one INSERT with a row each
            # (app/__init__.py: insertmanyvalues): the search index's trigger
            # then costs half as much a person (0.17 against 0.35 ms).
            for table, key in (
                (Contact.__table__, "contacts"),
                (FollowUp.__table__, "followups"),
            ):
                if rows[key]:
                    db.session.execute(insert(table), rows[key])
            write_tag_rows(rows["tags"])
    except (IntegrityError, DataError):
        return None
    return answers


def batch_duplicates(user: User, outcomes: list[Outcome]) -> dict[str, list]:
    """Each answered person's possible duplicates, found with one query for all.

    The same people find_duplicates finds for one capture (same email, E.164
    phone or LinkedIn profile; oldest first; at most 10), except that a person
    of this batch is not yet there for one before it, as with single captures.
    The batch's new people count whether or not they are written yet, so this
    can run before the batch writes.
    """
    people = [o.contact for o in outcomes if o.contact is not None]
    ways = {
        "email": {(c.email or "").lower() for c in people} - {""},
        "phone": {c.phone for c in people} - {None, ""},
        "linkedin": {c.linkedin for c in people} - {None, ""},
    }
    columns = match_columns()
    mine = select(Contact.id).where(Contact.user_id == user.id)
    lookups = [mine.where(columns[f].in_(v)) for f, v in ways.items() if v]
    if not lookups:
        return {}
    found = union(*lookups) if len(lookups) > 1 else lookups[0]
    query = select(Contact).where(Contact.id.in_(found)).order_by(Contact.created_at)
    by_way: dict[tuple[str, str], list[Contact]] = {}
    stored = list(db.session.execute(query).scalars())  # oldest first
    rank = {
        o.contact.id: n
        for n, o in enumerate(outcomes)
        if o.status == 201 and o.contact is not None
    }
    seen = {other.id for other in stored}
    # The batch's new people are the newest, in item order (a tie in time).
    new = (c for c in people if c.id in rank and c.id not in seen)
    for other in [*stored, *new]:
        for key in match_keys(other):
            by_way.setdefault(key, []).append(other)
    answer = {}
    for contact in people:
        mine_rank = rank.get(contact.id, len(outcomes))
        matches = {
            other.id: other
            for key in match_keys(contact)
            for other in by_way.get(key, [])
            if other.id != contact.id and rank.get(other.id, -1) < mine_rank
        }
        oldest_first = sorted(matches.values(), key=lambda c: c.created_at)
        answer[contact.id] = oldest_first[:10]
    return answer


def _stored_among(ids: set[str]) -> dict[str, Contact]:
    """The people already stored under these ids, whoever's they are."""
    query = db.select(Contact).where(Contact.id.in_(ids))
    return {c.id: c for c in db.session.execute(query).scalars()}


def _given(item) -> str | None:
    given = item.get("id") if isinstance(item, dict) else None
    return given if isinstance(given, str) else None


def _refused(item) -> Outcome | None:
    if isinstance(item, dict):
        return None
    error = ValidationError("Each item must be a JSON object.")
    return Outcome(None, error.status, error=error)


def _order_key(item) -> str:
    try:
        return clean_id(item["id"])
    except (DomainError, KeyError, TypeError):
        return ""


def _capture_one(
    user: User, item, now: dt.datetime, default_event_id: int | None
) -> Outcome:
    """The careful way: a savepoint for one item, its conflicts its own."""
    given = _given(item)
    refused = _refused(item)
    if refused is not None:
        return refused
    try:
        with db.session.begin_nested():
            contact, created = create_contact(
                user, item, now, days_event_id=default_event_id
            )
    except DomainError as error:
        return Outcome(given, error.status, error=error)
    except IntegrityError:
        # The same id stored by another request since this one looked.
        existing = stored_contact(user, clean_id(given)) if given else None
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
