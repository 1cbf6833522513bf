"""Partial index for the Queue page's list of snoozed follow-ups

Revision ID: f2a3b4c5d6e7
Revises: e1f2a3b4c5d6
Create Date: 2026-11-26 11:20:00

Only snoozed follow-ups are in it, so writing any other follow-up (every
capture writes one or two) costs nothing more.
"""

import sqlalchemy as sa
from alembic import op

revision = "f2a3b4c5d6e7"
down_revision = "e1f2a3b4c5d6"
branch_labels = None
depends_on = None

SNOOZED = sa.text("snoozed_until IS NOT NULL")


def upgrade():
    op.create_index(
        "ix_followups_user_snoozed",
        "followups",
        ["user_id", "snoozed_until"],
        unique=False,
        sqlite_where=SNOOZED,
        postgresql_where=SNOOZED,
    )


def downgrade():
    op.drop_index("ix_followups_user_snoozed", table_name="followups")
