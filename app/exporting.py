"""Everything out again: vCard and CSV exports, and the whole account as JSON.

`account_export` writes card, settings, events, people, follow-ups (with their
state and edited texts), templates and interactions; `import_account` loads
such a file into an account that has no people or events yet, remapping ids
where the stored ones are taken (a contact keeps its UUID when it is free).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select

from .accounts import update_settings
from .cards import CARD_FIELDS, update_card
from .contacts import clean_contact, clean_tags
from .errors import Conflict, ValidationError
from .events import _clean_event
from .extensions import db
from .models import (
    Card,
    Contact,
    ContactTag,
    Event,
    FollowUp,
    Interaction,
    Template,
    User,
)
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
    from .vcards import contacts_vcf

    return contacts_vcf(_people(user))


def export_csv(user: User) -> str:
    """Return every person of the owner as CSV text (BOM first, formulas guarded)."""
    from .csvio import contacts_csv

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
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValidationError(f"{key} must be a list of objects.", {key: "Not a list."})
    return value


def _time(value, field: str, required: bool = False) -> dt.datetime | None:
    if value in (None, "") and not required:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{field} is not an ISO 8601 time.", {field: "Not a time."}
        ) from None
    in_date_window(moment, field)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _is_empty(user: User) -> bool:
    for model in (Contact, Event):
        count = db.session.execute(
            select(func.count()).select_from(model).where(model.user_id == user.id)
        ).scalar_one()
        if count:
            return False
    return True


def import_account(user: User, data: dict, now: dt.datetime) -> dict[str, int]:
    """Load an account export into this account, which must have no people yet."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError(
            "This is not a Morrow account export (format must be morrow-account).",
            {"format": "Expected morrow-account."},
        )
    if data.get("version") != VERSION:
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
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return counts


def _load(user: User, data: dict, now: dt.datetime) -> dict[str, int]:
    account = data.get("account") or {}
    if not isinstance(account, dict):
        raise ValidationError(
            "account must be an object.", {"account": "Not an object."}
        )
    settings = {k: account[k] for k in SETTINGS if k in account}
    if settings:
        update_settings(user, settings)
    card = data.get("card")
    if isinstance(card, dict):
        _load_card(user, card)
    events = _load_events(user, _list(data, "events"))
    people = _load_people(user, _list(data, "people"), events, now)
    followups = _load_followups(user, _list(data, "followups"), people)
    templates = _load_templates(user, _list(data, "templates"))
    interactions = _load_interactions(user, _list(data, "interactions"), people)
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
    taken = (
        slug
        and db.session.execute(
            select(Card.id).where(Card.slug == slug, Card.user_id != user.id)
        ).first()
    )
    if slug and not taken:
        fields["slug"] = slug
    update_card(user, fields)
    user.card.published = bool(card.get("published", True))


def _load_events(user: User, rows: list[dict]) -> dict[Any, int]:
    mapping: dict[Any, int] = {}
    for i, row in enumerate(rows):
        try:
            values = _clean_event(
                {
                    k: row[k]
                    for k in ("name", "date", "place", "notes", "active")
                    if k in row
                },
                partial=False,
            )
        except ValidationError as exc:
            raise ValidationError(f"events[{i}]: {exc.message}", exc.fields) from None
        event = Event(user_id=user.id, **values, **_when("created_at", row))
        db.session.add(event)
        db.session.flush()
        mapping[row.get("id")] = event.id
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
    loaded: list[tuple[Contact, dict]] = []
    for i, row in enumerate(rows):
        data = {k: row[k] for k in PERSON_FIELDS if k in row}
        try:
            values = clean_contact(user, data, partial=False)
            tags = clean_tags(row.get("tags"))
            times = {k: _time(row.get(k), k) for k in PERSON_TIMES}
        except ValidationError as exc:
            raise ValidationError(f"people[{i}]: {exc.message}", exc.fields) from None
        contact = Contact(
            id=_free_id(row.get("id")),
            user_id=user.id,
            tags=tags,
            event_id=events.get(row.get("event_id")),
            vcard_uid=(str(row["vcard_uid"])[:255] if row.get("vcard_uid") else None),
            met_at=times["met_at"] or now,
            last_interaction_at=times["last_interaction_at"],
            created_at=times["created_at"] or now,
            updated_at=times["updated_at"] or now,
            **values,
        )
        db.session.add(contact)
        mapping[row.get("id")] = contact.id
        loaded.append((contact, row))
    db.session.flush()
    for contact, row in loaded:
        contact.introduced_by_id = mapping.get(row.get("introduced_by_id"))
        db.session.add_all(
            ContactTag(contact_id=contact.id, tag=tag, user_id=user.id)
            for tag in contact.tags
        )
    # Keep the exported updated_at: the introducer fix-up is not an edit.
    db.session.flush()
    for contact, row in loaded:
        contact.updated_at = _time(row.get("updated_at"), "updated_at") or now
    db.session.flush()
    return mapping


def _load_followups(user: User, rows: list[dict], people: dict) -> int:
    count = 0
    for i, row in enumerate(rows):
        contact_id = people.get(row.get("contact_id"))
        kind, status = row.get("kind"), row.get("status")
        if (
            contact_id is None
            or kind not in FOLLOWUP_KINDS
            or status not in (FOLLOWUP_STATUSES)
        ):
            raise ValidationError(
                f"followups[{i}] names an unknown person, kind or status.",
                {"followups": f"Entry {i} is not valid."},
            )
        db.session.add(
            FollowUp(
                user_id=user.id,
                contact_id=contact_id,
                about_contact_id=people.get(row.get("about_contact_id")),
                kind=kind,
                key=str(row.get("key") or kind)[:120],
                due_at=_time(row.get("due_at"), "due_at", required=True),
                status=status,
                channel=row.get("channel")
                if isinstance(row.get("channel"), str)
                else None,
                subject=_text(row.get("subject"), 200),
                body=_text(row.get("body"), 20000),
                snoozed_until=_time(row.get("snoozed_until"), "snoozed_until"),
                done_at=_time(row.get("done_at"), "done_at"),
                **_when("created_at", row),
            )
        )
        count += 1
    db.session.flush()
    return count


def _when(key: str, row: dict) -> dict:
    # Absent times are left out so the column's default applies.
    moment = _time(row.get(key), key)
    return {key: moment} if moment else {}


def _text(value, limit: int) -> str | None:
    return str(value)[:limit] if value is not None else None


def _load_templates(user: User, rows: list[dict]) -> int:
    from .drafts import template_errors

    for i, row in enumerate(rows):
        subject, body = str(row.get("subject") or ""), str(row.get("body") or "")
        errors = template_errors(subject, body)
        if errors or row.get("kind") not in FOLLOWUP_KINDS:
            raise ValidationError(
                f"templates[{i}] is not a valid template.",
                {"templates": f"Entry {i} is not valid."},
            )
        db.session.add(
            Template(user_id=user.id, kind=row["kind"], subject=subject, body=body)
        )
    db.session.flush()
    return len(rows)


def _load_interactions(user: User, rows: list[dict], people: dict) -> int:
    for i, row in enumerate(rows):
        contact_id = people.get(row.get("contact_id"))
        kind = row.get("kind")
        if contact_id is None or not isinstance(kind, str) or not 0 < len(kind) <= 16:
            raise ValidationError(
                f"interactions[{i}] names an unknown person or kind.",
                {"interactions": f"Entry {i} is not valid."},
            )
        db.session.add(
            Interaction(
                user_id=user.id,
                contact_id=contact_id,
                kind=row["kind"],
                note=_text(row.get("note"), 20000) or "",
                **_when("happened_at", row),
            )
        )
    db.session.flush()
    return len(rows)
