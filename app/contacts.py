"""People the owner met: capture (create-or-return), edit, search, delete.

Duplicates and merging live in contact_merge.py and are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid

from sqlalchemy import Table, TextualSelect, bindparam, exists, func, insert, text
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.orm import make_transient_to_detached

from . import clock, search_index
from .errors import Conflict, NotFound, ValidationError
from .events import default_event, get_event
from .extensions import db
from .models import Contact, ContactTag, Event, FollowUp, User, insert_row, unsaved
from .scheduling import schedule_followups, zone_of
from .shapes import ContactJSON
from .tags import TaggedPerson, set_tags, write_tag_rows
from .transactions import begin_write
from .validation import (
    FieldErrors,
    Rule,
    Unusable,
    clean_email,
    clean_fields,
    clean_int,
    clean_linkedin,
    clean_phone,
    clean_url,
    in_date_window,
    phone_warning,
    text_rule,
    without_control,
)

TEXT_LIMITS = {
    "name": 200,
    "first_name": 100,
    "last_name": 100,
    "company": 140,
    "title": 140,
    "talked_about": 5000,
    "promise": 5000,
    "notes": 20000,
}
MULTILINE = {"talked_about", "promise", "notes"}
SOURCES = ("capture", "scan", "exchange", "import")
CHANNELS = ("email", "sms", "whatsapp", "linkedin")
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
WRITABLE = set(TEXT_LIMITS) | {
    "email",
    "phone",
    "website",
    "linkedin",
    "tags",
    "event_id",
    "met_at",
    "introduced_by_id",
    "source",
    "preferred_channel",
    "keep_in_touch_days",
    "unread",
}
READ_ONLY = {
    "id",
    "last_interaction_at",
    "created_at",
    "updated_at",
    "possible_duplicates",
    "extras",
}


def split_name(name: str) -> tuple[str, str]:
    """Guess (first, last) from a typed name: "Doe, Jane" and "Jane van Doe" work."""
    name = " ".join(name.split())
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip()[:100], last.strip()[:100]
    first, _, last = name.partition(" ")
    return first[:100], last[:100]


def canonical_linkedin(url: str) -> str:
    """Return one spelling per LinkedIn profile, so duplicates can be found."""
    match = re.match(
        r"^https?://(?:[\w-]+\.)?linkedin\.com/(in|pub)/([^/?#]+)", url, re.I
    )
    if not match:
        return url
    return f"https://www.linkedin.com/{match.group(1).lower()}/{match.group(2)}"


def clean_tags(value, field: str = "tags") -> list[str]:
    """Return lower-case, trimmed, unique tags from a list or a comma list."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValidationError(
            "tags must be a list of text.", {field: "A list of text."}
        )
    tags: list[str] = []
    for raw in value:
        tag = " ".join(without_control(raw).lower().split()).strip("#").strip()
        if not tag or tag in tags:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            message = f"Tags must be at most {MAX_TAG_LENGTH} characters."
            raise ValidationError(message, {field: message})
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        message = f"At most {MAX_TAGS} tags per person."
        raise ValidationError(message, {field: message})
    return tags


def clean_met_at(value, user: User, field: str = "met_at") -> dt.datetime:
    """Read an ISO 8601 time in the date window; no offset: the owner's zone."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            message = "Give the time as ISO 8601, like 2026-03-10T19:30."
            raise ValidationError(message, {field: message}) from None
    else:
        raise ValidationError("Give a time.", {field: "Give a time."})
    in_date_window(moment, field)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_of(user))
    return moment.astimezone(dt.UTC)


_PHONE_LIKE = re.compile(r"(?i:tel:)?\+?[\d\s().\-/]{5,}")
_LINK_LIKE = re.compile(r"(?i)https?://\S|[\w-]+(\.[\w-]+)+")


def reach_kind(text: str) -> str:
    """Tell which way to reach someone a typed text is, or "" for none.

    static/js/reach.js gives the page the same answer as a hint while typing;
    tests/reach_inputs.json holds the inputs on which the two are checked.
    """
    text = (text or "").strip()
    if not text:
        return ""
    if "@" in text and "/" not in text:
        return "email"
    if _PHONE_LIKE.fullmatch(text):
        return "phone"
    if re.search(r"linkedin\.com/", text, re.I):
        return "linkedin"
    return "website" if _LINK_LIKE.match(text) else ""


def classify_reach(text: str, region: str) -> tuple[str, str]:
    """Tell which way to reach someone a typed text is: (field, cleaned value)."""
    text = (text or "").strip()
    kind = reach_kind(text)
    if kind == "email":
        return "email", clean_email(text, "reach")
    if kind == "phone":
        return "phone", clean_phone(re.sub(r"(?i)^tel:", "", text), region, "reach")
    if kind == "linkedin":
        return "linkedin", canonical_linkedin(clean_linkedin(text, "reach"))
    if not text:
        return "", ""
    # Anything else must be a link; clean_url says what is wrong with it.
    return "website", clean_url(text, "reach")


def _owned_contact_id(user: User, value, field: str) -> str | None:
    if value in (None, ""):
        return None
    found = (
        isinstance(value, str)
        and db.session.execute(
            db.select(Contact.id).filter_by(id=value, user_id=user.id)
        ).scalar_one_or_none()
    )
    if not found:
        raise ValidationError(
            "That person is not among your people.", {field: "Not one of your people."}
        )
    return value


def _owned_event_id(user: User, value) -> int:
    try:
        return get_event(user, value).id
    except NotFound:
        raise ValidationError(
            "That event is not one of yours.", {"event_id": "Not one of your events."}
        ) from None


def _one_of(choices: tuple[str, ...], message: str, *, blank_is_none: bool = False):
    """The rule of a field that takes one of a few words."""

    def rule(value, field: str, _user):
        if blank_is_none and not value:
            return None
        if value not in choices:
            raise ValidationError(message, {field: message})
        return value

    return rule


def _days(value, field: str, _user) -> int | None:
    return None if value in (None, "") else clean_int(value, field, 1, 3650)


# A person's fields: name → cleaning rule (validation.Rule, the owner as context).
CONTACT_RULES: dict[str, Rule] = {
    **{f: text_rule(n, multiline=f in MULTILINE) for f, n in TEXT_LIMITS.items()},
    "email": lambda v, _f, _user: clean_email(v),
    "phone": lambda v, _f, user: clean_phone(v, user.default_region or "US"),
    "website": lambda v, _f, _user: clean_url(v, "website"),
    "linkedin": lambda v, _f, _user: canonical_linkedin(clean_linkedin(v)),
    "tags": lambda v, _f, _user: clean_tags(v),
    "met_at": lambda v, _f, user: clean_met_at(v, user),
    "introduced_by_id": lambda v, f, user: _owned_contact_id(user, v, f),
    "event_id": lambda v, _f, user: (
        None if v in (None, "") else _owned_event_id(user, v)
    ),
    "source": _one_of(SOURCES, "source must be capture, scan, exchange or import."),
    "preferred_channel": _one_of(
        CHANNELS, "Use email, sms, whatsapp or linkedin.", blank_is_none=True
    ),
    "keep_in_touch_days": _days,
    "unread": lambda v, _f, _user: bool(v),
}


def _refuse_unknown(data: dict) -> None:
    unknown = set(data) - WRITABLE - READ_ONLY
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationError(f"Unknown field {field}.", {field: "Unknown field."})


def clean_contact(user: User, data: dict, *, partial: bool) -> dict:
    """Validate contact fields; every error names its field.

    A whole person (partial=False) needs a name; an edit changes only the
    fields it gives.
    """
    _refuse_unknown(data)
    errors = FieldErrors()
    required = () if partial else ("name",)
    values = clean_fields(CONTACT_RULES, data, user, errors, required=required)
    if values.get("name") == "":
        errors.add("name", "Give a name, even just a first name.")
    errors.raise_if_any()
    return values


def _fill_names(values: dict, data: dict) -> None:
    # Split the typed name only when the client gave no first/last of its own.
    if "name" in values and not data.get("first_name") and not data.get("last_name"):
        values["first_name"], values["last_name"] = split_name(values["name"])


def get_contact(user: User, contact_id) -> Contact:
    """Return one of the owner's people, or raise NotFound."""
    contact = None
    if isinstance(contact_id, str) and len(contact_id) <= 36:
        contact = db.session.execute(
            db.select(Contact).filter_by(id=contact_id, user_id=user.id)
        ).scalar_one_or_none()
    if contact is None:
        raise NotFound("No such person.")
    return contact


def unusable_id() -> Unusable:
    """The one answer for every client id Morrow can't use, whatever the reason.

    An id another account holds must read exactly like a malformed one, so a
    capture can't be used to learn which ids exist.
    """
    return Unusable(
        "That id can't be used: send a new UUID, or none.",
        {"id": "Not usable: make a new UUID like 1b4e28ba-2fa1-…"},
    )


def clean_id(value) -> str:
    """A client's person id as a canonical UUID, or raise the unusable-id error."""
    if not isinstance(value, str):
        raise unusable_id()
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise unusable_id() from None


def stored_contact(user: User, contact_id: str) -> Contact | None:
    """The owner's person under this id, read afresh; None if nobody holds it.

    An id another account holds raises the unusable-id error (unusable_id).
    """
    contact = db.session.get(Contact, contact_id, populate_existing=True)
    if contact is None:
        return None
    if contact.user_id != user.id:
        raise unusable_id()
    return contact


# create_contact looks the day's event up itself unless given one.
LOOK_UP = object()


def create_contact(
    user: User,
    data: dict,
    now: dt.datetime,
    *,
    days_event_id: int | None | object = LOOK_UP,
    write=None,
    before_write=None,
) -> tuple[Contact, bool]:
    """Save a capture, or return the stored one for a repeated id: (person, created).

    The one write path of a new person: capture (page and API) and the public
    card's exchange form. It writes and does not commit, so one transaction
    can hold many captures. A capture that names no event (no event_id at all;
    null means none) joins the day's event (events.default_event): the views
    never choose it. The primary key is the client's UUID, so two racing copies
    of one capture meet at the database's unique constraint, not at a check
    that both pass.

    `days_event_id`, when given, is the day's event already looked up (a batch
    of captures looks it up once). With `write(contact, tags, now)` a new
    person goes to it instead of being written (a batch writes them all at
    once). `before_write(contact)` runs just before a new person is written,
    with every field as it will be stored: reads and the answer made there
    keep the database's write lock (SQLite) free of them.
    """
    contact_id = clean_id(data["id"]) if data.get("id") else str(uuid.uuid4())
    try:
        values = clean_contact(user, data, partial=False)
    except ValidationError:
        # A repeat of a saved capture answers with it, even when its fields no
        # longer pass (its event deleted since, say). A first copy is refused.
        existing = stored_contact(user, contact_id)
        if existing is None:
            raise
        return existing, False
    _fill_names(values, data)
    tags = values.pop("tags", [])
    values.setdefault("met_at", now)
    if "event_id" not in values:
        values["event_id"] = (
            todays_event_id(user, now) if days_event_id is LOOK_UP else days_event_id
        )
    # Given, not lazy-loaded: a person not yet written can't load them, and
    # scheduling needs them before anything is written.
    event_id, introducer_id = values["event_id"], values.get("introduced_by_id")
    contact = unsaved(
        Contact,
        id=contact_id,
        user_id=user.id,
        tags=tags,
        created_at=now,
        updated_at=now,
        event=db.session.get(Event, event_id) if event_id else None,
        introduced_by=db.session.get(Contact, introducer_id) if introducer_id else None,
        **values,
    )
    contact.refresh_search_text()
    if write is not None:
        write(contact, tags, now)
        return contact, True
    if _write_capture(contact, tags, now, before_write):
        return contact, True
    existing = stored_contact(user, contact_id)
    if existing is None:  # pragma: no cover - the stored copy was just seen
        raise Conflict("This capture is being saved by another request; try again.")
    return existing, False


def todays_event_id(user: User, now: dt.datetime) -> int | None:
    """The id of the event a capture made now belongs to (events.default_event)."""
    event = default_event(user, now)
    return event.id if event is not None else None


def new_person_rows(
    contact: Contact, tags: list[str], now: dt.datetime
) -> tuple[dict, list[dict], TaggedPerson]:
    """A new person's rows, worked out without writing: (person, follow-ups, tags).

    The person's INSERT row, the INSERT rows of the follow-ups a fresh capture
    gets, and the entry write_tag_rows takes for their tags.
    """
    followups: list[FollowUp] = []
    schedule_followups(contact, now=now, fresh=True, add=followups.append)
    return (
        insert_row(contact),
        [insert_row(f) for f in followups],
        (contact.id, contact.user_id, tags),
    )


def _write_capture(
    contact: Contact, tags: list[str], now: dt.datetime, before_write=None
) -> bool:
    """Write a new person with their tags and follow-ups; False if the id is stored.

    Captures come in bursts (a phone's outbox flushing after a meetup), so this
    path skips the ORM's unit of work: everything is worked out first, then each
    table gets one INSERT, and the person, their tags and follow-ups land
    together or not at all. A repeated id is not looked up first: the person's
    INSERT skips an id already stored (ON CONFLICT DO NOTHING), in this
    transaction or a racing one (PostgreSQL waits for that one to end), and
    nothing else is written. No error is raised, so the transaction stays good
    for the captures after it.
    """
    person, followup_rows, tag_entry = new_person_rows(contact, tags, now)
    if before_write is not None:
        before_write(contact)
    begin_write()  # SQLite: the write lock, asked for promptly
    statement = _insert_new(Contact.__table__, tuple(person))
    if db.session.execute(statement, person).first() is None:
        return False
    if followup_rows:
        db.session.execute(insert(FollowUp.__table__), followup_rows)
    write_tag_rows([tag_entry])
    # The person joins the session as if just loaded: no query to read it back.
    make_transient_to_detached(contact)
    db.session.add(contact)
    return True


@functools.cache
def _insert_new(table: Table, keys: tuple[str, ...]) -> TextualSelect:
    """An INSERT that skips a row whose primary key is stored; it returns new ids.

    Written out once per table and set of columns, because SQLAlchemy can't
    cache the compiled form of its ON CONFLICT construct: built with it, every
    capture paid ~0.5 ms to compile a 28-column INSERT. SQLite and PostgreSQL
    read this same statement; the typed parameters still convert the values
    (times to UTC, lists to JSON) as the table's columns do.
    """
    quote = DefaultDialect().identifier_preparer.quote  # only names that need it
    columns = [table.c[key] for key in keys]
    names = ", ".join(quote(column.name) for column in columns)
    values = ", ".join(f":{column.key}" for column in columns)
    # Every name comes from the table's own metadata, none from input.
    statement = text(
        f"INSERT INTO {quote(table.name)} ({names}) VALUES ({values}) "  # nosec B608
        "ON CONFLICT (id) DO NOTHING RETURNING id"
    )
    typed = [bindparam(column.key, type_=column.type) for column in columns]
    return statement.bindparams(*typed).columns(table.c.id)


def update_contact(
    user: User, contact: Contact, data: dict, now: dt.datetime
) -> Contact:
    """Change the given fields of a person."""
    values = clean_contact(user, data, partial=True)
    if "name" in values and "first_name" not in data and "last_name" not in data:
        values["first_name"], values["last_name"] = split_name(values["name"])
    if values.get("introduced_by_id") == contact.id:
        raise ValidationError(
            "Nobody introduces themselves.", {"introduced_by_id": "Not this person."}
        )
    if "tags" in values:
        set_tags(contact, values.pop("tags"))
    for field, value in values.items():
        setattr(contact, field, value)
    contact.updated_at = now
    schedule_followups(contact, now=now)
    db.session.flush()
    return contact


def delete_contact(user: User, contact: Contact) -> None:
    """Delete a person with their follow-ups; whom they introduced stays."""
    db.session.delete(contact)
    db.session.flush()


def mark_read(contact: Contact) -> None:
    if contact.unread:
        contact.unread = False
        db.session.flush()


def contact_warnings(contact: Contact) -> list[str]:
    """What a saved person holds that needs the owner's look (a number as typed)."""
    warning = phone_warning(contact.phone)
    return [warning] if warning else []


def contact_to_dict(contact: Contact, user: User) -> ContactJSON:
    """Return the person's JSON shape (DESIGN §4); times in UTC (clock.iso)."""
    _iso = clock.iso

    return {
        "id": contact.id,
        "name": contact.name,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "company": contact.company,
        "title": contact.title,
        "website": contact.website,
        "linkedin": contact.linkedin,
        "talked_about": contact.talked_about,
        "promise": contact.promise,
        "notes": contact.notes,
        "tags": list(contact.tags or []),
        # Values a merge kept beside the fields: {"email": [...], "name": [...]}.
        "extras": dict(contact.extras or {}),
        "event_id": contact.event_id,
        "met_at": _iso(contact.met_at),
        "introduced_by_id": contact.introduced_by_id,
        "source": contact.source,
        "preferred_channel": contact.preferred_channel,
        "keep_in_touch_days": contact.keep_in_touch_days,
        "last_interaction_at": _iso(contact.last_interaction_at),
        "unread": bool(contact.unread),
        "created_at": _iso(contact.created_at),
        "updated_at": _iso(contact.updated_at),
    }


def search_contacts(
    user: User,
    q: str = "",
    *,
    event_id: int | None = None,
    tag: str | None = None,
    unread: bool = False,
    after: tuple[dt.datetime, str] | None = None,
    limit: int = 50,
) -> tuple[list[Contact], tuple[str, str] | None]:
    """Return one page of people, newest first, and where the next page starts."""
    query = db.select(Contact)
    dialect = db.engine.dialect.name
    candidates: set[str] | None = None
    # Control characters can't be typed, match nothing and upset databases.
    for word in search_index.fold(without_control(q)).split()[:8]:
        if search_index.probes_first(dialect, word):
            ids = search_index.sparse_matches(user.id, word)
            if ids is not None:
                candidates = set(ids) if candidates is None else candidates & set(ids)
                continue
        query = query.where(search_index.contains(dialect, word))
    if candidates is not None:
        # Look the few candidates up by id; "+ 0" keeps SQLite from walking the
        # (user_id, created_at) index instead, which reads every row for a rare word.
        query = query.where(Contact.id.in_(candidates), Contact.user_id + 0 == user.id)
    else:
        query = query.where(Contact.user_id == user.id)
    if event_id is not None:
        query = query.where(Contact.event_id == event_id)
    if unread:
        query = query.where(Contact.unread.is_(True))
    if tag:
        query = query.where(
            exists().where(
                ContactTag.contact_id == Contact.id,
                ContactTag.user_id == user.id,
                ContactTag.tag == without_control(tag).strip().lower(),
            )
        )
    if after is not None:
        created = after[0]
        query = query.where(
            (Contact.created_at < created)
            | ((Contact.created_at == created) & (Contact.id < after[1]))
        )
    rows = list(
        db.session.execute(
            query.order_by(Contact.created_at.desc(), Contact.id.desc()).limit(
                limit + 1
            )
        ).scalars()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    following = (rows[-1].created_at.isoformat(), rows[-1].id) if more else None
    return rows, following


def recent_tags(user: User, limit: int = 10) -> list[str]:
    """Return the owner's most recently used tags, for one-tap chips."""
    newest = func.max(Contact.created_at)
    rows = db.session.execute(
        db.select(ContactTag.tag)
        .join(Contact, Contact.id == ContactTag.contact_id)
        .where(ContactTag.user_id == user.id)
        .group_by(ContactTag.tag)
        .order_by(newest.desc())
        .limit(limit)
    ).scalars()
    return list(rows)


def find_by_name(
    user: User,
    name: str,
    field: str = "introduced_by",
    *,
    partial: bool = False,
    besides: str | None = None,
) -> str | None:
    """Return the id of the person called `name` (any case), newest first.

    With partial=True (naming an introducer), part of a name will do
    ("Henrietta" for Henrietta Castellanos-Vandermeer) when exactly one person's
    name has it. Merging takes exact names only, and names someone `besides`
    the person merged into: two people captured under one name are the usual
    reason to merge.
    """
    name = " ".join((name or "").split())
    if not name:
        return None
    mine = db.select(Contact.id).where(Contact.user_id == user.id)
    if besides:
        mine = mine.where(Contact.id != besides)
    exact = db.session.execute(
        mine.where(func.lower(Contact.name) == name.lower())
        .order_by(Contact.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if exact:
        return exact
    named: list[str] = []
    if partial:
        # Names only (not notes or tags), every one of the owner's people; a
        # form is sent rarely enough for a scan of names.
        pattern = search_index.like_pattern(without_control(name).lower())
        named = list(
            db.session.execute(
                mine.where(func.lower(Contact.name).like(pattern, escape="\\")).limit(2)
            ).scalars()
        )
    if len(named) == 1:
        return named[0]
    message = (
        f"More than one person's name has {name} in it: pick one from the list "
        "or type the whole name."
        if named
        else f"Nobody called {name} among your people yet."
    )
    raise ValidationError(message, {field: message})


def unread_count(user: User) -> int:
    return db.session.execute(
        db.select(func.count()).where(Contact.user_id == user.id, Contact.unread)
    ).scalar_one()


from .contact_merge import find_duplicates, merge_contacts  # noqa: E402

__all__ = [
    "classify_reach",
    "contact_to_dict",
    "contact_warnings",
    "create_contact",
    "delete_contact",
    "find_duplicates",
    "get_contact",
    "merge_contacts",
    "search_contacts",
    "update_contact",
]
