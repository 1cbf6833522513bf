"""Indexes for duplicate lookups by email and the Queue page's done-today count

Revision ID: 7c1e5a9d2b40
Revises: 18005a30cef2
Create Date: 2026-11-26 06:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "7c1e5a9d2b40"
down_revision = "18005a30cef2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_contacts_user_email_lower",
        "contacts",
        ["user_id", sa.text("lower(email)")],
        unique=False,
    )
    op.create_index(
        "ix_followups_user_done", "followups", ["user_id", "done_at"], unique=False
    )


def downgrade():
    op.drop_index("ix_followups_user_done", table_name="followups")
    op.drop_index("ix_contacts_user_email_lower", table_name="contacts")
