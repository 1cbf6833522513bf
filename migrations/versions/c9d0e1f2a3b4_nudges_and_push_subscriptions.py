"""Morning nudges: push subscriptions, nudge claims, the e-mail switch

Revision ID: c9d0e1f2a3b4
Revises: b8c9d0e1f2a3
Create Date: 2026-11-30 15:10:00

`nudges` holds one row per owner, channel and local day: inserting it is the
claim to send that morning's nudge, so only one server sends it.
`followups.updated_at` dates the calendar feed's morning events.
"""

import sqlalchemy as sa
from alembic import op

revision = "c9d0e1f2a3b4"
down_revision = "b8c9d0e1f2a3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("nudge_email", sa.Boolean(), nullable=True))
    with op.batch_alter_table("followups") as batch:
        batch.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("endpoint_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("p256dh", sa.String(200), nullable=False),
        sa.Column("auth", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index(
        "ix_push_subscriptions_user_id", "push_subscriptions", ["user_id"]
    )
    op.create_table(
        "nudges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint(
            "user_id", "channel", "day", name="uq_nudges_user_channel_day"
        ),
    )
    op.create_index("ix_nudges_status_next", "nudges", ["status", "next_attempt_at"])


def downgrade():
    op.drop_index("ix_nudges_status_next", table_name="nudges")
    op.drop_table("nudges")
    op.drop_index("ix_push_subscriptions_user_id", table_name="push_subscriptions")
    op.drop_table("push_subscriptions")
    with op.batch_alter_table("followups") as batch:
        batch.drop_column("updated_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("nudge_email")
