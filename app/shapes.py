"""The JSON shapes of DESIGN §4, as type hints: card, event, contact, follow-up.

Field names are the contract: fields may be added, never renamed. Every time is
ISO 8601 in UTC with an explicit offset (`+00:00`); dates are ISO dates.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class CardJSON(TypedDict):
    first_name: str
    last_name: str
    headline: str
    company: str
    email: str
    phone: str
    website: str
    linkedin: str
    links: list[str]
    pitch: str
    slug: str | None
    public_fields: list[str]
    public_url: str | None
    published: bool
    view_count: int
    exchange_count: int


class EventJSON(TypedDict):
    id: int
    name: str
    date: str
    place: str
    notes: str
    active: bool


class DuplicateJSON(TypedDict):
    id: str
    name: str
    company: str
    matched_on: list[str]


class ContactJSON(TypedDict):
    id: str
    name: str
    first_name: str
    last_name: str
    email: str
    phone: str
    company: str
    title: str
    website: str
    linkedin: str
    talked_about: str
    promise: str
    notes: str
    tags: list[str]
    event_id: int | None
    met_at: str | None
    introduced_by_id: str | None
    source: str
    preferred_channel: str | None
    keep_in_touch_days: int | None
    last_interaction_at: str | None
    unread: bool
    created_at: str | None
    updated_at: str | None
    # Capture and edit answers only.
    possible_duplicates: NotRequired[list[DuplicateJSON]]
    warnings: NotRequired[list[str]]
    # Other names, emails, phones… a merge kept (field → values).
    extras: dict[str, list[str]]


class FollowUpJSON(TypedDict):
    id: int
    contact_id: str
    contact_name: str
    about_contact_id: str | None
    kind: str
    due_at: str
    status: str
    channel: str | None
    draft: dict[str, str]
    links: dict[str, str]
    snoozed_until: str | None
    done_at: str | None
    # Follow-ups that go out as one message share it (one per person per morning).
    message_key: NotRequired[str]


class CardFieldsJSON(TypedDict):
    """Contact fields read from a photo of a paper card; absent ones are ""."""

    name: str
    first_name: str
    last_name: str
    title: str
    company: str
    email: str
    phone: str
    website: str
    linkedin: str


class CardReading(TypedDict):
    """What reading a card photo answers: the same shape as /contacts/parse."""

    fields: CardFieldsJSON
    lines: list[str]
