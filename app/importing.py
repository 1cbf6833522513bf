"""Bulk import of people from vCard and CSV files into one owner's account.

The rule, card by card: a card that matches one of the owner's people (same
email, E.164 phone, LinkedIn profile or vCard UID; for a card with none of
those, the same name and company) fills that person's empty fields ("merged"),
or changes nothing ("skipped"); a person whose name is only their email
address takes the card's real name; any other card becomes a new person with
source "import" ("imported"). A card that cannot be read is reported by its
1-based position and the rest still import, so importing a file twice creates
nobody new. Every card is validated by contacts.clean_contact and merges go
through contacts.update_contact, so the capture rules, tags and follow-up
scheduling are the same. The file is written in short transactions of BATCH
cards, and one import does at most MAX_CARDS cards (MAX_VCARD_LINES lines of a
vCard file): a bigger file is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import insert

from .contacts import TEXT_LIMITS, clean_contact, split_name, update_contact
from .errors import Unprocessable, UnsupportedMedia, ValidationError, is_busy
from .extensions import db
from .formats.vcard import ParsedCard
from .models import Contact, User
from .scheduling import schedule_followups
from .tags import write_tag_rows
from .validation import phone_warning

# Cards written per transaction: short enough that other accounts' writes
# wait well under the database's busy timeout, long enough to stay fast.
BATCH = 300
# The work one import may do: a file past these is refused before anything is
# read into the account (20,000 cards take about five seconds).
MAX_CARDS = 20_000
MAX_VCARD_LINES = 500_000
MAX_WARNINGS = 200
# Fields a card may bring; everything else a parser returns is ignored.
CARD_FIELDS = (
    "name", "first_name", "last_name", "email", "phone", "company", "title",
    "website", "linkedin", "notes", "talked_about", "promise", "tags",
    "keep_in_touch_days", "preferred_channel",
)  # fmt: skip
FILLABLE = (
    "first_name", "last_name", "email", "phone", "company", "title", "website",
    "linkedin", "notes", "talked_about", "promise", "keep_in_touch_days",
    "preferred_channel",
)  # fmt: skip
URL_LIMIT = 500
VCARD_TYPES = {"text/vcard", "text/x-vcard", "text/directory"}
CSV_TYPES = {"text/csv", "application/csv", "text/comma-separated-values"}


@dataclass
class ImportResult:
    """What an import did, in the API's answer shape."""

    imported: int = 0
    merged: int = 0
    skipped: int = 0
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "imported": self.imported,
            "merged": self.merged,
            "skipped": self.skipped,
            "errors": self.errors,
            "warnings": self.warnings[:MAX_WARNINGS],
        }


def detect_kind(data: bytes, filename: str = "", mimetype: str = "") -> str:
    """Tell whether a file is a vCard, a MECARD or a CSV file; raise 415 or 422."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = data[:8192].decode("utf-16", "ignore").lower().lstrip("\ufeff").encode()
    name = (filename or "").lower()
    mimetype = (mimetype or "").lower()
    if b"begin:vcard" in head or b"begin:vcard" in data[:200_000].lower():
        return "vcard"
    if head.startswith(b"mecard:"):
        return "mecard"
    claims_vcard = name.endswith((".vcf", ".vcard")) or mimetype in VCARD_TYPES
    if claims_vcard:
        raise Unprocessable("This file holds no vCard: no BEGIN:VCARD line was found.")
    claims_csv = name.endswith((".csv", ".tsv")) or mimetype in CSV_TYPES
    if b"\x00" in data[:4096] or not _looks_like_text(data[:4096]):
        raise UnsupportedMedia(
            "Import takes vCard (.vcf) or CSV (.csv) files; this file is neither."
        )
    if claims_csv or b"," in head or b";" in head or b"\t" in head:
        return "csv"
    raise UnsupportedMedia(
        "Import takes vCard (.vcf) or CSV (.csv) files; this file is neither."
    )


def _looks_like_text(sample: bytes) -> bool:
    if not sample:
        return False
    for encoding in ("utf-8", "cp1252"):
        try:
            sample.decode(encoding)
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the sample's end is still text.
            if encoding == "utf-8" and exc.start >= len(sample) - 3:
                return True
            continue
        return True
    return False


def parse_file(data: bytes, kind: str, region: str | None) -> list[ParsedCard]:
    """Read a file of the given kind into cards (parsers live in app/formats)."""
    if kind == "vcard":
        from .formats.vcard_read import parse_vcard_file

        return parse_vcard_file(
            data, region, max_cards=MAX_CARDS, max_lines=MAX_VCARD_LINES
        )
    if kind == "mecard":
        from .formats.vcard_read import parse_qr_text

        text = data.decode("utf-8-sig", "replace")
        try:
            fields = parse_qr_text(text, region or "US")
        except Unprocessable as exc:
            return [ParsedCard(1, error=f"Card 1: {exc.message}")]
        warnings = fields.pop("warnings", [])
        fields.pop("kind", None)
        return [ParsedCard(1, fields=fields, warnings=list(warnings))]
    from .formats.csv import parse_csv_file

    return parse_csv_file(data, region, max_cards=MAX_CARDS)


class _Index:
    """The owner's people by every key an imported card may match on."""

    COLUMNS = ("id", "email", "phone", "linkedin", "vcard_uid", "name", "company")

    def __init__(self, user: User) -> None:
        self.keys: dict[tuple[str, str], str] = {}
        rows = db.session.execute(
            db.select(*(getattr(Contact, c) for c in self.COLUMNS)).where(
                Contact.user_id == user.id
            )
        )
        for row in rows:
            self.add(row._asdict())

    @staticmethod
    def keys_of(values: dict, contact_id: str | None = None) -> list[tuple[str, str]]:
        keys = []
        for name in ("email", "phone", "linkedin"):
            # A number kept as typed (not valid E.164) identifies nobody.
            if values.get(name) and not (
                name == "phone" and phone_warning(values[name])
            ):
                keys.append((name, str(values[name]).lower()))
        for uid in (values.get("vcard_uid"), contact_id):
            if uid:
                keys.append(("uid", str(uid).lower()))
        return keys

    @staticmethod
    def name_key(values: dict) -> tuple[str, str]:
        # A merge may fill in the company later, so a card without one matches
        # on the name alone; a card with one, on name and company.
        name = " ".join(str(values.get("name") or "").lower().split())
        company = " ".join(str(values.get("company") or "").lower().split())
        return ("name", f"{name}\x00{company}" if company else name)

    def add(self, values: dict) -> None:
        """Index a person given as a dict of COLUMNS (a Contact works via vars)."""
        for key in self.keys_of(values, values["id"]):
            self.keys.setdefault(key, values["id"])
        self.keys.setdefault(self.name_key(values), values["id"])
        self.keys.setdefault(self.name_key({"name": values["name"]}), values["id"])

    def find(self, values: dict, uid: str | None) -> str | None:
        keys = self.keys_of({**values, "vcard_uid": uid})
        for key in keys:
            if key in self.keys:
                return self.keys[key]
        if not keys:  # nothing that identifies a person: fall back to the name
            return self.keys.get(self.name_key(values))
        return None


def _card_data(
    fields: dict[str, Any], warnings: list[str], label: str
) -> dict[str, Any]:
    """Keep the fields a person has, cut to the lengths capture accepts (noted)."""
    data: dict[str, Any] = {}
    for key in CARD_FIELDS:
        value = fields.get(key)
        if value in (None, "", []):
            continue
        if isinstance(value, str):
            limit = TEXT_LIMITS.get(key, URL_LIMIT if key != "email" else 254)
            if len(value) > limit:
                warnings.append(
                    f"{label}: {key} was cut to {limit} of its {len(value)} characters"
                )
                value = value[:limit]
        data[key] = value
    return data


def _clean_forgiving(user: User, data: dict, warnings: list[str], label: str) -> dict:
    """Validate a card; a field that fails is left out and noted, not fatal.

    A left-out value is kept in the notes so nothing the file held is lost.
    """
    for _attempt in range(len(data) + 1):
        try:
            return clean_contact(user, data, partial=False)
        except ValidationError as exc:
            bad = [f for f in exc.fields if f in data and f != "name"]
            if not bad:
                raise
            for name in bad:
                value = data.pop(name)
                warnings.append(
                    f"{label}: {name} {value!r} left out ({exc.fields[name]})"
                )
                if isinstance(value, list):  # tags: a list of words
                    value = ", ".join(str(v) for v in value)
                if isinstance(value, str) and name not in ("notes",):
                    note = f"{name}: {value}"
                    data["notes"] = "\n".join(p for p in (data.get("notes"), note) if p)
    raise ValidationError("The card could not be read.")


def _missing(contact: Contact, values: dict, data: dict) -> dict:
    """Return the card's data for fields the person does not have yet."""
    changes: dict[str, Any] = {}
    for name in FILLABLE:
        if (
            name in data
            and values.get(name) not in (None, "")
            and getattr(contact, name) in (None, "")
        ):
            changes[name] = data[name]
    new_tags = [t for t in values.get("tags") or [] if t not in (contact.tags or [])]
    if new_tags:
        changes["tags"] = list(contact.tags or []) + new_tags
    return changes


def _placeholder(name: str, *emails: str) -> bool:
    """Whether a name is only an email address, or the local part of one given."""
    name = " ".join((name or "").lower().split())
    if "@" in name and " " not in name:
        return True
    locals_ = {e.lower().partition("@")[0] for e in emails if e}
    return name in locals_ | {e.lower() for e in emails if e}


def _real_name(contact: Contact, values: dict) -> dict:
    """Return the card's name (and its parts) for a person named after an email.

    A person captured with only an address is named after it ("ann@x.org" or
    "ann"); a card that brings a real name replaces that placeholder.
    """
    name = values.get("name") or ""
    emails = (contact.email or "", values.get("email") or "")
    if (
        not name
        or not _placeholder(contact.name, *emails)
        or _placeholder(name, *emails)
    ):
        return {}
    if name in (values.get("phone"), values.get("company"), contact.name):
        return {}
    first, last = values.get("first_name") or "", values.get("last_name") or ""
    if not (first or last):
        first, last = split_name(name)
    return {"name": name, "first_name": first, "last_name": last}


def import_cards(user: User, cards: list[ParsedCard], now: dt.datetime) -> ImportResult:
    """Import parsed cards for the owner, committing every BATCH cards.

    The one write that commits more than once in a request (every other one
    commits when the request ends, see app/transactions.py): short
    transactions let other accounts write while a big file imports. A
    batch that cannot be written is rolled back and the import stops there:
    the batches before it stay saved, the counts say what was saved, and an
    `errors` entry names the first card that was not (importing the file again
    adds the rest, as saved people are matched, not duplicated).
    """
    result = ImportResult()
    index = _Index(user)
    session = db.session()
    expire_before = session.expire_on_commit
    # Committing per batch would otherwise expire every person loaded so far
    # and reload each on its next use: quadratic on big imports.
    session.expire_on_commit = False
    try:
        for start in range(0, len(cards), BATCH):
            chunk = cards[start : start + BATCH]
            done = ImportResult()
            try:
                _import_batch(user, chunk, now, index, done)
                session.commit()
            except Exception as exc:
                session.rollback()
                _report_unsaved(result, chunk[0].index, exc)
                break
            result.imported += done.imported
            result.merged += done.merged
            result.skipped += done.skipped
            result.errors += done.errors
            result.warnings += done.warnings
    finally:
        session.expire_on_commit = expire_before
    return result


def _report_unsaved(result: ImportResult, first: int, exc: Exception) -> None:
    """Note that the cards from `first` on were not saved, and why."""
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError) and is_busy(exc):
        reason = "the database was busy"
    else:
        current_app.logger.exception("Import stopped at card %s", first)
        reason = "of an internal error"
    saved = result.imported + result.merged + result.skipped
    result.errors.append(
        {
            "card": first,
            "message": (
                f"Card {first} and the ones after it were not saved because"
                f" {reason}; the {saved} before it were. Import the file again"
                " to add the rest: people already saved are not duplicated."
            ),
        }
    )


def _import_batch(
    user: User,
    cards: list[ParsedCard],
    now: dt.datetime,
    index: _Index,
    result: ImportResult,
) -> None:
    """Write one batch of cards into the session (the caller commits)."""
    fresh: list[dict] = []
    batch_ids: set[str] = set()
    for card in cards:
        label = f"Card {card.index}"
        if card.error or not card.fields:
            result.errors.append(
                {"card": card.index, "message": card.error or f"{label}: empty."}
            )
            continue
        result.warnings.extend(card.warnings)
        data = _card_data(card.fields, result.warnings, label)
        uid = str(card.fields.get("vcard_uid") or "")[:255] or None
        try:
            with db.session.no_autoflush:
                values = _clean_forgiving(user, data, result.warnings, label)
            found = index.find(values, uid)
            if found is None:
                row = _new_person(user, values, data, uid, now)
                index.add(row)
                fresh.append(row)
                batch_ids.add(row["id"])
                result.imported += 1
            else:
                if found in batch_ids:
                    _finish_batch(fresh, now)  # the person must be stored first
                    fresh, batch_ids = [], set()
                existing = db.session.get_one(Contact, found)
                changes = _missing(existing, values, data)
                changes.update(_real_name(existing, values))
                if uid and not existing.vcard_uid and existing.id != uid:
                    existing.vcard_uid = uid
                if changes:
                    update_contact(user, existing, changes, now)
                    index.add({c: getattr(existing, c) for c in _Index.COLUMNS})
                    result.merged += 1
                else:
                    result.skipped += 1
        except ValidationError as exc:
            detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
            result.errors.append(
                {"card": card.index, "message": f"{label}: {detail or exc.message}"}
            )
    _finish_batch(fresh, now)


def _new_person(
    user: User, values: dict, data: dict, uid: str | None, now: dt.datetime
) -> dict:
    """Return a new person's row from validated values, as capture would store it.

    Rows are inserted in batches with one executemany rather than through
    create_contact, which flushes and schedules one person at a time and
    makes a 5 MB file take minutes.
    """
    row: dict[str, Any] = {c.key: None for c in Contact.__table__.columns}
    row.update(
        first_name="", last_name="", email="", phone="", company="", title="",
        website="", linkedin="", talked_about="", promise="", notes="",
        unread=False, preferred_channel=None, keep_in_touch_days=None,
    )  # fmt: skip
    row.update(values)
    if not data.get("first_name") and not data.get("last_name"):
        row["first_name"], row["last_name"] = split_name(row["name"])
    row.update(
        id=str(uuid.uuid4()), user_id=user.id, tags=list(values.get("tags") or []),
        vcard_uid=uid, source="import", met_at=now, event_id=None,
        introduced_by_id=None, created_at=now, updated_at=now,
    )  # fmt: skip
    return row


def _finish_batch(fresh: list[dict], now: dt.datetime) -> None:
    """Insert a batch of new people with their tags; schedule what they need."""
    if not fresh:
        return
    db.session.execute(insert(Contact), fresh)
    write_tag_rows((r["id"], r["user_id"], r["tags"]) for r in fresh)
    for row in fresh:
        # Imported people get no thank-you, so only these can need a follow-up.
        if row["promise"] or row["keep_in_touch_days"]:
            schedule_followups(db.session.get_one(Contact, row["id"]), now=now)


def import_file(
    user: User,
    data: bytes,
    now: dt.datetime,
    *,
    filename: str = "",
    mimetype: str = "",
) -> ImportResult:
    """Detect, parse and import one uploaded file."""
    kind = detect_kind(data, filename, mimetype)
    cards = parse_file(data, kind, user.default_region or "US")
    if not cards:
        raise Unprocessable("The file holds no contacts.")
    return import_cards(user, cards, now)
