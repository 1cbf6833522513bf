"""The queue: listing follow-ups, moving them through their states, scores.

States: pending → done | skipped; pending → snoozed(until) → pending.
A snoozed follow-up is stored as `status="pending"` with `snoozed_until` set
and `due_at` moved to the same moment. When that moment passes it is simply
pending and due again, and every queue query stays one range scan of the
(user_id, status, due_at) index. `followup_to_dict` reports it as "snoozed"
while the moment is still ahead. Done and skipped are final (409 otherwise);
a snoozed follow-up may be sent, skipped or snoozed again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import NamedTuple, Protocol, TypeVar

from sqlalchemy import and_, func, or_, select, union
from sqlalchemy.engine import Row
from sqlalchemy.orm import selectinload

from . import clock
from .cards import shareable_card_url
from .drafts import (
    BODY_MAX,
    KIND_LABELS,
    SUBJECT_MAX,
    channels_for,
    combine_drafts,
    default_channel,
    draft_message,
    links_for,
    user_templates,
)
from .errors import Conflict, NotFound, ValidationError
from .extensions import db
from .models import MAX_ID, Contact, Event, FollowUp, Interaction, User
from .scheduling import followup_moment, local_moment, log_interaction, zone_of
from .shapes import FollowUpJSON
from .validation import clamp_day, in_date_window

STATUSES = ("pending", "done", "skipped", "snoozed", "all")
FINAL = ("done", "skipped")
SCORE_WINDOW = dt.timedelta(hours=48)


def effective_status(followup: FollowUp, now: dt.datetime) -> str:
    """Return the status as the owner sees it (an unexpired snooze is "snoozed")."""
    if followup.status == "pending" and followup.snoozed_until is not None:
        if followup.snoozed_until > now:
            return "snoozed"
    return followup.status


def _with_people():
    return (
        selectinload(FollowUp.contact).selectinload(Contact.event),
        selectinload(FollowUp.contact).selectinload(Contact.introduced_by),
        selectinload(FollowUp.about).selectinload(Contact.event),
    )


def list_followups(
    user: User,
    now: dt.datetime,
    status: str = "pending",
    due: str = "now",
    event_id: int | None = None,
    cursor: tuple[dt.datetime, int] | None = None,
    limit: int = 50,
    oldest_first: bool = True,
) -> tuple[list[FollowUp], list | None]:
    """Return one page of the owner's follow-ups and the cursor of the next."""
    if status not in STATUSES:
        raise ValidationError(
            "status must be pending, done, skipped, snoozed or all.",
            {"status": "Unknown status."},
        )
    if due not in ("now", "all"):
        raise ValidationError("due must be now or all.", {"due": "Use now or all."})
    query = select(FollowUp).where(FollowUp.user_id == user.id)
    if status == "pending":
        query = query.where(FollowUp.status == "pending")
        if due == "all":
            query = query.where(
                or_(FollowUp.snoozed_until.is_(None), FollowUp.due_at <= now)
            )
    elif status == "snoozed":
        query = query.where(
            FollowUp.status == "pending",
            FollowUp.snoozed_until.is_not(None),
            FollowUp.due_at > now,
        )
    elif status != "all":
        query = query.where(FollowUp.status == status)
    if due == "now":
        query = query.where(FollowUp.due_at <= now)
    if event_id is not None:
        people = select(Contact.id).where(
            Contact.user_id == user.id, Contact.event_id == event_id
        )
        query = query.where(
            or_(FollowUp.contact_id.in_(people), FollowUp.about_contact_id.in_(people))
        )
    if cursor:
        after_due, after_id = cursor
        query = query.where(
            or_(
                FollowUp.due_at > after_due,
                and_(FollowUp.due_at == after_due, FollowUp.id > after_id),
            )
        )
    query = query.order_by(FollowUp.due_at, FollowUp.id).limit(limit + 1)
    items = list(db.session.execute(query.options(*_with_people())).scalars())
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = [items[-1].due_at.isoformat(), items[-1].id]
    return items, next_cursor


def get_followup(user: User, followup_id: int) -> FollowUp:
    """Return the owner's follow-up, or raise NotFound."""
    # Ids beyond 64 bits overflow the database driver: they exist nowhere.
    followup = (
        db.session.get(FollowUp, followup_id) if 0 < followup_id <= MAX_ID else None
    )
    if followup is None or followup.user_id != user.id:
        raise NotFound("There is no such follow-up.")
    return followup


# The kind a message leads with, first to last: its draft is the message's
# frame (greeting, sign-off), and the others add what it doesn't say.
LEAD_ORDER = {"promise": 0, "thank_you": 1, "intro_thanks": 2, "keep_in_touch": 3}
_WAYS = ("email", "phone", "linkedin")


@dataclass
class Message:
    """One Queue card: everything owed to one person one morning.

    `lead` is the follow-up the card acts on and an edit is saved to; `parts`
    (the lead first) are the follow-ups whose drafts make up the text; `also`
    are the others settled with it. `people` lists the person's records when
    they were captured twice and not merged yet (the first is the older one).
    """

    key: str
    lead: FollowUp
    parts: list[FollowUp] = dataclass_field(default_factory=list)
    also: list[FollowUp] = dataclass_field(default_factory=list)
    people: list[Contact] = dataclass_field(default_factory=list)

    @property
    def followups(self) -> list[FollowUp]:
        return [self.lead, *self.also]


def _edited(followup: FollowUp) -> bool:
    return followup.subject is not None or followup.body is not None


def _aware(moment: dt.datetime | None) -> dt.datetime:
    if moment is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def same_people(user: User, contacts) -> dict[str, str]:
    """Map each person's id to the id of the record that stands for them.

    Records with the same email (any case), phone or LinkedIn profile are one
    person not merged yet (DESIGN §3, "Duplicates"); the oldest record stands
    for them all, so the answer does not depend on which records were asked
    about. One query, whatever the number of people.
    """
    records = {c.id: c for c in contacts}
    values = {
        way: {
            (getattr(c, way) or "").lower() if way == "email" else getattr(c, way)
            for c in records.values()
            if getattr(c, way)
        }
        for way in _WAYS
    }
    columns = (Contact.id, Contact.email, Contact.phone, Contact.linkedin)
    mine = select(*columns, Contact.created_at).where(Contact.user_id == user.id)
    column = {
        "email": func.lower(Contact.email),
        "phone": Contact.phone,
        "linkedin": Contact.linkedin,
    }
    lookups = [mine.where(column[w].in_(sorted(values[w]))) for w in _WAYS if values[w]]
    found: Sequence[Row] = []
    if lookups:
        query = union(*lookups) if len(lookups) > 1 else lookups[0]
        found = db.session.execute(query).all()
    for row in found:
        records.setdefault(row.id, row)
    parent = {rid: rid for rid in records}

    def root(rid: str) -> str:
        while parent[rid] != rid:
            parent[rid] = parent[parent[rid]]
            rid = parent[rid]
        return rid

    first_with: dict[tuple, str] = {}
    for rid, record in records.items():
        for way in _WAYS:
            value = getattr(record, way) or ""
            if not value:
                continue
            seen = first_with.setdefault((way, value.lower()), rid)
            parent[root(rid)] = root(seen)
    oldest: dict[str, str] = {}
    for rid in sorted(records, key=lambda i: (_aware(records[i].created_at), i)):
        oldest.setdefault(root(rid), rid)
    return {rid: oldest[root(rid)] for rid in records}


class _Due(Protocol):
    """What grouping reads of a follow-up: a FollowUp, or a row of its columns."""

    @property
    def id(self) -> int: ...
    @property
    def contact_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def due_at(self) -> dt.datetime: ...


def _lead_order(followup: _Due) -> tuple:
    return (LEAD_ORDER.get(followup.kind, 9), followup.due_at, followup.id)


D = TypeVar("D", bound=_Due)


def _by_person_and_day(
    followups: Sequence[D], stands_for: dict[str, str], zone
) -> dict[str, list[D]]:
    """Follow-ups by message key: the standing record's id and the local day."""
    groups: dict[str, list[D]] = {}
    for followup in followups:
        day = clock.local(followup.due_at, zone).date()
        key = f"{stands_for[followup.contact_id]}:{day.isoformat()}"
        groups.setdefault(key, []).append(followup)
    return groups


def in_messages(user: User, followups: list[FollowUp], zone) -> list[Message]:
    """Group follow-ups into the messages they go out as (DESIGN §3).

    Everything owed to one person the same local day is one message: their
    records captured twice count as one person. It leads with the promise,
    else the thank-you, the intro thanks, the keep-in-touch. A thank-you is
    said by a promise or another thank-you, a keep-in-touch by any other
    kind; intro thanks and further promises add their own sentences. A
    follow-up whose text the owner rewrote, unless it leads, is a message of
    its own (its words are what goes out). Messages come in the order of
    their first follow-up; each has a key (`message_key` in the API): the
    standing record's id and the local day.
    """
    contacts = {f.contact_id: f.contact for f in followups}
    stands_for = same_people(user, contacts.values())
    messages: list[Message] = []
    for key, group in _by_person_and_day(followups, stands_for, zone).items():
        ordered = sorted(group, key=_lead_order)
        lead = ordered[0]
        message = Message(key, lead, [lead])
        kinds = {lead.kind}
        alone = []
        for followup in ordered[1:]:
            if _edited(followup):
                alone.append(Message(f"{key}:{followup.id}", followup, [followup]))
                continue
            said = followup.kind == "keep_in_touch" or (
                followup.kind == "thank_you" and kinds & {"promise", "thank_you"}
            )
            if not said:
                message.parts.append(followup)
            message.also.append(followup)
            kinds.add(followup.kind)
        people = {f.contact_id: f.contact for f in message.followups}
        message.people = sorted(
            people.values(), key=lambda c: (_aware(c.created_at), c.id)
        )
        for one in alone:
            one.people = [one.lead.contact]
        messages += [message, *alone]
    first = {f.id: i for i, f in enumerate(followups)}
    messages.sort(key=lambda m: min(first[f.id] for f in m.followups))
    return messages


def message_key_of(user: User, followup: FollowUp) -> str:
    """Return the key of the message a follow-up goes out in, looked up alone.

    Its siblings are the follow-ups of the same person (any of their records)
    due the same local day, in the same state.
    """
    zone = zone_of(user)
    stands_for = same_people(user, [followup.contact])
    ids = [i for i, s in stands_for.items() if s == stands_for[followup.contact_id]]
    day = clock.local(followup.due_at, zone).date()
    start = local_moment(day, 0, zone)
    end = local_moment(day + dt.timedelta(days=1), 0, zone)
    siblings = db.session.execute(
        select(FollowUp)
        .where(
            FollowUp.user_id == user.id,
            FollowUp.contact_id.in_(ids),
            FollowUp.status == followup.status,
            FollowUp.due_at >= start,
            FollowUp.due_at < end,
        )
        .order_by(FollowUp.due_at, FollowUp.id)
        .options(*_with_people())
    ).scalars()
    group = list(dict.fromkeys([*siblings, followup]))
    for message in in_messages(user, group, zone):
        if followup in message.followups:
            return message.key
    return ""  # pragma: no cover - every follow-up is in a message


def message_draft(
    message: Message, user: User, card_url: str | None, cache=None
) -> dict[str, str]:
    """Return the message's {subject, body}: its parts' drafts made one."""
    if _edited(message.lead) or len(message.parts) == 1:
        return draft_message(message.lead, user, card_url, cache)
    # Several parts are joined from their template drafts: a polished text's
    # greeting and sign-off can't be told apart reliably.
    parts = message.parts
    return combine_drafts(
        [draft_message(f, user, card_url, cache, False) for f in parts]
    )


def message_followups(user: User, followup_id: int, also: list[int]) -> list[FollowUp]:
    """The owner's follow-up and the still open ones sent within its message.

    The first must be open (acting on it raises Conflict otherwise); another
    tab may already have closed the others, which are then left as they are.
    """
    first = get_followup(user, followup_id)
    others = [get_followup(user, i) for i in dict.fromkeys(also) if i != followup_id]
    return [first, *(f for f in others if f.status not in FINAL)]


def require_open(followup: FollowUp, action: str) -> None:
    if followup.status in FINAL:
        raise Conflict(
            f"This follow-up is already {followup.status}; it can't be {action}."
        )


def mark_done(user: User, followup: FollowUp, now: dt.datetime) -> FollowUp:
    """Mark a follow-up sent: the person's keep-in-touch clock starts again."""
    require_open(followup, "marked sent")
    followup.status = "done"
    followup.done_at = now
    followup.snoozed_until = None
    if followup.channel is None:
        followup.channel = default_channel(followup.contact)
    db.session.flush()
    log_interaction(followup.contact, "followup", followup.kind, now)
    db.session.flush()
    return followup


def skip(user: User, followup: FollowUp, now: dt.datetime) -> FollowUp:
    """Drop a follow-up without sending it."""
    require_open(followup, "skipped")
    followup.status = "skipped"
    followup.snoozed_until = None
    db.session.flush()
    return followup


def parse_until(value, user: User) -> dt.datetime:
    """Return an aware UTC moment from an ISO date (follow-up hour) or datetime.

    The day must be in the date window (a 422 otherwise).
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            "Pick a day to snooze it to.",
            {"until": "Required: an ISO date or datetime."},
        )
    text = value.strip()
    zone = zone_of(user)
    try:
        if len(text) == 10:
            day = in_date_window(dt.date.fromisoformat(text), "until")
            return followup_moment(user, day)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            "That isn't a date.", {"until": "Not an ISO date or datetime."}
        ) from None
    in_date_window(moment, "until")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


# Snooze choices offered on the Queue page, in days from today.
SNOOZE_CHOICES = {"tomorrow": 1, "next_week": 7}


def snooze_from_request(user: User, data: dict, now: dt.datetime) -> dt.datetime:
    """The moment a snooze asks for: `until` (a day or a time), or `when`.

    `when` is "tomorrow" or "next_week", counted in the owner's time zone from
    `chosen_at`, the moment it was tapped (a queue cleared offline sends it
    later), else from now; a tap more than a week old or in the future, or one
    whose day has passed already, counts from now.
    """
    when = data.get("when")
    if when is None:
        return parse_until(data.get("until"), user)
    if when not in SNOOZE_CHOICES:
        choices = ", ".join(SNOOZE_CHOICES)
        raise ValidationError(f"when must be one of {choices}.", {"when": "Unknown."})
    if data.get("chosen_at") is not None:
        until = snooze_choice(user, when, "", _chosen_at(data["chosen_at"], now))
        if until > now:
            return until
    # Tapped long enough ago that its "tomorrow" has passed: count from now.
    return snooze_choice(user, when, "", now)


def _chosen_at(value, now: dt.datetime) -> dt.datetime:
    message = "chosen_at must be an ISO 8601 time with an offset."
    if not isinstance(value, str):
        raise ValidationError(message, {"chosen_at": "Not a time."})
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError
        moment = moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise ValidationError(message, {"chosen_at": "Not a time."}) from None
    if moment > now or now - moment > dt.timedelta(days=7):
        return now
    return moment


def snooze_choice(user: User, choice: str, date_text: str, now: dt.datetime):
    """Turn a snooze choice (tomorrow, next week, else a date) into a moment."""
    if choice in SNOOZE_CHOICES:
        day = now.astimezone(zone_of(user)).date()
        return followup_moment(user, day + dt.timedelta(days=SNOOZE_CHOICES[choice]))
    return parse_until(date_text, user)


def snooze(user: User, followup: FollowUp, until: dt.datetime, now: dt.datetime):
    """Put a follow-up aside until a later moment."""
    require_open(followup, "snoozed")
    if until <= now:
        raise ValidationError(
            "That moment has passed: pick a later day.", {"until": "In the past."}
        )
    if until - now > dt.timedelta(days=3660):
        raise ValidationError(
            "That is more than ten years ahead.", {"until": "Too far ahead."}
        )
    followup.snoozed_until = until
    followup.due_at = until
    db.session.flush()
    return followup


def edit_draft(user: User, followup: FollowUp, data: dict) -> FollowUp:
    """Change the draft's subject, body or channel."""
    require_open(followup, "edited")
    errors: dict[str, str] = {}
    unknown = set(data) - {"subject", "body", "channel"}
    for field in sorted(unknown):
        errors[field] = "Unknown field."
    for field, limit in (("subject", SUBJECT_MAX), ("body", BODY_MAX)):
        if field in data:
            value = data[field]
            if value is not None and not isinstance(value, str):
                errors[field] = "Must be text."
            elif value is not None and len(value) > limit:
                errors[field] = f"At most {limit} characters."
    if "channel" in data:
        channel = data["channel"]
        if channel is not None and channel not in channels_for(followup.contact):
            errors["channel"] = "Not a way this person can be reached."
    if errors:
        raise ValidationError(next(iter(errors.values())), errors)
    for field in ("subject", "body"):
        if field in data:
            value = data[field]
            # An empty value goes back to the template's text.
            setattr(followup, field, value.replace("\r\n", "\n") if value else None)
    if "channel" in data:
        followup.channel = data["channel"]
    db.session.flush()
    return followup


def followup_to_dict(
    followup: FollowUp,
    user: User,
    now: dt.datetime | None = None,
    cache=None,
    message_key: str | None = None,
    draft: dict[str, str] | None = None,
) -> FollowUpJSON:
    """Return the follow-up's JSON shape (DESIGN §4).

    `message_key` is looked up when not given (message_key_of); `draft` is
    the follow-up's own draft unless given (the Queue gives its message's).
    """
    now = now or clock.now()
    contact = followup.contact
    if draft is None:
        draft = draft_message(followup, user, shareable_card_url(user.card), cache)
    links = links_for(contact, draft)
    return {
        "id": followup.id,
        "contact_id": followup.contact_id,
        "contact_name": contact.name,
        "about_contact_id": followup.about_contact_id,
        "kind": followup.kind,
        "due_at": followup.due_at.isoformat(),
        "status": effective_status(followup, now),
        "channel": followup.channel or default_channel(contact),
        "draft": draft,
        "links": links,
        "snoozed_until": _iso(followup.snoozed_until),
        "done_at": _iso(followup.done_at),
        "message_key": message_key or message_key_of(user, followup),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def template_cache(user: User) -> dict:
    """Load the owner's templates once for rendering many drafts."""
    return user_templates(user)


# The Queue shows at most this many follow-ups at once (the oldest first).
QUEUE_MAX = 500


def due_messages(user: User, now: dt.datetime) -> list[Message]:
    """Return the messages due now: the Queue's cards, oldest first."""
    items, _ = list_followups(user, now, limit=QUEUE_MAX)
    return in_messages(user, items, zone_of(user))


class _DueRow(NamedTuple):
    id: int
    contact_id: str
    kind: str
    due_at: dt.datetime
    edited: bool


class _PersonRow(NamedTuple):
    id: str
    email: str | None
    phone: str | None
    linkedin: str | None
    created_at: dt.datetime | None


def count_due(user: User, now: dt.datetime) -> int:
    """Return how many messages (Queue cards) are due now, all of them.

    Read from the columns alone (no follow-up or person is loaded), and
    grouped as in_messages groups: one card per person (records captured
    twice count once) per local day, plus one for each rewritten follow-up
    that doesn't lead its card. Two queries, the second same_people's.
    """
    edited = or_(FollowUp.subject.is_not(None), FollowUp.body.is_not(None))
    rows = db.session.execute(
        select(
            FollowUp.id,
            FollowUp.contact_id,
            FollowUp.kind,
            FollowUp.due_at,
            edited,
            Contact.email,
            Contact.phone,
            Contact.linkedin,
            Contact.created_at,
        )
        .join(Contact, Contact.id == FollowUp.contact_id)
        .where(
            FollowUp.user_id == user.id,
            FollowUp.status == "pending",
            FollowUp.due_at <= now,
        )
    ).all()
    if not rows:
        return 0
    due = [_DueRow(row[0], row[1], row[2], row[3], bool(row[4])) for row in rows]
    people = {r[1]: _PersonRow(r[1], r[5], r[6], r[7], r[8]) for r in rows}
    stands_for = same_people(user, people.values())
    cards = 0
    for group in _by_person_and_day(due, stands_for, zone_of(user)).values():
        ordered = sorted(group, key=_lead_order)
        cards += 1 + sum(f.edited for f in ordered[1:])
    return cards


def local_day_start(user: User, now: dt.datetime, days_back: int = 0) -> dt.datetime:
    """Return local midnight of today (minus days) in UTC."""
    zone = zone_of(user)
    day = now.astimezone(zone).date() - dt.timedelta(days=days_back)
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def progress(user: User, now: dt.datetime, due: int | None = None) -> dict:
    """Return today's progress in messages: sent today out of sent plus due now.

    Everything sent to one person today counts once, as on the Queue page;
    `due` is the number of cards when the caller has them already.
    """
    start = local_day_start(user, now)
    sent = db.session.execute(
        select(FollowUp)
        .where(
            FollowUp.user_id == user.id,
            FollowUp.status == "done",
            FollowUp.done_at >= start,
        )
        .options(selectinload(FollowUp.contact))
    ).scalars()
    contacts = {f.contact_id: f.contact for f in sent}
    stands_for = same_people(user, contacts.values())
    done = len({stands_for[contact_id] for contact_id in contacts})
    if due is None:
        due = count_due(user, now)
    return {"done": done, "total": done + due, "due": due}


def upcoming(user: User, now: dt.datetime, limit: int = 10) -> list[FollowUp]:
    """Return the next pending follow-ups not due yet, snoozed ones aside.

    One more than `limit` comes back when there are more.
    """
    return list(
        db.session.execute(
            select(FollowUp)
            .where(
                FollowUp.user_id == user.id,
                FollowUp.status == "pending",
                FollowUp.due_at > now,
                FollowUp.snoozed_until.is_(None),
            )
            .order_by(FollowUp.due_at, FollowUp.id)
            .limit(limit + 1)
            .options(selectinload(FollowUp.contact))
        ).scalars()
    )


def snoozed(user: User, now: dt.datetime, limit: int = 50) -> list[FollowUp]:
    """Return the follow-ups the owner put aside and that aren't due again yet."""
    return list(
        db.session.execute(
            select(FollowUp)
            .where(
                FollowUp.user_id == user.id,
                FollowUp.snoozed_until.is_not(None),
                FollowUp.snoozed_until > now,
                FollowUp.status == "pending",
            )
            .order_by(FollowUp.snoozed_until, FollowUp.id)
            .limit(limit)
            .options(selectinload(FollowUp.contact))
        ).scalars()
    )


def next_due(user: User, now: dt.datetime) -> dt.datetime | None:
    """Return when the next follow-up becomes due."""
    return db.session.execute(
        select(func.min(FollowUp.due_at)).where(
            FollowUp.user_id == user.id,
            FollowUp.status == "pending",
            FollowUp.due_at > now,
        )
    ).scalar_one()


def week_interactions(user: User, now: dt.datetime) -> int:
    """Count interactions this week, Monday to Sunday in the owner's time zone."""
    zone = zone_of(user)
    weekday = now.astimezone(zone).weekday()
    start = local_day_start(user, now, weekday)  # Monday's midnight
    end = local_day_start(user, now, weekday - 7)  # the next Monday's
    rows = db.session.execute(
        select(Interaction.contact_id, Interaction.kind, Interaction.happened_at).where(
            Interaction.user_id == user.id,
            Interaction.happened_at >= start,
            Interaction.happened_at < end,
        )
    ).all()
    # One message a morning may close several follow-ups of a person (a
    # promise and its thank-you): it is one interaction, as it was one message.
    messages = {
        (contact_id, clock.local(at.replace(tzinfo=at.tzinfo or dt.UTC), zone).date())
        for contact_id, kind, at in rows
        if kind == "followup"
    }
    return len(messages) + sum(1 for _, kind, _ in rows if kind != "followup")


def event_score(user: User, event: Event, now: dt.datetime) -> dict:
    """Score an event: people followed up within 48 h, promises overdue.

    The 48 hours start at the end of the event day (local midnight), so a
    thank-you sent the next morning or the day after counts; a promise still
    unsent after them is overdue.
    """
    if event.user_id != user.id:
        raise NotFound("There is no such event.")
    zone = zone_of(user)
    day_after = clamp_day(event.date) + dt.timedelta(days=1)
    deadline = local_moment(day_after, 0, zone) + SCORE_WINDOW
    people = list(
        db.session.execute(
            select(Contact.id, Contact.name).where(
                Contact.user_id == user.id, Contact.event_id == event.id
            )
        )
    )
    ids = [row.id for row in people]
    followups = []
    if ids:
        followups = list(
            db.session.execute(
                select(FollowUp)
                .where(FollowUp.user_id == user.id)
                .where(
                    or_(
                        FollowUp.contact_id.in_(ids), FollowUp.about_contact_id.in_(ids)
                    )
                )
                .options(selectinload(FollowUp.contact))
            ).scalars()
        )
    followed = set()
    overdue = []
    for followup in followups:
        person = followup.about_contact_id or followup.contact_id
        done_at = followup.done_at
        if followup.status == "done" and done_at is not None and done_at <= deadline:
            followed.add(person)
        # Still unsent once the 48 hours are over: the promise is overdue.
        if followup.kind == "promise" and followup.status == "pending":
            if now > deadline:
                overdue.append(followup)
    overdue.sort(key=lambda f: f.due_at)
    return {
        "event_id": event.id,
        "people": len(ids),
        "followed_up_within_48h": len(followed & set(ids)),
        "promises_overdue": len(overdue),
        "overdue_promises": [
            {
                "followup_id": f.id,
                "contact_id": f.contact_id,
                "contact_name": f.contact.name,
                "promise": f.contact.promise,
                "due_at": f.due_at.isoformat(),
            }
            for f in overdue
        ],
    }


def interactions_for(contact: Contact, limit: int = 20) -> list[Interaction]:
    """Return the person's latest interactions."""
    return list(
        db.session.execute(
            select(Interaction)
            .where(Interaction.contact_id == contact.id)
            # A message's follow-ups in the order they were closed: its lead first.
            .order_by(Interaction.happened_at.desc(), Interaction.id)
            .limit(limit)
        ).scalars()
    )


@dataclass
class HistoryEntry:
    """One line of a person's history: a message sent, a talk, a note.

    `kinds` names the follow-ups a sent message closed (a promise and its
    thank-you are one message, one entry).
    """

    kind: str
    note: str
    happened_at: dt.datetime
    kinds: list[str] = dataclass_field(default_factory=list)


def history_for(contact: Contact, limit: int = 20) -> list[HistoryEntry]:
    """Return the person's latest interactions, one entry per message sent."""
    entries: list[HistoryEntry] = []
    # A message logs one interaction per follow-up it closed, all at its moment.
    for interaction in interactions_for(contact, limit * len(KIND_LABELS)):
        last = entries[-1] if entries else None
        if (
            interaction.kind == "followup"
            and last is not None
            and last.kind == "followup"
            and last.happened_at == interaction.happened_at
        ):
            if interaction.note in KIND_LABELS and interaction.note not in last.kinds:
                last.kinds.append(interaction.note)
            continue
        if len(entries) == limit:
            break
        kinds = [interaction.note] if interaction.note in KIND_LABELS else []
        entries.append(
            HistoryEntry(
                interaction.kind, interaction.note, interaction.happened_at, kinds
            )
        )
    return entries


def followups_for(contact: Contact) -> list[FollowUp]:
    """Return every follow-up addressed to or about the person, newest first."""
    return list(
        db.session.execute(
            select(FollowUp)
            .where(FollowUp.user_id == contact.user_id)
            .where(
                or_(
                    FollowUp.contact_id == contact.id,
                    FollowUp.about_contact_id == contact.id,
                )
            )
            .order_by(FollowUp.due_at.desc())
        ).scalars()
    )
