"""Everything out again: vCard and CSV exports, and the whole account as JSON.

`account_export` writes card, settings, events, people, follow-ups (with their
state and edited texts), templates and interactions; `import_account` loads
such a file into an account that has no people or events yet, remapping ids
where the stored ones are taken (a contact keeps its UUID when it is free).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError

from .accounts import update_settings
from .cards import CARD_FIELDS, update_card
from .contacts import clean_contact, clean_tags
from .errors import Conflict, DomainError, ValidationError
from .events import _clean_event
from .extensions import db
from .models import (
    Card,
    Contact,
    Event,
    FollowUp,
    Interaction,
    Template,
    User,
)
from .tags import write_tag_rows
from .validation import in_date_window

FORMAT = "morrow-account"
VERSION = 1
SETTINGS = ("timezone", "followup_hour", "default_region", "weekly_goal")
PERSON_TIMES = ("met_at", "last_interaction_at", "created_at", "updated_at")
FOLLOWUP_KINDS = ("thank_you", "promise", "intro_thanks", "keep_in_touch")
FOLLOWUP_STATUSES = ("pending", "done", "skipped")


def _people(user: User) -> list[Contact]:
    return list(
        db.session.execute(
            select(Contact)
            .where(Contact.user_id == user.id)
            .order_by(Contact.created_at, Contact.id)
        ).scalars()
    )


def export_vcf(user: User) -> str:
    """Return every person of the owner as one vCard 3.0 text."""
    from .formats.vcard import contacts_vcf

    return contacts_vcf(_people(user))


def export_csv(user: User) -> str:
    """Return every person of the owner as CSV text (BOM first, formulas guarded)."""
    from .formats.csv import contacts_csv

    return contacts_csv(_people(user))


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment else None


def _rows(model, user: User, *order) -> list:
    return list(
        db.session.execute(
            select(model).where(model.user_id == user.id).order_by(*order)
        ).scalars()
    )


def account_export(user: User, now: dt.datetime) -> dict[str, Any]:
    """Return the whole account as one JSON-ready dict (times in UTC)."""
    card = user.card
    people = []
    for c in _people(user):
        person = {
            key: getattr(c, key)
            for key in (
                "id", "name", "first_name", "last_name", "email", "phone",
                "company", "title", "website", "linkedin", "talked_about",
                "promise", "notes", "event_id", "introduced_by_id", "source",
                "preferred_channel", "keep_in_touch_days", "vcard_uid", "unread",
            )
        }  # fmt: skip
        person["tags"] = list(c.tags or [])
        person.update({key: _iso(getattr(c, key)) for key in PERSON_TIMES})
        people.append(person)
    followups = [
        {
            "id": f.id,
            "contact_id": f.contact_id,
            "about_contact_id": f.about_contact_id,
            "kind": f.kind,
            "key": f.key,
            "due_at": _iso(f.due_at),
            "status": f.status,
            "channel": f.channel,
            "subject": f.subject,
            "body": f.body,
            "snoozed_until": _iso(f.snoozed_until),
            "done_at": _iso(f.done_at),
            "created_at": _iso(f.created_at),
        }
        for f in _rows(FollowUp, user, FollowUp.due_at, FollowUp.id)
    ]
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _iso(now),
        "account": {"email": user.email, **{k: getattr(user, k) for k in SETTINGS}},
        "card": {
            **{k: getattr(card, k) for k in CARD_FIELDS if k != "links"},
            "links": list(card.links or []),
            "slug": card.slug,
            "public_fields": list(card.public_fields or []),
            "published": bool(card.published),
        }
        if card is not None
        else None,
        "events": [
            {
                "id": e.id,
                "name": e.name,
                "date": e.date.isoformat(),
                "place": e.place,
                "notes": e.notes,
                "active": bool(e.active),
                "created_at": _iso(e.created_at),
            }
            for e in _rows(Event, user, Event.date, Event.id)
        ],
        "people": people,
        "followups": followups,
        "templates": [
            {"kind": t.kind, "subject": t.subject, "body": t.body}
            for t in _rows(Template, user, Template.kind)
        ],
        "interactions": [
            {
                "contact_id": i.contact_id,
                "kind": i.kind,
                "note": i.note,
                "happened_at": _iso(i.happened_at),
            }
            for i in _rows(Interaction, user, Interaction.happened_at, Interaction.id)
        ],
    }


# --------------------------------------------------------------------------
# Loading an export into an empty account


def _list(data: dict, key: str) -> list[dict]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValidationError(
            f"{key} must be a list of objects.", {key: "Not a list of objects."}
        )
    return value


def _object(data: dict, key: str) -> dict | None:
    value = data.get(key)
    if value is not None and not isinstance(value, dict):
        raise ValidationError(f"{key} must be an object.", {key: "Not an object."})
    return value


def _ref(row: dict, key: str):
    """Return the id a row gives under `key` (text, a number or null)."""
    value = row.get(key)
    if value is not None and not isinstance(value, str | int):
        raise ValidationError(
            f"{key} must be an id (text or a number).", {key: "Not an id."}
        )
    return value


@contextmanager
def _entry(section: str, i: int) -> Iterator[None]:
    """Name the entry a validation error comes from: people[3]: …"""
    try:
        yield
    except ValidationError as exc:
        raise ValidationError(
            f"{section}[{i}]: {exc.message}", exc.fields or {section: exc.message}
        ) from None


def _time(value, field: str, required: bool = False) -> dt.datetime | None:
    if value in (None, "") and not required:
        return None
    message = f"{field} is not an ISO 8601 time."
    if not isinstance(value, str):
        raise ValidationError(message, {field: "Not a time."})
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(message, {field: "Not a time."}) from None
    in_date_window(moment, field)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:  # past the window's edge once moved to UTC
        raise ValidationError(message, {field: "Not a time."}) from None


def _is_empty(user: User) -> bool:
    for model in (Contact, Event):
        count = db.session.execute(
            select(func.count()).select_from(model).where(model.user_id == user.id)
        ).scalar_one()
        if count:
            return False
    return True


def import_account(user: User, data: dict, now: dt.datetime) -> dict[str, int]:
    """Load an account export into this account, which must have no people yet.

    All or nothing: settings, card, events, people, follow-ups, templates and
    interactions are written in the request's one transaction, and any fault in the file
    (a wrong type, a missing key, a bad time) refuses the whole file with a
    ValidationError naming where it is (the request then rolls back).
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError(
            "This is not a Morrow account export (format must be morrow-account).",
            {"format": "Expected morrow-account."},
        )
    if data.get("version") != VERSION or isinstance(data.get("version"), bool):
        raise ValidationError(
            f"Only version {VERSION} exports can be loaded.", {"version": "Unknown."}
        )
    if not _is_empty(user):
        raise Conflict(
            "This account already has people or events. Load a full export only "
            "into a new, empty account."
        )
    try:
        counts = _load(user, data, now)
        db.session.flush()
    except DomainError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
        # A shape no check above foresaw: still the file's fault, not a 500.
        current_app.logger.warning("Account export refused: %r", exc)
        raise ValidationError(
            "This export holds a value of the wrong kind and was not loaded; "
            "nothing was saved.",
            {"file": "A value of the wrong kind."},
        ) from None
    except (DataError, IntegrityError):
        raise ValidationError(
            "This export holds a value Morrow cannot store (too long, or a"
            " duplicate); nothing was saved.",
            {"file": "A value that cannot be stored."},
        ) from None
    return counts


def _load(user: User, data: dict, now: dt.datetime) -> dict[str, int]:
    account = _object(data, "account") or {}
    card = _object(data, "card")
    sections = {
        key: _list(data, key)
        for key in ("events", "people", "followups", "templates", "interactions")
    }
    settings = {k: account[k] for k in SETTINGS if k in account}
    if settings:
        update_settings(user, settings)
    if card is not None:
        _load_card(user, card)
    events = _load_events(user, sections["events"])
    people = _load_people(user, sections["people"], events, now)
    followups = _load_followups(user, sections["followups"], people)
    templates = _load_templates(user, sections["templates"])
    interactions = _load_interactions(user, sections["interactions"], people)
    return {
        "events": len(events),
        "people": len(people),
        "followups": followups,
        "templates": templates,
        "interactions": interactions,
    }


def _load_card(user: User, card: dict) -> None:
    fields = {k: card[k] for k in (*CARD_FIELDS, "public_fields") if k in card}
    slug = card.get("slug")
    if slug is not None and not isinstance(slug, str):
        raise ValidationError("card.slug must be text.", {"slug": "Not text."})
    taken = (
        slug
        and db.session.execute(
            select(Card.id).where(Card.slug == slug, Card.user_id != user.id)
        ).first()
    )
    if slug and not taken:
        fields["slug"] = slug
    try:
        saved = update_card(user, fields)
    except ValidationError as exc:
        raise ValidationError(f"card: {exc.message}", exc.fields) from None
    saved.published = bool(card.get("published", True))


def _load_events(user: User, rows: list[dict]) -> dict[Any, int]:
    mapping: dict[Any, int] = {}
    for i, row in enumerate(rows):
        with _entry("events", i):
            event_id = _ref(row, "id")
            values = _clean_event(
                {
                    k: row[k]
                    for k in ("name", "date", "place", "notes", "active")
                    if k in row
                },
                partial=False,
            )
            event = Event(user_id=user.id, **values, **_when("created_at", row))
        db.session.add(event)
        db.session.flush()
        mapping[event_id] = event.id
    return mapping


def _free_id(value) -> str:
    try:
        wanted = str(uuid.UUID(str(value)))
    except ValueError:
        return str(uuid.uuid4())
    if db.session.get(Contact, wanted) is not None:
        return str(uuid.uuid4())
    return wanted


PERSON_FIELDS = (
    "name", "first_name", "last_name", "email", "phone", "company", "title",
    "website", "linkedin", "talked_about", "promise", "notes", "source",
    "preferred_channel", "keep_in_touch_days", "unread",
)  # fmt: skip


def _load_people(
    user: User, rows: list[dict], events: dict, now: dt.datetime
) -> dict[Any, str]:
    mapping: dict[Any, str] = {}
    loaded: list[tuple[Contact, Any]] = []
    for i, row in enumerate(rows):
        data = {k: row[k] for k in PERSON_FIELDS if k in row}
        with _entry("people", i):
            ids = {k: _ref(row, k) for k in ("id", "event_id", "introduced_by_id")}
            uid = _text(row.get("vcard_uid"), 255, "vcard_uid")
            values = clean_contact(user, data, partial=False)
            tags = clean_tags(row.get("tags"))
            times = {k: _time(row.get(k), k) for k in PERSON_TIMES}
        contact = Contact(
            id=_free_id(ids["id"]),
            user_id=user.id,
            tags=tags,
            event_id=events.get(ids["event_id"]),
            vcard_uid=uid or None,
            met_at=times["met_at"] or now,
            last_interaction_at=times["last_interaction_at"],
            created_at=times["created_at"] or now,
            updated_at=times["updated_at"] or now,
            **values,
        )
        db.session.add(contact)
        mapping[ids["id"]] = contact.id
        loaded.append((contact, ids["introduced_by_id"]))
    db.session.flush()
    for contact, introducer in loaded:
        contact.introduced_by_id = mapping.get(introducer)
    write_tag_rows((contact.id, user.id, contact.tags) for contact, _ in loaded)
    # Keep the exported updated_at: the introducer fix-up is not an edit.
    db.session.flush()
    for (contact, _introducer), row in zip(loaded, rows, strict=True):
        contact.updated_at = _time(row.get("updated_at"), "updated_at") or now
    db.session.flush()
    return mapping


def _load_followups(user: User, rows: list[dict], people: dict) -> int:
    for i, row in enumerate(rows):
        with _entry("followups", i):
            contact_id = people.get(_ref(row, "contact_id"))
            about = people.get(_ref(row, "about_contact_id"))
            kind, status = row.get("kind"), row.get("status")
            if (
                contact_id is None
                or kind not in FOLLOWUP_KINDS
                or status not in FOLLOWUP_STATUSES
            ):
                raise ValidationError(
                    "the person, kind or status is unknown.",
                    {"followups": f"Entry {i} is not valid."},
                )
            channel = _text(row.get("channel"), None, "channel")
            if channel is not None and len(channel) > 16:
                raise ValidationError(
                    "channel is at most 16 characters.", {"channel": "Too long."}
                )
            followup = FollowUp(
                user_id=user.id,
                contact_id=contact_id,
                about_contact_id=about,
                kind=kind,
                key=(_text(row.get("key"), 120, "key") or kind),
                due_at=_time(row.get("due_at"), "due_at", required=True),
                status=status,
                channel=channel,
                subject=_text(row.get("subject"), 200, "subject"),
                body=_text(row.get("body"), 20000, "body"),
                snoozed_until=_time(row.get("snoozed_until"), "snoozed_until"),
                done_at=_time(row.get("done_at"), "done_at"),
                **_when("created_at", row),
            )
        db.session.add(followup)
    db.session.flush()
    return len(rows)


def _when(key: str, row: dict) -> dict:
    # Absent times are left out so the column's default applies.
    moment = _time(row.get(key), key)
    return {key: moment} if moment else {}


def _text(value, limit: int | None, field: str) -> str | None:
    """Return text (cut to `limit`) or None; refuse any other kind of value."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text.", {field: "Not text."})
    return value[:limit]


def _load_templates(user: User, rows: list[dict]) -> int:
    from .drafts import template_errors

    for i, row in enumerate(rows):
        with _entry("templates", i):
            subject = _text(row.get("subject"), None, "subject") or ""
            body = _text(row.get("body"), None, "body") or ""
            errors = template_errors(subject, body)
            if errors or row.get("kind") not in FOLLOWUP_KINDS:
                raise ValidationError(
                    "is not a valid template.",
                    {"templates": f"Entry {i} is not valid."},
                )
        db.session.add(
            Template(user_id=user.id, kind=row["kind"], subject=subject, body=body)
        )
    db.session.flush()
    return len(rows)


def _load_interactions(user: User, rows: list[dict], people: dict) -> int:
    for i, row in enumerate(rows):
        with _entry("interactions", i):
            contact_id = people.get(_ref(row, "contact_id"))
            kind = row.get("kind")
            if (
                contact_id is None
                or not isinstance(kind, str)
                or not 0 < len(kind) <= 16
            ):
                raise ValidationError(
                    "names an unknown person or kind.",
                    {"interactions": f"Entry {i} is not valid."},
                )
            interaction = Interaction(
                user_id=user.id,
                contact_id=contact_id,
                kind=kind,
                note=_text(row.get("note"), 20000, "note") or "",
                **_when("happened_at", row),
            )
        db.session.add(interaction)
    db.session.flush()
    return len(rows)
