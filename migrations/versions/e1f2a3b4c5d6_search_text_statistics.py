"""Statistics on the searched text, so PostgreSQL picks how to search

Revision ID: e1f2a3b4c5d6
Revises: d5e6f7a8b9c0
Create Date: 2026-11-26 11:00:00

PostgreSQL gathers statistics on an index's expression only when it next
analyzes the table, and autovacuum does that only after many rows change. With
them the planner tells a common word (walk people newest-first) from a rare one
(ask the trigram index); without them it guesses. Analyzing reads a sample of
the table, not all of it. SQLite has no such statistics to gather.
"""

from alembic import op

from app.search_index import PG_INDEX

revision = "e1f2a3b4c5d6"
down_revision = "d5e6f7a8b9c0"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    found = bind.exec_driver_sql(
        "SELECT 1 FROM pg_indexes WHERE indexname = %(name)s", {"name": PG_INDEX}
    ).first()
    if found:
        op.execute("ANALYZE contacts")


def downgrade():
    pass  # statistics are the planner's; nothing to undo
