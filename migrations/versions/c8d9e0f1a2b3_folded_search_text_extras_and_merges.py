"""Folded search text, values kept by merges, and merges that can be undone

Revision ID: c8d9e0f1a2b3
Revises: c9d0e1f2a3b4
Create Date: 2026-11-30 15:45:00

People search ignores case and accents from a folded text Morrow writes itself
(app/search_text.py): `contacts.search_text`, filled here for everyone already
there. The search indexes move onto it: on SQLite the FTS5 table and its
triggers are rebuilt; on PostgreSQL the trigram index is rebuilt on the column
(CONCURRENTLY, captures go on) and the column's statistics gathered.
`contacts.extras` keeps the values a merge could not put in a field (a second
email, another name); `merges` keeps what undoing a merge needs.
"""

import logging

import sqlalchemy as sa
from alembic import op

from app import search_index, search_index_v1
from app.search_text import searchable_text

revision = "c8d9e0f1a2b3"
down_revision = "c9d0e1f2a3b4"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
BATCH = 1000
_TEXT = ("name", "company", "title", "email", "talked_about", "promise", "notes")
contacts = sa.table(
    "contacts",
    sa.column("id", sa.String),
    *(sa.column(name, sa.Text) for name in _TEXT),
    sa.column("tags", sa.JSON),
    sa.column("search_text", sa.Text),
)


def _fill_search_text(bind) -> None:
    last = ""
    while True:
        rows = bind.execute(
            sa.select(contacts)
            .where(contacts.c.id > last)
            .order_by(contacts.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            sa.update(contacts)
            .where(contacts.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("folded")),
            [
                {"row_id": row.id, "folded": searchable_text(row._mapping)}
                for row in rows
            ],
        )
        last = rows[-1].id


def upgrade():
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "sqlite":
        for statement in search_index_v1.DROP_STATEMENTS:
            op.execute(statement)
    op.add_column("contacts", sa.Column("extras", sa.JSON(), nullable=True))
    op.add_column(
        "contacts",
        sa.Column("search_text", sa.Text(), nullable=False, server_default=""),
    )
    op.create_table(
        "merges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kept_id", sa.String(length=36), nullable=False),
        sa.Column("other_id", sa.String(length=36), nullable=False),
        sa.Column("other_name", sa.String(length=200), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_merges_user_kept", "merges", ["user_id", "kept_id"])
    _fill_search_text(bind)
    if dialect == "sqlite":
        for statement in search_index.CREATE_STATEMENTS:
            op.execute(statement)
        op.execute(search_index.FILL_STATEMENT)
        return
    if dialect != "postgresql":
        return
    for statement in search_index_v1.PG_DROP_STATEMENTS:
        op.execute(statement)
    found = bind.exec_driver_sql(
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"
    ).first()
    if not found:
        log.warning("pg_trgm is not installed: people search works without its index.")
        return
    index = search_index.PG_CREATE_STATEMENTS[1]
    with op.get_context().autocommit_block():
        op.execute(index.replace("CREATE INDEX", "CREATE INDEX CONCURRENTLY", 1))
        # Every row was rewritten: clear the old versions, gather statistics.
        op.execute("VACUUM ANALYZE contacts")


def downgrade():
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "sqlite":
        for statement in search_index.DROP_STATEMENTS:
            op.execute(statement)
    if dialect == "postgresql":
        for statement in search_index.PG_DROP_STATEMENTS:
            op.execute(statement)
    op.drop_index("ix_merges_user_kept", table_name="merges")
    op.drop_table("merges")
    op.drop_column("contacts", "search_text")
    op.drop_column("contacts", "extras")
    if dialect == "sqlite":
        for statement in search_index_v1.CREATE_STATEMENTS:
            op.execute(statement)
        op.execute(search_index_v1.FILL_STATEMENT)
    elif dialect == "postgresql":
        found = bind.exec_driver_sql(
            "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"
        ).first()
        if found:
            op.execute(search_index_v1.PG_CREATE_STATEMENTS[1])
