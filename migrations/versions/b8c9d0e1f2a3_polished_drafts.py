"""Drafts polished by the owner's own language model

Revision ID: b8c9d0e1f2a3
Revises: a7d8e9f0a1b2
Create Date: 2026-11-30 15:10:00

`polished_body` holds the model's text for a draft; `polished_from` a digest
of what the template draft was made of when it was polished, so the polish is
shown only while those inputs are unchanged. The owner's edit (`body`) always
wins over both.
"""

import sqlalchemy as sa
from alembic import op

revision = "b8c9d0e1f2a3"
down_revision = "a7d8e9f0a1b2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("followups") as batch:
        batch.add_column(sa.Column("polished_body", sa.Text(), nullable=True))
        batch.add_column(sa.Column("polished_from", sa.String(64), nullable=True))


def downgrade():
    with op.batch_alter_table("followups") as batch:
        batch.drop_column("polished_from")
        batch.drop_column("polished_body")
