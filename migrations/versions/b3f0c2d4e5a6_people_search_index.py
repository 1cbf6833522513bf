"""Full-text search index of people (SQLite: FTS5 trigram table and triggers)

Revision ID: b3f0c2d4e5a6
Revises: 7c1e5a9d2b40
Create Date: 2026-11-26 07:05:00

A later migration that rebuilds the contacts table in batch mode drops these
triggers with it: run DROP_STATEMENTS, CREATE_STATEMENTS and FILL_STATEMENT
again after it (tests/test_migrations.py checks they exist at head).
"""

from alembic import op

from app.search_index_v1 import CREATE_STATEMENTS, DROP_STATEMENTS, FILL_STATEMENT

revision = "b3f0c2d4e5a6"
down_revision = "7c1e5a9d2b40"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL searches with LIKE; see app/search_index.py
    for statement in CREATE_STATEMENTS:
        op.execute(statement)
    op.execute(FILL_STATEMENT)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in DROP_STATEMENTS:
        op.execute(statement)
