"""Tags stored as typed; PostgreSQL trigram index for people search

Revision ID: d5e6f7a8b9c0
Revises: b3f0c2d4e5a6
Create Date: 2026-11-26 09:00:00

Tags were stored as JSON with non-ASCII letters escaped ("caf\\u00e9"), so the
search index could not find "café" in them. They are rewritten as typed; on
SQLite the index triggers re-index each rewritten person. On PostgreSQL,
pg_trgm's GIN index covers the searched text, built CONCURRENTLY so captures
go on while it reads a large table; where the extension can't be installed (no
permission) the index is left out and search scans as before.
"""

import json
import logging

import sqlalchemy as sa
from alembic import op

from app.search_index_v1 import PG_CREATE_STATEMENTS, PG_DROP_STATEMENTS

revision = "d5e6f7a8b9c0"
down_revision = "b3f0c2d4e5a6"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
contacts = sa.table("contacts", sa.column("id", sa.String), sa.column("tags", sa.Text))


def upgrade():
    bind = op.get_bind()
    # The JSON column as text on both databases (psycopg would parse it).
    tags_text = sa.cast(contacts.c.tags, sa.Text)
    escaped = bind.execute(
        sa.select(contacts.c.id, tags_text).where(tags_text.like("%\\u%", escape="!"))
    ).all()
    json_type = sa.JSON() if bind.dialect.name == "postgresql" else sa.Text()
    for contact_id, tags in escaped:
        typed = json.dumps(json.loads(tags), ensure_ascii=False)
        bind.execute(
            sa.update(contacts)
            .where(contacts.c.id == contact_id)
            .values(tags=sa.cast(sa.literal(typed, sa.Text), json_type))
        )
    if bind.dialect.name != "postgresql":
        return
    extension, index = PG_CREATE_STATEMENTS
    try:
        with bind.begin_nested():
            op.execute(extension)
    except sa.exc.DBAPIError as error:
        log.warning(
            "pg_trgm is not available (%s): people search works without its "
            "index; a superuser can run CREATE EXTENSION pg_trgm, then "
            "flask db downgrade b3f0c2d4e5a6 and flask db upgrade.",
            str(error.orig).strip(),
        )
        return
    # Built without locking out captures while it reads a large table.
    with op.get_context().autocommit_block():
        op.execute(index.replace("CREATE INDEX", "CREATE INDEX CONCURRENTLY", 1))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DROP_STATEMENTS:
            op.execute(statement)
