"""Morning nudges: "your follow-ups from last night are ready".

When. A nudge goes out on a local day (the owner's time zone) at the first
moment follow-ups are due for the owner: usually the follow-up hour, or at
once when a capture after that hour makes one due. Follow-ups coming back from
a snooze count only from the follow-up hour of a day on or after their snooze
moment, so they join a morning's nudge rather than making one of their own.
Nothing due, nothing sent. At most one nudge per owner, channel and local day.

Channels. `push` to each device the owner subscribed (app/push.py), `email`:
one digest to the account's address when MAIL_URL is set and the owner has
not turned it off (`nudge_email`).

Exactly once. Inserting the `Nudge` row (unique per owner, channel and local
day) is the claim to send it, committed before anything is sent: a second
runner, on this server or another, fails on the unique key and moves on. A
failed send is tried again with backoff up to MAX_ATTEMPTS times, each retry
claimed by bumping the row's attempt count; then the row says `failed` and
Settings shows why. A runner that dies mid-send leaves its claim to expire
after LEASE and be retried. One owner's failure never stops another's nudge.

`run_due` owns its transactions: each claim and each outcome is committed in
its loop, nowhere else.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import cast

from flask import current_app, has_request_context, render_template, url_for
from sqlalchemy import exists, false, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload

from . import mail, push
from .cards import shareable_base_url, shareable_card_url
from .drafts import KIND_LABELS, draft_message, user_templates
from .extensions import db
from .models import Contact, FollowUp, Nudge, PushSubscription, User
from .scheduling import followup_moment, zone_of

log = logging.getLogger(__name__)

CHANNELS = ("push", "email")
MAX_ATTEMPTS = 4
BACKOFF = (
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=10),
    dt.timedelta(minutes=30),
)
LEASE = dt.timedelta(minutes=10)
DIGEST_PEOPLE = 50
DRAFT_LINES = 3


# --- what is due ----------------------------------------------------------


def today_of(user: User, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """Return the owner's local date and that day's follow-up hour in UTC."""
    day = now.astimezone(zone_of(user)).date()
    return day, followup_moment(user, day)


def calls_for_nudge(user: User, now: dt.datetime) -> bool:
    """Tell whether follow-ups due now call for today's nudge (see the rules)."""
    _, hour_moment = today_of(user, now)
    back_from_snooze = FollowUp.snoozed_until <= hour_moment
    if hour_moment > now:
        back_from_snooze = false()  # not before the follow-up hour
    return db.session.execute(
        select(
            exists().where(
                FollowUp.user_id == user.id,
                FollowUp.status == "pending",
                FollowUp.due_at <= now,
                FollowUp.snoozed_until.is_(None) | back_from_snooze,
            )
        )
    ).scalar_one()


@dataclass
class Digest:
    """The follow-ups a nudge announces."""

    count: int
    event_name: str | None
    followups: list[FollowUp] = field(default_factory=list)

    @property
    def headline(self) -> str:
        return nudge_text(self.count, self.event_name)


def nudge_text(count: int, event_name: str | None) -> str:
    """Say "6 follow-ups from PyData Berlin are ready" (event when all share one)."""
    things = "1 follow-up" if count == 1 else f"{count} follow-ups"
    verb = "is" if count == 1 else "are"
    if event_name:
        return f"{things} from {event_name} {verb} ready"
    return f"{things} {verb} ready"


def gather(user: User, now: dt.datetime) -> Digest:
    """Return what is due now for the owner, oldest first."""
    followups = list(
        db.session.execute(
            select(FollowUp)
            .where(
                FollowUp.user_id == user.id,
                FollowUp.status == "pending",
                FollowUp.due_at <= now,
            )
            .order_by(FollowUp.due_at, FollowUp.id)
            .options(selectinload(FollowUp.contact).selectinload(Contact.event))
        ).scalars()
    )
    return Digest(
        len(followups), shared_event_name(followups), followups[:DIGEST_PEOPLE]
    )


def shared_event_name(followups: list[FollowUp]) -> str | None:
    """Return the event all these follow-ups' people were met at, if they share one."""
    events = {f.contact.event_id for f in followups}
    if len(events) != 1 or None in events:
        return None
    event = followups[0].contact.event
    return event.name if event is not None else None


# --- the channels ----------------------------------------------------------


def email_enabled(user: User) -> bool:
    """Tell whether the owner gets the e-mail digest (on by default with mail)."""
    return mail.mail_configured() and user.nudge_email is not False


def channels_of(user: User, has_device: bool) -> list[str]:
    """Return the channels this owner can be nudged on."""
    channels = ["push"] if has_device else []
    if email_enabled(user):
        channels.append("email")
    return channels


def queue_url() -> str | None:
    """The Queue's address for the e-mail, or None when the only one known is
    this machine's or its network's: the rule of the card link in drafts
    (cards.shareable_base_url). Outside a request that is PUBLIC_URL alone."""
    base = shareable_base_url()
    return base + url_for("queue.index") if base else None


def push_message(headline: str) -> dict:
    """The payload the service worker shows (static/sw.js, its push block)."""
    return {
        "title": "Morrow",
        "body": headline,
        "url": url_for("queue.index"),
        "tag": "morrow-nudge",
    }


def _first_lines(text: str) -> list[str]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return [line[:200] for line in lines[:DRAFT_LINES]]


def digest_message(user: User, digest: Digest, test: bool = False):
    """Return the morning e-mail: each due person and their draft's first lines."""
    cache = user_templates(user)
    card_url = shareable_card_url(user.card)
    people = []
    for followup in digest.followups:
        draft = draft_message(followup, user, card_url, cache)
        people.append(
            {
                "name": followup.contact.name,
                "kind": KIND_LABELS.get(followup.kind, followup.kind),
                "lines": _first_lines(draft["body"]),
            }
        )
    values = {
        "headline": digest.headline,
        "people": people,
        "more": digest.count - len(people),
        "queue_url": queue_url(),
        "test": test,
    }
    subject = ("Test: " if test else "") + digest.headline
    return mail.build_message(
        user.email,
        subject,
        render_template("mail/digest.txt", **values),
        render_template("mail/digest.html", **values),
    )


@dataclass
class Outcome:
    status: str  # sent, retry, failed, skipped
    error: str | None = None


def deliver(
    user: User, channel: str, now: dt.datetime, digests: dict | None = None
) -> Outcome:
    """Send the owner's nudge on one channel now; say how it went.

    `digests` keeps each owner's morning for a run: gathered once, whatever
    the number of channels.
    """
    digests = {} if digests is None else digests
    if user.id not in digests:
        digests[user.id] = gather(user, now)
    digest = digests[user.id]
    if digest.count == 0:
        return Outcome("skipped")  # dealt with since the claim
    if channel == "push":
        result = push.send_to_devices(user.id, push_message(digest.headline))
        if result.sent:
            return Outcome("sent")
        if result.errors:
            return Outcome("retry", "; ".join(dict.fromkeys(result.errors)))
        return Outcome("failed", "no device is subscribed any more")
    try:
        mail.send(digest_message(user, digest))
    except mail.MailError as error:
        return Outcome("retry", str(error))
    return Outcome("sent")


# --- claiming and running ---------------------------------------------------


@dataclass
class RunReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0

    def __str__(self) -> str:
        return (
            f"{self.sent} nudges sent, {self.retrying} to try again, "
            f"{self.failed} failed."
        )


def _claim_new(user_id: int, channel: str, day: dt.date, now: dt.datetime):
    """Insert the nudge's row; return its id, or None when another runner has it."""
    nudge = Nudge(
        user_id=user_id,
        channel=channel,
        day=day,
        status="sending",
        attempts=1,
        next_attempt_at=now + LEASE,
        created_at=now,
    )
    db.session.add(nudge)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    return nudge.id


def _claim_retry(nudge_id: int, attempts: int, now: dt.datetime) -> bool:
    """Take a waiting retry (or an expired claim); False when another runner did."""
    claimed = db.session.execute(
        update(Nudge)
        .where(
            Nudge.id == nudge_id,
            Nudge.status == "sending",
            Nudge.attempts == attempts,
            Nudge.next_attempt_at <= now,
        )
        .values(attempts=attempts + 1, next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult, claimed).rowcount == 1


def _record(nudge_id: int, outcome: Outcome, now: dt.datetime, report: RunReport):
    nudge = db.session.get_one(Nudge, nudge_id)
    nudge.last_error = outcome.error[:500] if outcome.error else None
    if outcome.status in ("sent", "skipped"):
        nudge.status = outcome.status
        nudge.sent_at = now if outcome.status == "sent" else None
        report.sent += outcome.status == "sent"
    elif outcome.status == "retry" and nudge.attempts < MAX_ATTEMPTS:
        nudge.next_attempt_at = now + BACKOFF[min(nudge.attempts, len(BACKOFF)) - 1]
        report.retrying += 1
    else:
        nudge.status = "failed"
        report.failed += 1


def _due_jobs(now: dt.datetime) -> list[tuple[int, str, dt.date]]:
    """Return (owner, channel, day) for each nudge due now and not yet claimed.

    Owners, their devices and their claims are each read in one query; only
    calls_for_nudge, which depends on the owner's own hour, runs per owner.
    """
    owners = (
        select(FollowUp.user_id)
        .where(FollowUp.status == "pending", FollowUp.due_at <= now)
        .distinct()
    )
    users = db.session.execute(select(User).where(User.id.in_(owners))).scalars()
    due = [(u, today_of(u, now)[0]) for u in users if calls_for_nudge(u, now)]
    if not due:
        return []
    with_device = set(
        db.session.execute(
            select(PushSubscription.user_id)
            .where(PushSubscription.user_id.in_(owners))
            .distinct()
        ).scalars()
    )
    claimed = set(
        db.session.execute(
            select(Nudge.user_id, Nudge.channel, Nudge.day).where(
                Nudge.user_id.in_(owners), Nudge.day.in_({day for _, day in due})
            )
        ).tuples()
    )
    return [
        (user.id, channel, day)
        for user, day in due
        for channel in channels_of(user, user.id in with_device)
        if (user.id, channel, day) not in claimed
    ]


def _links():
    """Let url_for build absolute links outside a request (CLI, scheduler)."""
    if has_request_context():
        return nullcontext()
    base = current_app.config.get("PUBLIC_URL") or "http://localhost"
    return current_app.test_request_context("/", base_url=base)


def run_due(now: dt.datetime) -> RunReport:
    """Send every nudge due now, and retry the failed ones whose time has come."""
    report = RunReport()
    digests: dict[int, Digest] = {}  # each owner's morning, for all channels
    with _links():
        retries = db.session.execute(
            select(Nudge.id, Nudge.attempts, Nudge.user_id, Nudge.channel).where(
                Nudge.status == "sending", Nudge.next_attempt_at <= now
            )
        ).all()
        db.session.rollback()  # each claim starts a fresh transaction
        for nudge_id, attempts, user_id, channel in retries:
            try:
                claimed = _claim_retry(nudge_id, attempts, now)
                db.session.commit()
            except OperationalError:  # SQLite: another runner is writing
                db.session.rollback()
                continue
            if claimed:
                _send_claimed(nudge_id, user_id, channel, now, report, digests)
        jobs = _due_jobs(now)
        db.session.rollback()
        for user_id, channel, day in jobs:
            try:
                nudge_id = _claim_new(user_id, channel, day, now)
                db.session.commit()
            except OperationalError:
                db.session.rollback()
                continue
            if nudge_id is not None:
                _send_claimed(nudge_id, user_id, channel, now, report, digests)
    return report


def _send_claimed(
    nudge_id, user_id, channel, now, report: RunReport, digests: dict
) -> None:
    """Send a claimed nudge and record how it went; never raise."""
    try:
        outcome = deliver(db.session.get_one(User, user_id), channel, now, digests)
    except Exception as error:  # one owner's trouble must not stop the others
        log.exception("nudge %s failed", nudge_id)
        db.session.rollback()
        outcome = Outcome("retry", f"unexpected error: {error}")
    _record(nudge_id, outcome, now, report)
    db.session.commit()


# --- Settings --------------------------------------------------------------


def last_failures(user: User) -> dict[str, str]:
    """Return, per channel, why its latest nudge failed (when it did)."""
    failures = {}
    for channel in CHANNELS:
        latest = db.session.execute(
            select(Nudge)
            .filter_by(user_id=user.id, channel=channel)
            .order_by(Nudge.day.desc(), Nudge.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if latest is not None and latest.status == "failed":
            failures[channel] = latest.last_error or "unknown error"
    return failures


def send_test(user: User, now: dt.datetime) -> tuple[bool, str]:
    """Send a test nudge on every channel; return (all went, what happened)."""
    sent: list[str] = []
    problems: list[str] = []
    headline = "Test nudge: this is how Morrow tells you follow-ups are ready"
    result = push.send_to_devices(user.id, push_message(headline))  # each device
    if result.sent:
        sent.append(f"to {_devices(result.sent)}")
    if result.gone:
        verb = "was" if result.gone == 1 else "were"
        problems.append(f"{_devices(result.gone)} had unsubscribed and {verb} removed")
    for error in dict.fromkeys(result.errors):
        problems.append(f"a device failed: {error}")
    if email_enabled(user):
        digest = gather(user, now)
        try:
            mail.send(digest_message(user, digest, test=True))
        except mail.MailError as error:
            problems.append(f"the e-mail to {user.email} failed: {error}")
        else:
            sent.append(f"to {user.email}")
    if not sent and not problems:
        return False, (
            "Nothing to send to: turn on notifications on this phone"
            + (" or e-mail nudges." if mail.mail_configured() else ".")
        )
    text = ("Sent " + " and ".join(sent) + ".") if sent else "Nothing was sent."
    if problems:
        text += " " + "; ".join(problems).capitalize() + "."
    return not problems, text


def _devices(count: int) -> str:
    return "1 device" if count == 1 else f"{count} devices"
