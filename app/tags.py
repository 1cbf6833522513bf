"""Tag rows: the one writer of contact_tags.

A person's tags are kept twice (models.Contact.tags): as a list on the person,
for reading, and as one contact_tags row per tag, for filtering by tag. Every
path that gives people tags (capture, edit, import, merge, account import)
writes the rows through `write_tag_rows`, so the two never drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert

from .extensions import db
from .models import Contact, ContactTag

# (contact id, owner's user id, the person's cleaned tags)
TaggedPerson = tuple[str, int, Iterable[str]]


def write_tag_rows(people: Iterable[TaggedPerson], *, replace: bool = False) -> None:
    """Write the contact_tags rows of these people: one INSERT for them all.

    replace=True first deletes the rows they have (an edit or a merge); a person
    just made has none, so new people skip the DELETE. The people must already
    be written (or pending in the session, which flushes first).
    """
    people = list(people)
    if replace and people:
        ids = [contact_id for contact_id, _user_id, _tags in people]
        db.session.execute(delete(ContactTag).where(ContactTag.contact_id.in_(ids)))
    rows = [
        {"contact_id": contact_id, "tag": tag, "user_id": user_id}
        for contact_id, user_id, tags in people
        for tag in tags
    ]
    if rows:
        # Core, not the ORM's bulk insert: the same rows at a third of the cost
        # on every capture. Pending people are written first, as autoflush would.
        db.session.flush()
        db.session.execute(insert(ContactTag.__table__), rows)


def set_tags(contact: Contact, tags: list[str], *, fresh: bool = False) -> None:
    """Give a written person these tags: the list on them and their rows.

    fresh=True for a person just made, who has no rows to replace.
    """
    contact.tags = list(tags)
    write_tag_rows([(contact.id, contact.user_id, tags)], replace=not fresh)
