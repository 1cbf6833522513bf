"""A full-text index of people for substring search that stays fast as they pile up.

The index holds each person's folded search text (app.search_text), which
Morrow writes itself on every write; the words searched for are folded the
same way (`fold`), so case and accents never matter, on either database.

On SQLite an FTS5 table with the trigram tokenizer holds each person's searchable
folded text; triggers on `contacts` keep it in step on every write path (captures,
edits, merges, bulk imports, account deletion). A word of three or more
characters that few people match is answered from the index; a common word is
found faster by scanning newest-first with LIKE (a page fills after a few rows),
and so are shorter words.

On PostgreSQL a GIN index with pg_trgm's trigram operator class covers the same
column and plays the same part, but the planner chooses: with the statistics
ANALYZE gathers on the column it can tell a common
word (walk newest-first, a page fills after a few rows) from a rare one (ask the
index for its few matches). Words under three characters have no trigram to
look up and are always walked. Where pg_trgm can't be installed the migration
leaves the index out and the same queries walk instead.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import DDL, column, event, func, literal_column, table, text
from sqlalchemy.sql.expression import ColumnClause

from .extensions import db
from .models import Contact
from .search_text import fold

__all__ = ["fold"]

FTS_TABLE = "contact_fts"
MIN_INDEXED_LENGTH = 3  # the trigram tokenizer matches substrings of 3+ characters
SPARSE_CAP = 200

# The person's folded search text (app.search_text), written by Morrow itself.
_BODY = "coalesce({row}.search_text, '')"
# Built from constants only; user text reaches SQL as bound parameters.
_FORGET = (
    f"DELETE FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH "  # nosec B608
    "'contact_id : \"' || old.id || '\"';"
)
_REMEMBER = (
    f"INSERT INTO {FTS_TABLE} (contact_id, user_id, body) "  # nosec B608
    f"VALUES (new.id, new.user_id, {_BODY.format(row='new')});"
)

CREATE_STATEMENTS = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "contact_id, user_id UNINDEXED, body, tokenize = 'trigram')",
    "CREATE TRIGGER IF NOT EXISTS contacts_search_insert AFTER INSERT ON contacts "
    f"BEGIN {_REMEMBER} END",
    "CREATE TRIGGER IF NOT EXISTS contacts_search_delete AFTER DELETE ON contacts "
    f"BEGIN {_FORGET} END",
    "CREATE TRIGGER IF NOT EXISTS contacts_search_update AFTER UPDATE OF "
    f"search_text ON contacts BEGIN {_FORGET} {_REMEMBER} END",
)
FILL_STATEMENT = (
    f"INSERT INTO {FTS_TABLE} (contact_id, user_id, body) "  # nosec B608
    f"SELECT id, user_id, {_BODY.format(row='contacts')} FROM contacts"
)
DROP_STATEMENTS = (
    "DROP TRIGGER IF EXISTS contacts_search_insert",
    "DROP TRIGGER IF EXISTS contacts_search_delete",
    "DROP TRIGGER IF EXISTS contacts_search_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
TRIGGERS = (
    "contacts_search_insert",
    "contacts_search_delete",
    "contacts_search_update",
)

_fts = table(FTS_TABLE, column("contact_id"), column("user_id"))

# PostgreSQL: a trigram index on the folded search text; the statistics
# ANALYZE gathers on the column tell the planner common words from rare ones.
PG_INDEX = "ix_contacts_search_trgm"
PG_CREATE_STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON contacts "
    "USING gin (search_text gin_trgm_ops)",
)
PG_DROP_STATEMENTS = (f"DROP INDEX IF EXISTS {PG_INDEX}",)
pg_search_text: ColumnClause[Any] = literal_column("contacts.search_text")
# SQLite: the same folded text the FTS index holds.
sqlite_search_text: ColumnClause[Any] = literal_column("contacts.search_text")

# db.create_all() (tests, first runs without migrations) builds the index too.
for statement in CREATE_STATEMENTS:
    event.listen(
        Contact.__table__, "after_create", DDL(statement).execute_if(dialect="sqlite")
    )
for statement in PG_CREATE_STATEMENTS:
    event.listen(
        Contact.__table__,
        "after_create",
        DDL(statement).execute_if(dialect="postgresql"),
    )
event.listen(
    Contact.__table__,
    "before_drop",
    DDL(f"DROP TABLE IF EXISTS {FTS_TABLE}").execute_if(dialect="sqlite"),
)


def uses_index(word: str) -> bool:
    """Tell whether the trigram index can look `word` up (SQLite and PostgreSQL)."""
    return len(word) >= MIN_INDEXED_LENGTH


def probes_first(dialect_name: str, word: str) -> bool:
    """Tell whether to ask the index how many people `word` matches first.

    SQLite's planner can't tell a common word from a rare one, so the search
    asks the FTS index (`sparse_matches`). PostgreSQL's planner can, from the
    statistics on the indexed expression, so its query gets the word itself
    (`contains`).
    """
    return dialect_name == "sqlite" and uses_index(word)


def sparse_matches(user_id: int, word: str, cap: int = SPARSE_CAP) -> list[str] | None:
    """Return the ids of the owner's people whose text contains `word`, if few.

    SQLite only. A rare word is answered from the FTS index alone; a common one
    (more than `cap` people) returns None, and the caller scans newest-first
    instead, which finds a page of dense matches after reading a few rows.
    """
    phrase = 'body : "' + word.replace('"', '""') + '"'
    query = (
        _fts.select()
        .with_only_columns(_fts.c.contact_id)
        .where(text(f"{FTS_TABLE} MATCH :phrase").bindparams(phrase=phrase))
        .where(_fts.c.user_id == user_id)
    )
    ids = db.session.execute(query.limit(cap + 1)).scalars().all()
    return None if len(ids) > cap else list(ids)


def contains(dialect_name: str, word: str):
    """The person's searched text contains `word`.

    On SQLite, read row by row newest-first (for common and short words): one
    expression per person, not a LIKE per column. On PostgreSQL a LIKE on the
    indexed expression, which the planner may answer from the trigram index or
    by walking newest-first; a word too short for a trigram uses strpos(), which
    keeps it off the index (a pattern without trigrams reads all of it).
    """
    if dialect_name == "postgresql":
        if uses_index(word):
            return pg_search_text.like(like_pattern(word), "\\")
        return func.strpos(pg_search_text, word) > 0
    return func.instr(sqlite_search_text, word) > 0


def like_pattern(word: str) -> str:
    """Return a LIKE pattern (escape character backslash) matching `word` anywhere."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"
