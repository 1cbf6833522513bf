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


class _Bare(dict):
    """str.translate's table that drops combining marks, learnt a character at a time.

    Each character is looked up in unicodedata once per process; after that
    translate finds it in this dictionary without leaving C. It keeps at most
    BARE_CACHE characters, so text made of every code point can't grow it.
    """

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        if len(self) < BARE_CACHE:
            self[code] = kept
        return kept


BARE_CACHE = 4096


_BARE = _Bare()


def fold(text: str) -> str:
    """Return `text` without accents or case, for searching."""
    if not text:
        return ""
    if text.isascii():  # nothing to decompose or compose
        return text.casefold()
    bare = unicodedata.normalize("NFKD", text).translate(_BARE)
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
