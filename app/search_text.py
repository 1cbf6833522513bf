"""The folded text people search looks in, written by Morrow itself.

Search ignores case and accents in every script: "bohm" finds Böhm, "lucia"
finds Lucía, "STRASSE" finds Straße. Both the stored text and the words
searched for go through `fold`: compatibility decomposition (NFKD), combining
marks removed, case folded (ß becomes ss), then composed again (NFC) so Hangul
and other composed scripts keep one character per syllable. No database
function is needed, so SQLite's trigram index and PostgreSQL's pg_trgm index
work on the folded text as they are.

The searched text holds the name, company, title, email, topic, promise,
private notes and tags, and every other value a merge kept (other names,
emails, phones, companies…), one per line.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

SEARCHED_FIELDS = (
    "name",
    "company",
    "title",
    "email",
    "talked_about",
    "promise",
    "notes",
)


def fold(text: str) -> str:
    """Return `text` without accents or case, for searching."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.casefold())


def _extras_values(extras) -> list[str]:
    if not isinstance(extras, Mapping):
        return []
    return [
        value
        for values in extras.values()
        if isinstance(values, list)
        for value in values
        if isinstance(value, str)
    ]


def searchable_text(values: Mapping) -> str:
    """Return the folded search text of a person given as a mapping of fields."""
    parts = [values.get(field) or "" for field in SEARCHED_FIELDS]
    tags = values.get("tags") or []
    if isinstance(tags, str):  # already JSON on some paths: search it as is
        parts.append(tags)
    else:
        parts.append(" ".join(t for t in tags if isinstance(t, str)))
    parts.extend(_extras_values(values.get("extras")))
    return fold("\n".join(p for p in parts if isinstance(p, str)))
