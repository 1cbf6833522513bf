"""Fill a Morrow database with many people in a few seconds (bulk Core inserts)."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from sqlalchemy import create_engine, insert, select

from app.models import Contact, ContactTag, FollowUp, User

FIRST = (
    "Ada Amir Ana Ben Chen Dana Elif Emma Farah Finn Grace Hana Ines Ivan Jana "
    "Jonas Kai Kofi Lara Lea Liam Lin Luca Maya Mara Mia Nadia Noah Omar Ola "
    "Paul Priya Rosa Sam Sara Sofia Tariq Tom Uma Vera Wen Yara Yusuf Zoe"
).split()
LAST = (
    "Abara Becker Costa Dubois Eriksen Fischer Garcia Haddad Ito Jensen Kowalski "
    "Larsen Meyer Müller Nakamura Novak Okafor Petrov Quinn Rossi Schmidt Silva "
    "Tanaka Umar Vogel Wagner Weber Xu Yilmaz Zimmermann"
).split()
COMPANIES = (
    "Acme Bluebird Canopy Datawise Evergreen Fjord Glasshouse Harbor Ironwood "
    "Juniper Kiln Lumen Meridian Northwind Orbit Pine Quarry Riverside Summit Tidal"
).split()
TOPICS = (
    "Moving from teaching into UX research; loves maps.",
    "Hiring data engineers in Q3, asked about my portfolio.",
    "Runs the local Python meetup, looking for speakers.",
    "Bootcamp alum, now a junior developer at a fintech.",
    "Freelance designer, wants intros to early-stage founders.",
)
TAGS = "meetup ux python hiring founder design alumni mentor data fintech".split()
BATCH = 5_000
ONE_PERSON = {
    "name": "Ottilie Brandtner",
    "first_name": "Ottilie",
    "last_name": "Brandtner",
    "email": "ottilie@brandtner.example",
}


def people(user_id: int, count: int, now: dt.datetime, rng: random.Random):
    """Yield (contact, tags) rows: met over the last two years, newest last."""
    start = now - dt.timedelta(days=730)
    step = dt.timedelta(days=729) / max(count, 1)
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        met = start + step * n
        tags = rng.sample(TAGS, rng.randint(1, 3))
        contact = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "user_id": user_id,
            "name": f"{first} {last}",
            "first_name": first,
            "last_name": last,
            "email": f"{first}.{last}.{n}@example.com".lower(),
            "phone": f"+4930{n:08d}",
            "company": rng.choice(COMPANIES),
            "title": "",
            "website": "",
            "linkedin": "",
            "talked_about": rng.choice(TOPICS),
            "promise": "Send the article" if n % 4 == 0 else "",
            "notes": "",
            "tags": tags,
            "event_id": None,
            "met_at": met,
            "introduced_by_id": None,
            "source": "capture",
            "preferred_channel": None,
            "keep_in_touch_days": None,
            "last_interaction_at": met + dt.timedelta(days=1),
            "vcard_uid": None,
            "unread": False,
            "created_at": met,
            "updated_at": met,
        }
        if n == count // 2:
            # One person met a year ago whose name nobody else has, for the
            # search that should find exactly one person at any account size.
            contact.update(ONE_PERSON)
        yield contact, tags


def followup(contact: dict, kind: str, due: dt.datetime, status: str) -> dict:
    """Return a follow-up row for the person."""
    return {
        "user_id": contact["user_id"],
        "contact_id": contact["id"],
        "about_contact_id": None,
        "kind": kind,
        "key": kind,
        "due_at": due,
        "status": status,
        "channel": "email" if status == "done" else None,
        "subject": None,
        "body": None,
        "snoozed_until": None,
        "done_at": due + dt.timedelta(hours=2) if status == "done" else None,
        "created_at": contact["created_at"],
    }


def seed(database_url: str, email: str, count: int, due: int = 50) -> float:
    """Add `count` people to the account: `due` follow-ups due now, the rest done.

    Every person has a thank-you already sent; one in four a promise still to
    keep next month, so the queue's index has to skip many rows that are not due.
    Returns the seconds it took.
    """
    began = dt.datetime.now(dt.UTC)
    now = began
    rng = random.Random(count)
    engine = create_engine(database_url)
    with engine.begin() as conn:
        user_id = conn.execute(select(User.id).filter_by(email=email)).scalar_one()
        contacts: list[dict] = []
        tags: list[dict] = []
        followups: list[dict] = []

        def flush() -> None:
            for table, rows in (
                (Contact, contacts),
                (ContactTag, tags),
                (FollowUp, followups),
            ):
                if rows:
                    conn.execute(insert(table), rows)
                    rows.clear()

        for n, (contact, names) in enumerate(people(user_id, count, now, rng)):
            contacts.append(contact)
            tags += [
                {"contact_id": contact["id"], "tag": t, "user_id": user_id}
                for t in names
            ]
            if n >= count - due:
                # The newest people: thank-yous due this morning.
                followups.append(
                    followup(
                        contact, "thank_you", now - dt.timedelta(hours=1), "pending"
                    )
                )
            else:
                followups.append(
                    followup(
                        contact,
                        "thank_you",
                        contact["met_at"] + dt.timedelta(days=1),
                        "done",
                    )
                )
            if contact["promise"]:
                later = now + dt.timedelta(days=rng.randint(1, 60))
                followups.append(
                    {**followup(contact, "promise", later, "pending"), "key": "promise"}
                )
            if len(contacts) >= BATCH:
                flush()
        flush()
    if engine.dialect.name == "postgresql":
        # What autovacuum soon does after a bulk insert: merge the trigram
        # index's pending entries and give the planner the table's statistics.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return (dt.datetime.now(dt.UTC) - began).total_seconds()
