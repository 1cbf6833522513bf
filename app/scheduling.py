"""When follow-ups are due, and keeping them in step with each person.

`schedule_followups` is the one place that decides which follow-ups a person
needs. It is idempotent: every follow-up has a `key` unique per recipient
(`thank_you`, `promise`, `intro:<about_id>`, `kit:<n>`), so running it again
finds what exists instead of adding more.

Follow-ups that can no longer be sent (the way to reach the person was removed,
the promise was cleared, the introducer changed) are deleted while still
pending: nothing was sent, so there is no history to keep, and deleting lets
them come back if the detail is added again. Done and skipped follow-ups are
history and are never touched or reopened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update

from .extensions import db
from .models import (
    DEFAULT_FOLLOWUP_HOUR,
    Contact,
    FollowUp,
    Interaction,
    User,
    unsaved,
)
from .validation import clamp_day, clamp_moment

# A moment between midnight and this hour counts for the evening before
# (the after-party rule of DESIGN §3).
AFTER_PARTY_HOUR = 4
KIT_PREFIX = "kit:"
INTRO_PREFIX = "intro:"


def zone_of(user: User) -> ZoneInfo:
    """Return the owner's time zone, UTC when it is unset or unknown."""
    return zone_named(user.timezone)


def hour_or_default(hour: int | None) -> int:
    """Return the follow-up hour, the default when none was ever set."""
    return DEFAULT_FOLLOWUP_HOUR if hour is None else hour


def zone_named(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def event_day(
    met_at: dt.datetime, zone: ZoneInfo, event_date: dt.date | None = None
) -> dt.date:
    """Return the day a meeting counts for: the event's, else met_at's local date.

    Stored dates outside the date window count as the window's nearest day.
    """
    if event_date is not None:
        return clamp_day(event_date)
    local = clamp_moment(met_at).astimezone(zone)
    if local.hour < AFTER_PARTY_HOUR:
        local -= dt.timedelta(days=1)
    return local.date()


def local_moment(day: dt.date, hour: int, zone: ZoneInfo) -> dt.datetime:
    """Return `hour`:00 local on `day` in UTC.

    fold=0 picks the earlier of two repeated times when clocks go back, and
    moves a time that does not exist (clocks go forward) later by the gap.
    """
    local = dt.datetime.combine(day, dt.time(hour), tzinfo=zone).replace(fold=0)
    return local.astimezone(dt.UTC)


def followup_moment(user: User, day: dt.date) -> dt.datetime:
    """Return the owner's follow-up hour on local `day`, in UTC."""
    return local_moment(day, hour_or_default(user.followup_hour), zone_of(user))


def due_at(day: dt.date, zone: ZoneInfo, hour: int, now: dt.datetime) -> dt.datetime:
    """Return when follow-ups for event day `day` are due: D+1 at `hour`, or now."""
    moment = local_moment(clamp_day(day) + dt.timedelta(days=1), hour, zone)
    return max(moment, now)


def reachable(contact: Contact) -> bool:
    """Tell whether Morrow can draft a message this person can receive."""
    return bool(contact.email or contact.phone or contact.linkedin)


def first_name(contact: Contact | None) -> str:
    """Return the person's first name, else the first word of the name."""
    if contact is None:
        return ""
    if contact.first_name:
        return contact.first_name
    parts = (contact.name or "").split()
    return parts[0] if parts else ""


def schedule_followups(
    contact: Contact,
    now: dt.datetime,
    *,
    fresh: bool = False,
    add: Callable[[FollowUp], None] | None = None,
) -> None:
    """Create, update or cancel the follow-ups a person needs (idempotent).

    Adds to the session and flushes; the caller commits. fresh=True: the
    person is new, so there are no follow-ups of theirs to look up. With
    `add`, new follow-ups go to it instead, unflushed, for the caller to write.
    """
    flush = add is None
    if add is None:
        add = db.session.add
    user = db.session.get_one(User, contact.user_id)
    zone = zone_of(user)
    hour = hour_or_default(user.followup_hour)
    event_date = contact.event.date if contact.event is not None else None
    day = event_day(contact.met_at or now, zone, event_date)
    existing: dict[str, FollowUp] = {}
    if not fresh:
        query = select(FollowUp).filter_by(contact_id=contact.id)
        existing = {f.key: f for f in db.session.execute(query).scalars()}
    can_reach = reachable(contact)
    wanted = {
        "thank_you": can_reach and contact.source != "import",
        "promise": can_reach and bool((contact.promise or "").strip()),
    }
    timing = Timing(day, zone, hour, now)
    for key, needed in wanted.items():
        _ensure(add, contact, Wanted(key, key, needed), existing.get(key), timing)
    # Intro thank-yous addressed to this person go when they can't be reached.
    for key, followup in existing.items():
        if key.startswith(INTRO_PREFIX) and not can_reach:
            _cancel(followup)
    _schedule_intro(add, contact, timing, fresh)
    _schedule_keep_in_touch(add, contact, existing, zone, hour, now, can_reach)
    if flush:
        db.session.flush()


@dataclass(frozen=True)
class Timing:
    """When a person's follow-ups fall: the day met, the owner's zone and hour."""

    day: dt.date
    zone: ZoneInfo
    hour: int
    now: dt.datetime

    def due(self, made: dt.datetime | None = None) -> dt.datetime:
        """The due moment, for a follow-up made at `made` (default: now)."""
        return due_at(self.day, self.zone, self.hour, made or self.now)


@dataclass(frozen=True)
class Wanted:
    """A follow-up a person may need: its kind, its key, whether it is needed."""

    kind: str
    key: str
    needed: bool
    about: str | None = None  # the person an intro thank-you is about


def _ensure(
    add: Callable[[FollowUp], None],
    contact: Contact,
    wanted: Wanted,
    followup: FollowUp | None,
    timing: Timing,
) -> None:
    """Create a follow-up that is needed, re-time or cancel a pending one."""
    if followup is None:
        if wanted.needed:
            add(
                unsaved(
                    FollowUp,
                    user_id=contact.user_id,
                    contact_id=contact.id,
                    about_contact_id=wanted.about,
                    kind=wanted.kind,
                    key=wanted.key,
                    due_at=timing.due(),
                    status="pending",
                    created_at=timing.now,
                )
            )
        return
    if not wanted.needed:
        _cancel(followup)
    elif untouched(followup):
        # Measured against when it was made, so re-running later doesn't drift.
        when = timing.due(followup.created_at)
        if followup.due_at != when:
            followup.due_at = when


def untouched(followup: FollowUp) -> bool:
    """Tell whether a follow-up is pending and was never snoozed."""
    return followup.status == "pending" and followup.snoozed_until is None


def _cancel(followup: FollowUp) -> None:
    if followup.status == "pending":
        db.session.delete(followup)


def _schedule_intro(add, contact, timing: Timing, fresh=False) -> None:
    """Keep the thank-you to whoever introduced this person in step."""
    key = INTRO_PREFIX + contact.id
    mine: list[FollowUp] = []
    if not fresh:
        query = select(FollowUp).filter_by(
            about_contact_id=contact.id, kind="intro_thanks"
        )
        mine = list(db.session.execute(query).scalars())
    introducer = contact.introduced_by
    for earlier in mine:
        if introducer is None or earlier.contact_id != introducer.id:
            _cancel(earlier)
    if introducer is None or introducer.user_id != contact.user_id:
        return
    followup = db.session.execute(
        select(FollowUp).filter_by(contact_id=introducer.id, key=key)
    ).scalar_one_or_none()
    wanted = Wanted("intro_thanks", key, reachable(introducer), about=contact.id)
    _ensure(add, introducer, wanted, followup, timing)


def _kit_number(key: str) -> int:
    try:
        return int(key[len(KIT_PREFIX) :])
    except ValueError:
        return 0


def _schedule_keep_in_touch(add, contact, existing, zone, hour, now, can_reach) -> None:
    """Keep exactly one pending keep-in-touch, due `days` after the last contact."""
    kits = sorted(
        (f for k, f in existing.items() if k.startswith(KIT_PREFIX)),
        key=lambda f: _kit_number(f.key),
    )
    days = contact.keep_in_touch_days
    latest = kits[-1] if kits else None
    if not days or not can_reach:
        for followup in kits:
            _cancel(followup)
        return
    base = contact.last_interaction_at or contact.met_at or now
    if latest is not None and latest.status == "skipped":
        # A skipped reminder keeps the rhythm: the next one comes a cycle later.
        base = max(base, latest.due_at)
    day = clamp_moment(base).astimezone(zone).date() + dt.timedelta(days=days)
    when = max(local_moment(day, hour, zone), now)
    if latest is not None and latest.status == "pending":
        if untouched(latest) and latest.due_at != when:
            latest.due_at = when
        return
    number = _kit_number(latest.key) + 1 if latest is not None else 1
    add(
        unsaved(
            FollowUp,
            user_id=contact.user_id,
            contact_id=contact.id,
            kind="keep_in_touch",
            key=f"{KIT_PREFIX}{number}",
            due_at=when,
            status="pending",
            created_at=now,
        )
    )


def retime_pending(
    user: User, now: dt.datetime, before: tuple[str | None, int | None]
) -> int:
    """Move follow-ups not yet due to the owner's new time zone or hour.

    `before` is the (time zone, hour) they were timed with. Each keeps its day,
    as it was in the old zone, and comes at the new hour in the new zone (or at
    once, if that moment has passed). Snoozed follow-ups keep the time the owner
    picked; ones already due stay in today's queue. One read and one batched
    update, however many people the account holds; the caller commits.
    Returns how many follow-ups moved.
    """
    old_zone = zone_named(before[0])
    old_hour = hour_or_default(before[1])
    zone = zone_of(user)
    hour = hour_or_default(user.followup_hour)
    rows = db.session.execute(
        select(FollowUp.id, FollowUp.due_at).where(
            FollowUp.user_id == user.id,
            FollowUp.status == "pending",
            FollowUp.snoozed_until.is_(None),
            FollowUp.due_at > now,
        )
    ).all()
    moved = []
    for followup_id, due in rows:
        local = clamp_moment(due).astimezone(old_zone)
        if (local.hour, local.minute, local.second) != (old_hour, 0, 0):
            continue  # not timed at the follow-up hour: leave it be
        when = max(local_moment(local.date(), hour, zone), now)
        if when != due:
            moved.append({"followup_id": followup_id, "new_due": when})
    if moved:
        db.session.execute(
            update(FollowUp.__table__)
            .where(FollowUp.__table__.c.id == bindparam("followup_id"))
            .values(due_at=bindparam("new_due")),
            moved,
        )
    return len(moved)


def log_interaction(
    contact: Contact, kind: str, note: str, now: dt.datetime
) -> Interaction:
    """Record an interaction and restart the person's keep-in-touch clock.

    Adds to the session; the caller commits.
    """
    interaction = Interaction(
        user_id=contact.user_id,
        contact_id=contact.id,
        kind=kind,
        note=note,
        happened_at=now,
    )
    db.session.add(interaction)
    if contact.last_interaction_at is None or contact.last_interaction_at < now:
        contact.last_interaction_at = now
    schedule_followups(contact, now=now)
    return interaction
