"""Photos of paper business cards, kept with their person

Revision ID: d1e2f3a4b5c6
Revises: c8d9e0f1a2b3
Create Date: 2026-11-30 17:40:00

`contact_photos` holds each card photo (a JPEG Morrow re-encoded, no
metadata), its size, and which fields reading it filled in.
"""

import sqlalchemy as sa
from alembic import op

revision = "d1e2f3a4b5c6"
down_revision = "c8d9e0f1a2b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contact_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("reading", sa.String(length=12), nullable=False),
        sa.Column("filled_fields", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contact_photos_contact", "contact_photos", ["contact_id"])
    op.create_index("ix_contact_photos_user", "contact_photos", ["user_id"])


def downgrade():
    op.drop_index("ix_contact_photos_user", table_name="contact_photos")
    op.drop_index("ix_contact_photos_contact", table_name="contact_photos")
    op.drop_table("contact_photos")
