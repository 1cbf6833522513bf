"""The data Morrow keeps: accounts, the card, events, people and follow-ups."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import unicodedata
import uuid
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import (
    Mapped,
    mapped_column,
    relationship,
    validates,
)
from sqlalchemy.types import TypeDecorator

from .extensions import db
from .search_text import SEARCHED_FIELDS, searchable_text

# The models' base: Flask-SQLAlchemy's db.Model, which type checkers can't see
# through; to them it is the declarative Base it is made from.
if TYPE_CHECKING:
    from .extensions import Base as Model
else:
    Model = db.Model

# The largest id an integer primary key holds on every database Morrow supports
# (PostgreSQL's INTEGER); a larger id in a URL can only be "not found".
MAX_ID = 2**31 - 1

M = TypeVar("M", bound=Model)


def utcnow() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def app_now() -> dt.datetime:
    """Return the app's clock (app/clock.py), for columns its tests move by hand."""
    from .clock import now

    return now()


def new_uuid() -> str:
    return str(uuid.uuid4())


# Follow-ups are due at this local hour unless the owner picks another.
DEFAULT_FOLLOWUP_HOUR = 9


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


def insert_row(obj: Model) -> dict:
    """Return the row a new object inserts, filling its column defaults on it too.

    For hot write paths that insert with one Core statement per table instead
    of the ORM's unit of work; the object then reads as it was written.
    """
    row = {}
    given = obj.__dict__
    for key, column_key, default in _insert_plan(type(obj)):
        if key not in given:
            if default is _NUMBERED:
                continue  # the database numbers it
            value = default.arg(None) if isinstance(default, _PerRow) else default
            setattr(obj, key, value)
        row[column_key] = given[key]
    return row


_NUMBERED = object()  # a primary key without a default: the database's


def unsaved(cls: type[M], **fields) -> M:
    """A new instance of `cls` holding `fields` and its column defaults, unsaved.

    `cls(**fields)` runs an attribute event for every field it sets, and
    insert_row another for every default it fills: a capture's person and
    follow-ups paid about a fifth of its time in them. This builds the same
    object with its values written straight into the instance's dictionary,
    as the ORM does for a row it loads. The object reads like one built with
    `cls(**fields)` and `insert_row` then finds nothing left to fill; added to
    a session, it is inserted with these values like any new object. No
    `__init__` runs: a model whose `__init__` works something out (Contact's
    search text) has it worked out by the caller.
    """
    obj = cls.__mapper__.class_manager.new_instance()
    values = obj.__dict__
    for key, _column_key, default in _insert_plan(cls):
        if key in fields or default is _NUMBERED:
            continue
        values[key] = default.arg(None) if isinstance(default, _PerRow) else default
    values.update(fields)
    return obj


class _PerRow:
    """A column default worked out per row (column.default.arg(context))."""

    def __init__(self, arg) -> None:
        self.arg = arg


@functools.cache
def _insert_plan(cls: type[Model]) -> tuple[tuple[str, str, object], ...]:
    """(attribute, column key, default) of each column, read from the mapper once."""
    plan: list[tuple[str, str, object]] = []
    for attr in inspect(cls).column_attrs:
        column = attr.columns[0]
        default = column.default
        if default is None:
            value: object = _NUMBERED if column.primary_key else None
        elif default.is_callable:
            value = _PerRow(default.arg)
        else:
            value = default.arg
        plan.append((attr.key, column.key, value))
    return tuple(plan)


class UTCDateTime(TypeDecorator):
    """A timestamp stored naive in UTC and always read back aware.

    SQLite has no time zone type, so every datetime is normalised to UTC on the
    way in and tagged UTC on the way out; PostgreSQL behaves the same.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def fold_email(email: str) -> str:
    """The form of an address two accounts may not share: case does not count."""
    return unicodedata.normalize("NFC", (email or "").strip()).casefold()


class User(Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # The address casefolded: every lookup goes through it, and its unique index
    # keeps ALICE@example.com from opening a second account beside alice@….
    email_folded: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    followup_hour: Mapped[int] = mapped_column(Integer, default=DEFAULT_FOLLOWUP_HOUR)
    default_region: Mapped[str] = mapped_column(String(2), default="US")
    weekly_goal: Mapped[int] = mapped_column(Integer, default=1)
    feed_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=new_feed_token
    )
    # The morning e-mail digest; None: on whenever the server can send mail.
    nudge_email: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    card: Mapped[Card | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )

    # Flask-Login protocol
    is_active = True
    is_authenticated = True
    is_anonymous = False

    # The login this request came with (see LoginSession); set by app.auth.
    if TYPE_CHECKING:  # a plain attribute, not a column: no runtime annotation
        session_key: str | None
    session_key = None

    @validates("email")
    def _fold(self, key: str, email: str) -> str:
        self.email_folded = fold_email(email)
        return email

    def get_id(self) -> str:
        # Flask-Login keeps this in the session and the remember-me cookie: the
        # login's own random key, which logout and a password change delete.
        if not self.session_key:
            raise RuntimeError("log in through app.auth.start_session")
        return self.session_key

    @property
    def device_key(self) -> str:
        """Name this account to a shared phone's outbox; it outlives password changes.

        Captures waiting on a phone carry it, so a capture one owner made is never
        sent under the next owner who logs in there.
        """
        return f"{self.id}.{self.created_at.timestamp():.6f}"


class LoginSession(Model):
    """One login on one browser: its key lives in the session and remember cookie.

    Only the key's SHA-256 is stored. Logging out deletes the row, so a copied
    cookie stops working; a password change deletes every other row.
    """

    __tablename__ = "login_sessions"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SetupClaim(Model):
    """The single row first-run setup inserts with the owner account.

    Its fixed primary key lets exactly one of several simultaneous setups
    commit; the others fail on the database's unique check.
    """

    __tablename__ = "setup_claim"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Card(Model):
    __tablename__ = "cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    headline: Mapped[str] = mapped_column(String(140), default="")
    company: Mapped[str] = mapped_column(String(140), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    linkedin: Mapped[str] = mapped_column(String(500), default="")
    links: Mapped[list] = mapped_column(JSON, default=list)
    pitch: Mapped[str] = mapped_column(String(500), default="")
    slug: Mapped[str | None] = mapped_column(String(64), unique=True)
    public_fields: Mapped[list] = mapped_column(JSON, default=list)
    # A fresh card is not public until its owner saves it once.
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    exchange_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    user: Mapped[User] = relationship(back_populates="card")

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def public_name(self) -> str:
        """The name as the public page may show it: only the parts made public."""
        public = set(self.public_fields or [])
        parts = (("first_name", self.first_name), ("last_name", self.last_name))
        return " ".join(value for field, value in parts if value and field in public)


class Event(Model):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_user_date", "user_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(140))
    date: Mapped[dt.date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def _search_text_default(context) -> str:
    # Core inserts of rows (bulk import, seeding): fold the row being inserted.
    return searchable_text(context.get_current_parameters()) if context else ""


class Contact(Model):
    """A person the owner met. The id is a UUID chosen by the capturing client."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_user_created", "user_id", "created_at"),
        Index("ix_contacts_user_email", "user_id", "email"),
        # Duplicates are found by email in any case; without this index every
        # capture would read all of the owner's people.
        Index("ix_contacts_user_email_lower", "user_id", text("lower(email)")),
        Index("ix_contacts_user_phone", "user_id", "phone"),
        Index("ix_contacts_user_linkedin", "user_id", "linkedin"),
        Index("ix_contacts_user_event", "user_id", "event_id"),
        Index("ix_contacts_user_vcard_uid", "user_id", "vcard_uid"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    company: Mapped[str] = mapped_column(String(140), default="")
    title: Mapped[str] = mapped_column(String(140), default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    linkedin: Mapped[str] = mapped_column(String(500), default="")
    talked_about: Mapped[str] = mapped_column(Text, default="")
    promise: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Tags are kept twice: as a list for reading, and in contact_tags for filtering.
    tags: Mapped[list] = mapped_column(JSON, default=list)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL")
    )
    met_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    introduced_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(16), default="capture")
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    keep_in_touch_days: Mapped[int | None] = mapped_column(Integer)
    last_interaction_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    vcard_uid: Mapped[str | None] = mapped_column(String(255))
    # Exchange-form arrivals the owner has not opened yet.
    unread: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    # Values a merge kept beside the fields, by field: {"email": ["…"], "name": […]}.
    extras: Mapped[dict | None] = mapped_column(JSON, default=dict)
    # What search looks in, folded (app.search_text); rewritten on every write.
    search_text: Mapped[str] = mapped_column(
        Text, default=_search_text_default, server_default=""
    )

    event: Mapped[Event | None] = relationship()
    introduced_by: Mapped[Contact | None] = relationship(remote_side=[id])

    def __init__(self, **fields) -> None:
        super().__init__(**fields)
        self.refresh_search_text()

    def refresh_search_text(self) -> None:
        """Fold the searched fields into `search_text` (before every write)."""
        self.search_text = searchable_text(
            {field: getattr(self, field) for field in SEARCHED_ATTRIBUTES}
        )


# Every attribute the search text is made of (search_text.searchable_text).
SEARCHED_ATTRIBUTES = (*SEARCHED_FIELDS, "tags", "extras")


@event.listens_for(Contact, "before_insert")
@event.listens_for(Contact, "before_update")
def _fold_search_text(mapper, connection, contact: Contact) -> None:
    contact.refresh_search_text()


class ContactPhoto(Model):
    """A photo of a person's paper business card (app/card_photos.py).

    Kept in the database, so a backup of it holds the photos, and a capture
    writes its person and photo in one transaction. The bytes are a JPEG
    Morrow made itself: upright, at most 1600 px on its longest side, with no
    metadata (no EXIF: no GPS location).
    """

    __tablename__ = "contact_photos"
    __table_args__ = (
        Index("ix_contact_photos_contact", "contact_id"),
        Index("ix_contact_photos_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE")
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # Reading the card after the capture: none (nothing to read), pending,
    # read, failed.
    reading: Mapped[str] = mapped_column(String(12), default="none")
    # The fields the reading filled in, for the owner to check.
    filled_fields: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactTag(Model):
    __tablename__ = "contact_tags"
    __table_args__ = (Index("ix_contact_tags_user_tag", "user_id", "tag"),)

    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class Interaction(Model):
    """Something that happened with a person: a follow-up sent, "we talked"."""

    __tablename__ = "interactions"
    __table_args__ = (
        Index("ix_interactions_user_at", "user_id", "happened_at"),
        Index("ix_interactions_contact", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))  # talked | followup | note
    note: Mapped[str] = mapped_column(Text, default="")
    happened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUp(Model):
    """A message to send: to `contact`, sometimes about another person."""

    __tablename__ = "followups"
    __table_args__ = (
        # One follow-up per reason: scheduling again finds it instead of adding one.
        UniqueConstraint("contact_id", "key", name="uq_followups_contact_key"),
        Index("ix_followups_user_status_due", "user_id", "status", "due_at"),
        # "Done today" on the Queue page, without reading every follow-up ever sent.
        Index("ix_followups_user_done", "user_id", "done_at"),
        # The Queue page's snoozed list; partial, so other follow-ups cost nothing.
        Index(
            "ix_followups_user_snoozed",
            "user_id",
            "snoozed_until",
            sqlite_where=text("snoozed_until IS NOT NULL"),
            postgresql_where=text("snoozed_until IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE")
    )
    # For intro_thanks: the person the introducer connected the owner with.
    about_contact_id: Mapped[str | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(120))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    channel: Mapped[str | None] = mapped_column(String(16))
    # None means "draft from the template"; set when the owner edits the text.
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    # The owner's model's text for the template draft (app/polish.py), shown
    # while `polished_from` matches what the draft is made of; an edit wins.
    polished_body: Mapped[str | None] = mapped_column(Text)
    polished_from: Mapped[str | None] = mapped_column(String(64))
    snoozed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The calendar feed's DTSTAMP: a morning's event changes only when this does.
    updated_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, default=app_now, onupdate=app_now
    )

    contact: Mapped[Contact] = relationship(foreign_keys=[contact_id])
    about: Mapped[Contact | None] = relationship(foreign_keys=[about_contact_id])


class Merge(Model):
    """One merge of two people, with what undoing it needs, for 30 days.

    `snapshot` holds both people as they were before (every column, their
    tags), the kept person as the merge left them, and what moved: follow-ups,
    interactions, introductions. `kept_id` and `other_id` are plain ids, not
    foreign keys: the other person is gone until an undo brings them back.
    """

    __tablename__ = "merges"
    __table_args__ = (Index("ix_merges_user_kept", "user_id", "kept_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kept_id: Mapped[str] = mapped_column(String(36))
    other_id: Mapped[str] = mapped_column(String(36))
    other_name: Mapped[str] = mapped_column(String(200), default="")
    snapshot: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Template(Model):
    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_templates_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")


class PushSubscription(Model):
    """One device's Web Push subscription (the browser's PushSubscription)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(Text)
    # SHA-256 of the endpoint: one row per device, however long its URL.
    endpoint_hash: Mapped[str] = mapped_column(String(64), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Nudge(Model):
    """One morning's nudge on one channel: the row is the claim to send it.

    Its unique key (owner, channel, local day) lets exactly one server send it.
    """

    __tablename__ = "nudges"
    __table_args__ = (
        UniqueConstraint(
            "user_id", "channel", "day", name="uq_nudges_user_channel_day"
        ),
        Index("ix_nudges_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    day: Mapped[dt.date] = mapped_column(Date)
    # sending (claimed, or waiting to try again), sent, failed (gave up)
    status: Mapped[str] = mapped_column(String(12), default="sending")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
