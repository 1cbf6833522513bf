"""People met twice: finding them ("already met"), merging without loss, undoing."""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid

from sqlalchemy import bindparam, func, or_, select, union, update

from .errors import Conflict, DomainError, NotFound, ValidationError
from .extensions import db
from .models import (
    Contact,
    ContactPhoto,
    Event,
    FollowUp,
    Interaction,
    Merge,
    User,
    UTCDateTime,
)
from .scheduling import INTRO_PREFIX, KIT_PREFIX, schedule_followups
from .search_text import fold
from .shapes import DuplicateJSON
from .tags import set_tags, write_tag_rows

# The fuller value wins; the other stays as an extra when it says something else.
_FULLER = ("name", "company", "title")
# Ways to reach someone: filled when empty, a different one kept as an extra.
_REACH = ("email", "phone", "website", "linkedin")
# Filled from the other person only when the kept one has nothing.
_FILL = (
    "first_name",
    "last_name",
    "event_id",
    "preferred_channel",
    "keep_in_touch_days",
    "vcard_uid",
)
_CONCAT = ("talked_about", "promise", "notes")
# The ways of reaching someone that tell two records are one person.
_MATCHED = ("email", "phone", "linkedin")


def match_columns() -> dict:
    """Each way's column as compared: emails without regard to case."""
    return {
        "email": func.lower(Contact.email),
        "phone": Contact.phone,
        "linkedin": Contact.linkedin,
    }


def match_keys(contact: Contact) -> list[tuple[str, str]]:
    """(way, value) for each way this person can be matched on, as compared."""
    values = [getattr(contact, field) or "" for field in _MATCHED]
    values[0] = values[0].lower()
    return [(field, v) for field, v in zip(_MATCHED, values, strict=True) if v]


def find_duplicates(user: User, contact: Contact) -> list[Contact]:
    """Return other people with the same email, E.164 phone or LinkedIn profile."""
    ways = tuple(bool(getattr(contact, field)) for field in _MATCHED)
    if not any(ways):
        return []
    params = {
        "user_id": user.id,
        "id": contact.id,
        "email": (contact.email or "").lower(),
        "phone": contact.phone,
        "linkedin": contact.linkedin,
    }
    return list(db.session.execute(_duplicates_query(ways), params).scalars())


def same_name(user: User, contact: Contact) -> list[Contact]:
    """Return other people with this person's exact name (any case).

    Shown on the person's page only: a name alone is a guess, but one person
    captured twice (online, then again offline) usually shares nothing else.
    """
    name = " ".join((contact.name or "").split()).lower()
    if not name:
        return []
    query = (
        select(Contact)
        .where(
            Contact.user_id == user.id,
            Contact.id != contact.id,
            func.lower(Contact.name) == name,
        )
        .order_by(Contact.created_at)
        .limit(10)
    )
    return list(db.session.execute(query).scalars())


@functools.cache
def _duplicates_query(ways: tuple[bool, bool, bool]):
    # Built once per combination of ways to reach someone: this runs on every
    # capture. One indexed lookup per way; a single OR over the three columns
    # made the database read every one of the owner's people.
    mine = select(Contact.id).where(Contact.user_id == bindparam("user_id"))
    matches = {way: column == bindparam(way) for way, column in match_columns().items()}
    lookups = [
        mine.where(matches[f]) for f, used in zip(_MATCHED, ways, strict=True) if used
    ]
    found = union(*lookups) if len(lookups) > 1 else lookups[0]
    return (
        select(Contact)
        .where(Contact.id.in_(found), Contact.id != bindparam("id"))
        .order_by(Contact.created_at)
        .limit(10)
    )


def duplicate_summary(contact: Contact, other: Contact) -> DuplicateJSON:
    """Describe a possible duplicate for the API answer and the notice."""
    matched = [
        field
        for field in _MATCHED
        if getattr(contact, field)
        and (getattr(contact, field) or "").lower()
        == (getattr(other, field) or "").lower()
    ]
    return {
        "id": other.id,
        "name": other.name,
        "company": other.company,
        "matched_on": matched,
    }


def possible_duplicates(user: User, contact: Contact) -> list[DuplicateJSON]:
    """The person page's possible duplicates: a shared way to reach them
    first (find_duplicates), then other people with the same name (same_name)."""
    found = find_duplicates(user, contact)
    summaries = [duplicate_summary(contact, d) for d in found]
    summaries += [
        {"id": d.id, "name": d.name, "company": d.company, "matched_on": ["name"]}
        for d in same_name(user, contact)
        if d not in found
    ]
    return summaries


def _joined(first: str, second: str) -> str:
    if not second or second == first or second in first:
        return first
    if not first:
        return second
    return f"{first}\n\n{second}"


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def _covers(fuller: str, shorter: str) -> bool:
    """Tell whether `fuller` says all `shorter` does: "Amara Okafor" ⊇ "Amara O."."""
    long, short = _words(fuller), _words(shorter)
    if not short or len(fold(fuller)) <= len(fold(shorter)):
        return False
    position = 0
    for word in short:
        while position < len(long) and not long[position].startswith(word):
            position += 1
        if position == len(long):
            return False
        position += 1
    return True


def _fuller(kept: str, other: str) -> tuple[str, str]:
    """Return (the value to keep in the field, the other one if it says more)."""
    if not other or fold(other) == fold(kept):
        return kept, ""
    if not kept:
        return other, ""
    if _covers(other, kept):
        kept, other = other, kept
    elif not _covers(kept, other):
        return kept, other
    # The shorter one stays too unless it is plainly part of the fuller one.
    return kept, "" if fold(other) in fold(kept) else other


def _same(first: str, second: str) -> bool:
    return fold(first or "") == fold(second or "")


def _with_extra(extras: dict, field: str, value: str, current: str) -> None:
    if not value or _same(value, current):
        return
    values = extras.setdefault(field, [])
    if not any(_same(value, v) for v in values):
        values.append(value)


def _row(obj) -> dict:
    """Every column of a row, as JSON can hold it (times in ISO 8601, UTC)."""
    row = {}
    for column in obj.__table__.columns:
        value = getattr(obj, column.key)
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).isoformat()
        elif isinstance(value, dt.date):
            value = value.isoformat()
        row[column.key] = value
    return row


def _unrow(model, row: dict) -> dict:
    """Column values from `_row`'s JSON, read back as the columns take them."""
    values = {}
    for column in model.__table__.columns:
        if column.key not in row or column.key == "search_text":
            continue
        value = row[column.key]
        if value is not None and isinstance(column.type, UTCDateTime):
            value = dt.datetime.fromisoformat(value)
        values[column.key] = value
    return values


def _max_followup_id(user: User) -> int:
    return db.session.execute(
        select(func.coalesce(func.max(FollowUp.id), 0)).where(
            FollowUp.user_id == user.id
        )
    ).scalar_one()


def _touching(ids: list[str]):
    return select(FollowUp).where(
        or_(FollowUp.contact_id.in_(ids), FollowUp.about_contact_id.in_(ids))
    )


def merge_contacts(
    user: User, keep: Contact, other: Contact, now: dt.datetime
) -> Merge:
    """Merge `other` into `keep` losing nothing; return the merge, to undo it by.

    Each field keeps the fuller value (the longer name that contains the
    other, a company over none); every value that differs stays as well, in
    `extras` (other names, emails, phones…, found by search, shown on the
    person's page, exported). Topic, promise and notes of both are kept, tags
    joined, follow-ups, interactions and introductions moved to `keep`. What
    undoing needs is saved in a `Merge`, for 30 days.
    """

    _check_mergeable(user, keep, other)
    keep_before, other_before = _row(keep), _row(other)
    followups_before = {
        f.id: _row(f)
        for f in db.session.execute(_touching([keep.id, other.id])).scalars()
    }
    moved = _what_moves(keep, other, followups_before)
    _merge_fields(keep, other)
    _merge_links(keep, other)
    tags = list(keep.tags or []) + [
        t for t in other.tags or [] if t not in (keep.tags or [])
    ]
    keep.updated_at = now
    _move_followups(keep, other)
    renamed = _one_set_of_followups(keep)
    for model in (Interaction, ContactPhoto):
        db.session.execute(
            update(model).where(model.contact_id == other.id).values(contact_id=keep.id)
        )
    db.session.execute(
        update(Contact)
        .where(Contact.introduced_by_id == other.id, Contact.id != keep.id)
        # A new link, not an edit of them: their updated_at stays.
        .values(introduced_by_id=keep.id, updated_at=Contact.updated_at)
    )
    keep.tags = tags
    write_tag_rows([(keep.id, user.id, tags), (other.id, user.id, [])], replace=True)
    db.session.flush()
    db.session.delete(other)
    db.session.flush()
    # SQLite may give a deleted follow-up's id to the next one: what the merge
    # adds is counted from here, and what it deletes is told by ids before that.
    remaining = _still_there(followups_before)
    last_followup = _max_followup_id(user)
    schedule_followups(keep, now=now)
    db.session.flush()
    remaining = _still_there(remaining)
    merge = Merge(
        id=str(uuid.uuid4()),
        user_id=user.id,
        kept_id=keep.id,
        other_id=other.id,
        other_name=other.name,
        created_at=now,
        snapshot={
            "keep_before": keep_before,
            "keep_after": _row(keep),
            "other_before": other_before,
            "moved": moved,
            "renamed": [[fid, key] for fid, key in renamed.items()],
            "followups_after": [last_followup, _max_followup_id(user)],
            "followups_deleted": [
                row for fid, row in followups_before.items() if fid not in remaining
            ],
        },
    )
    db.session.add(merge)
    db.session.flush()
    return merge


def _still_there(ids) -> set[int]:
    return set(
        db.session.execute(select(FollowUp.id).where(FollowUp.id.in_(list(ids))))
        .scalars()
        .all()
    )


def _check_mergeable(user: User, keep: Contact, other: Contact) -> None:
    if keep.id == other.id:
        raise ValidationError(
            "A person can't be merged with themselves.", {"other_id": "Same person."}
        )
    if keep.user_id != user.id or other.user_id != user.id:
        raise ValidationError("Not one of your people.", {"other_id": "Not yours."})


def _what_moves(keep: Contact, other: Contact, followups_before: dict) -> dict:
    """What the merge moves from `other` to `keep`, by id, for an undo to move back."""
    return {
        "followups": [
            [f["id"], f["key"]]
            for f in followups_before.values()
            if f["contact_id"] == other.id
        ],
        "about": [
            f["id"]
            for f in followups_before.values()
            if f["about_contact_id"] == other.id
        ],
        "interactions": list(
            db.session.execute(
                select(Interaction.id).where(Interaction.contact_id == other.id)
            ).scalars()
        ),
        "photos": list(
            db.session.execute(
                select(ContactPhoto.id).where(ContactPhoto.contact_id == other.id)
            ).scalars()
        ),
        "introduced": list(
            db.session.execute(
                select(Contact.id).where(
                    Contact.introduced_by_id == other.id, Contact.id != keep.id
                )
            ).scalars()
        ),
    }


def _merge_fields(keep: Contact, other: Contact) -> None:
    """Each field the fuller value; every value that differs kept in `extras`."""
    extras: dict = {}
    for source in (keep.extras, other.extras):
        for field, values in (source or {}).items():
            for value in values or []:
                _with_extra(extras, field, value, "")
    took_name = False
    for field in _FULLER:
        value, extra = _fuller(getattr(keep, field) or "", getattr(other, field) or "")
        took_name = took_name or (field == "name" and value != keep.name)
        setattr(keep, field, value)
        _with_extra(extras, field, extra, value)
    if took_name and (other.first_name or other.last_name):
        keep.first_name, keep.last_name = other.first_name, other.last_name
    for field in _REACH:
        mine, theirs = getattr(keep, field) or "", getattr(other, field) or ""
        if not mine:
            setattr(keep, field, theirs)
        else:
            _with_extra(extras, field, theirs, mine)
    for field in _FILL:
        if getattr(keep, field) in (None, "") and getattr(other, field) not in (
            None,
            "",
        ):
            setattr(keep, field, getattr(other, field))
    for field in _CONCAT:
        setattr(
            keep,
            field,
            _joined(getattr(keep, field) or "", getattr(other, field) or ""),
        )
    for field, values in extras.items():  # a value now in its field isn't extra
        extras[field] = [v for v in values if not _same(v, getattr(keep, field, ""))]
    keep.extras = {field: values for field, values in extras.items() if values}


def _merge_links(keep: Contact, other: Contact) -> None:
    """Who introduced them, when they were first met and last talked to."""
    if keep.introduced_by_id in (None, other.id):
        introducer = other.introduced_by_id
        keep.introduced_by_id = (
            None if introducer in (keep.id, other.id) else introducer
        )
    keep.met_at = min(keep.met_at, other.met_at)
    if other.last_interaction_at and (
        keep.last_interaction_at is None
        or other.last_interaction_at > keep.last_interaction_at
    ):
        keep.last_interaction_at = other.last_interaction_at
    keep.unread = bool(keep.unread or other.unread)


def _move_followups(keep: Contact, other: Contact) -> None:
    # One follow-up per (person, key): a clash gets a key of its own so both stay.
    taken = set(
        db.session.execute(select(FollowUp.key).filter_by(contact_id=keep.id)).scalars()
    )
    for followup in db.session.execute(
        select(FollowUp).filter_by(contact_id=other.id)
    ).scalars():
        if followup.key in taken:
            followup.key = f"{followup.key}{MERGED_KEY}{other.id[:8]}"[:120]
        followup.contact_id = keep.id
    db.session.flush()
    db.session.execute(
        update(FollowUp)
        .where(FollowUp.about_contact_id == other.id)
        .values(about_contact_id=keep.id)
    )


MERGED_KEY = ":merged:"
# Said once: after one was sent, another one is not owed.
SAID_ONCE = ("thank_you", "intro_thanks")


def _one_set_of_followups(keep: Contact) -> dict[int, str]:
    """One follow-up of each kind for the merged person, not one per record.

    Per kind (an intro thank-you: per person introduced, also those owed to
    whoever introduced `keep`), of the open ones the earliest due stays; one
    the owner rewrote stays instead, every rewritten one if several; none
    stays of a thank-you already sent. Sent and skipped ones all stay. The
    kept ones take the key the person's own would have, so scheduling finds
    them. Returns {id: key before} of those renamed, for an undo.
    """
    slots: dict[tuple, list[FollowUp]] = {}
    for f in db.session.execute(_touching([keep.id])).scalars():
        about = f.about_contact_id if f.kind == "intro_thanks" else None
        slots.setdefault((f.contact_id, f.kind, about), []).append(f)
    kept: list[FollowUp] = []
    for (_, kind, _), group in slots.items():
        pending = sorted(
            (f for f in group if f.status == "pending"), key=lambda f: (f.due_at, f.id)
        )
        rewritten = [f for f in pending if f.subject is not None or f.body is not None]
        said = kind in SAID_ONCE and any(f.status == "done" for f in group)
        stays = rewritten or ([] if said else pending[:1])
        for f in pending:
            if f not in stays:
                db.session.delete(f)
        kept += [f for f in group if f.status != "pending" or f in stays]
    db.session.flush()  # the keys of those gone are free
    return _own_keys(kept)


def _own_keys(followups: list[FollowUp]) -> dict[int, str]:
    """Give each follow-up the key scheduling looks for, where it is free."""
    taken = {(f.contact_id, f.key) for f in followups}
    kits: dict[str, int] = {}
    for f in followups:
        if f.key.startswith(KIT_PREFIX):
            number = f.key[len(KIT_PREFIX) :].split(":")[0]
            n = int(number) if number.isdigit() else 0
            kits[f.contact_id] = max(kits.get(f.contact_id, 0), n)
    renamed: dict[int, str] = {}
    for f in followups:
        if f.kind == "intro_thanks" and f.about_contact_id:
            key = INTRO_PREFIX + f.about_contact_id
        elif f.kind == "keep_in_touch":
            if f.status != "pending" or MERGED_KEY not in f.key:
                continue  # past ones keep theirs; the open one comes latest
            kits[f.contact_id] = kits.get(f.contact_id, 0) + 1
            key = f"{KIT_PREFIX}{kits[f.contact_id]}"
        elif f.kind in ("thank_you", "promise"):
            key = f.kind
        else:
            key = f.key.split(MERGED_KEY)[0]
        if key == f.key or (f.contact_id, key) in taken:
            continue
        taken.discard((f.contact_id, f.key))
        taken.add((f.contact_id, key))
        renamed[f.id] = f.key
        f.key = key
        db.session.flush()  # one at a time: no two rows hold a key at once
    return renamed


UNDO_DAYS = 30


class Gone(DomainError):
    """A merge too old to undo."""

    status = 410
    code = "gone"


def get_merge(user: User, merge_id) -> Merge:
    """Return one of the owner's merges, or raise NotFound."""
    merge = None
    if isinstance(merge_id, str) and len(merge_id) <= 36:
        merge = db.session.execute(
            select(Merge).filter_by(id=merge_id, user_id=user.id)
        ).scalar_one_or_none()
    if merge is None:
        raise NotFound("No such merge.")
    return merge


def undoable_merges(user: User, contact: Contact, now: dt.datetime) -> list[Merge]:
    """The merges into `contact` that can still be undone, newest first."""
    return list(
        db.session.execute(
            select(Merge)
            .filter_by(user_id=user.id, kept_id=contact.id, undone_at=None)
            .where(Merge.created_at > now - dt.timedelta(days=UNDO_DAYS))
            .order_by(Merge.created_at.desc())
        ).scalars()
    )


def _existing(model, key):
    return key if key is not None and db.session.get(model, key) is not None else None


def undo_merge(user: User, merge: Merge, now: dt.datetime) -> tuple[Contact, Contact]:
    """Split a merge: both people back as they were, with what changed since.

    The other person comes back with their id, fields, tags, follow-ups,
    interactions and the people they introduced. A field of the kept person
    changed since the merge keeps its new value; one the merge set goes back;
    tags added or removed since stay added or removed. Follow-ups and
    interactions made since stay with the kept person; follow-ups the merge
    itself added go unless already sent or snoozed.
    """
    keep = _undoable(user, merge, now)
    snap = merge.snapshot
    other = _bring_back_other(snap)
    _restore_kept(keep, snap)
    deleted = {row["id"] for row in snap["followups_deleted"]}
    _move_back(keep, other, snap["moved"], deleted)
    _restore_keys(snap)
    _restore_followups(user, snap)
    schedule_followups(other, now=now)
    schedule_followups(keep, now=now)
    merge.undone_at = now
    db.session.flush()
    return keep, other


def _undoable(user: User, merge: Merge, now: dt.datetime) -> Contact:
    """The person the merge kept, or raise why the merge can't be undone."""
    if merge.undone_at is not None:
        raise Conflict("This merge was already undone.")
    if now - merge.created_at > dt.timedelta(days=UNDO_DAYS):
        raise Gone(f"Merges can be undone for {UNDO_DAYS} days; this one is older.")
    keep = db.session.get(Contact, merge.kept_id)
    if keep is None or keep.user_id != user.id:
        raise Conflict("The person this merge kept was deleted since.")
    if db.session.get(Contact, merge.other_id) is not None:
        raise Conflict("The other person is already back.")
    return keep


def _bring_back_other(snap: dict) -> Contact:
    values = _unrow(Contact, snap["other_before"])
    values["event_id"] = _existing(Event, values.get("event_id"))
    values["introduced_by_id"] = _existing(Contact, values.get("introduced_by_id"))
    other = Contact(**values)
    db.session.add(other)
    set_tags(other, list(other.tags or []), fresh=True)  # written with them
    db.session.flush()
    return other


def _restore_kept(keep: Contact, snap: dict) -> None:
    """The kept person's fields as before the merge, but for those changed since."""
    before, after = snap["keep_before"], snap["keep_after"]
    now_row = _row(keep)
    restored = _unrow(Contact, before)
    for field, value in restored.items():
        if field in ("id", "user_id", "tags") or now_row[field] != after.get(field):
            continue  # changed since the merge: the change stays
        if field == "event_id":
            value = _existing(Event, value)
        elif field == "introduced_by_id":
            value = _existing(Contact, value)
        setattr(keep, field, value)
    current, merged = list(keep.tags or []), list(after.get("tags") or [])
    removed = [t for t in merged if t not in current]
    added = [t for t in current if t not in merged]
    kept_tags = [t for t in before.get("tags") or [] if t not in removed]
    set_tags(keep, kept_tags + [t for t in added if t not in kept_tags])


def _move_back(keep: Contact, other: Contact, moved: dict, deleted: set[int]) -> None:
    """Follow-ups, interactions and introductions the merge moved go back."""
    for followup_id, key in moved["followups"]:
        if followup_id in deleted:
            continue  # brought back by _restore_followups; the id may be another's now
        followup = db.session.get(FollowUp, followup_id)
        if followup is not None and followup.contact_id == keep.id:
            followup.contact_id, followup.key = other.id, key
    db.session.flush()
    for statement in (
        update(FollowUp)
        .where(FollowUp.id.in_(moved["about"]), FollowUp.about_contact_id == keep.id)
        .values(about_contact_id=other.id),
        update(Interaction)
        .where(
            Interaction.id.in_(moved["interactions"]),
            Interaction.contact_id == keep.id,
        )
        .values(contact_id=other.id),
        # Merges made before card photos have no "photos".
        update(ContactPhoto)
        .where(
            ContactPhoto.id.in_(moved.get("photos", [])),
            ContactPhoto.contact_id == keep.id,
        )
        .values(contact_id=other.id),
        update(Contact)
        .where(Contact.id.in_(moved["introduced"]), Contact.introduced_by_id == keep.id)
        .values(introduced_by_id=other.id, updated_at=Contact.updated_at),
    ):
        db.session.execute(statement)


def _restore_keys(snap: dict) -> None:
    """The keys the merge gave follow-ups it didn't move back (an introducer's)."""
    moved = {followup_id for followup_id, _ in snap["moved"]["followups"]}
    for followup_id, key in snap.get("renamed", []):
        followup = db.session.get(FollowUp, followup_id)
        if followup is None or followup_id in moved:
            continue
        taken = db.session.execute(
            select(FollowUp.id).filter_by(contact_id=followup.contact_id, key=key)
        ).first()
        if taken is None:
            followup.key = key
            db.session.flush()


def _restore_followups(user: User, snap: dict) -> None:
    """Drop the follow-ups the merge added; bring back those it deleted."""
    first, last = snap["followups_after"]
    for followup in db.session.execute(
        select(FollowUp).where(
            FollowUp.user_id == user.id, FollowUp.id > first, FollowUp.id <= last
        )
    ).scalars():
        if followup.status == "pending" and followup.snoozed_until is None:
            db.session.delete(followup)
    db.session.flush()
    for row in snap["followups_deleted"]:
        values = _unrow(FollowUp, row)
        taken = db.session.execute(
            select(FollowUp.id).filter_by(
                contact_id=values["contact_id"], key=values["key"]
            )
        ).first()
        people = [values["contact_id"], values.get("about_contact_id")]
        if taken is None and all(_existing(Contact, p) or p is None for p in people):
            if _existing(FollowUp, values["id"]):
                del values["id"]  # given to a later follow-up: it comes back anew
            db.session.add(FollowUp(**values))
    db.session.flush()
