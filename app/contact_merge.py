"""People met twice: finding them ("already met") and merging without loss."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import bindparam, func, select, union, update

from .errors import ValidationError
from .extensions import db
from .models import Contact, FollowUp, Interaction, User
from .scheduling import schedule_followups
from .shapes import DuplicateJSON
from .tags import write_tag_rows

# Filled from the other person only when the kept one has nothing.
_FILL = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "website",
    "linkedin",
    "event_id",
    "preferred_channel",
    "keep_in_touch_days",
    "vcard_uid",
)
_CONCAT = ("talked_about", "promise", "notes")
_REACH = ("email", "phone", "website", "linkedin")
# The ways of reaching someone that tell two records are one person.
_MATCHED = ("email", "phone", "linkedin")


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


@functools.cache
def _duplicates_query(ways: tuple[bool, bool, bool]):
    # Built once per combination of ways to reach someone: this runs on every
    # capture. One indexed lookup per way; a single OR over the three columns
    # made the database read every one of the owner's people.
    mine = select(Contact.id).where(Contact.user_id == bindparam("user_id"))
    matches = {
        "email": func.lower(Contact.email) == bindparam("email"),
        "phone": Contact.phone == bindparam("phone"),
        "linkedin": Contact.linkedin == bindparam("linkedin"),
    }
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


def _joined(first: str, second: str) -> str:
    if not second or second == first or second in first:
        return first
    if not first:
        return second
    return f"{first}\n\n{second}"


def merge_contacts(
    user: User, keep: Contact, other: Contact, now: dt.datetime
) -> Contact:
    """Merge `other` into `keep`: every note, promise, tag, link and follow-up stays."""
    if keep.id == other.id:
        raise ValidationError(
            "A person can't be merged with themselves.", {"other_id": "Same person."}
        )
    if keep.user_id != user.id or other.user_id != user.id:
        raise ValidationError("Not one of your people.", {"other_id": "Not yours."})
    # Ways to reach them that differ would be lost by "fill if empty": note them.
    extra = [
        f"{field}: {getattr(other, field)}"
        for field in _REACH
        if getattr(other, field)
        and getattr(keep, field)
        and getattr(other, field).lower() != getattr(keep, field).lower()
    ]
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
    if extra:
        keep.notes = _joined(keep.notes, "Also reached at " + ", ".join(extra))
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
    tags = list(keep.tags or []) + [
        t for t in other.tags or [] if t not in (keep.tags or [])
    ]
    keep.tags = tags
    keep.updated_at = now
    _move_followups(keep, other)
    db.session.execute(
        update(Interaction)
        .where(Interaction.contact_id == other.id)
        .values(contact_id=keep.id)
    )
    db.session.execute(
        update(Contact)
        .where(Contact.introduced_by_id == other.id, Contact.id != keep.id)
        .values(introduced_by_id=keep.id)
    )
    write_tag_rows([(keep.id, user.id, tags), (other.id, user.id, [])], replace=True)
    db.session.flush()
    db.session.delete(other)
    db.session.flush()
    schedule_followups(keep, now=now)
    db.session.flush()
    return keep


def _move_followups(keep: Contact, other: Contact) -> None:
    # One follow-up per (person, key): a clash gets a key of its own so both stay.
    taken = set(
        db.session.execute(select(FollowUp.key).filter_by(contact_id=keep.id)).scalars()
    )
    for followup in db.session.execute(
        select(FollowUp).filter_by(contact_id=other.id)
    ).scalars():
        if followup.key in taken:
            followup.key = f"{followup.key}:merged:{other.id[:8]}"[:120]
        followup.contact_id = keep.id
    db.session.flush()
    db.session.execute(
        update(FollowUp)
        .where(FollowUp.about_contact_id == other.id)
        .values(about_contact_id=keep.id)
    )
