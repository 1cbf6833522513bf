"""Promise templates: {promise} is now a whole sentence

Revision ID: a7d8e9f0a1b2
Revises: a7b8c9d0e1f2
Create Date: 2026-11-30 14:45:00

`{promise}` used to be the promise as typed, so the default promise template
said "As promised, here it is: {promise}". It is now the promise phrased as a
sentence to the person ("As promised, I'm sending you our deck"), so an
owner's template that kept that default phrase would say it twice. The phrase
becomes "{promise}." there; every other template text is left as written.
Downgrading leaves the texts as they are: they still render.
"""

import sqlalchemy as sa
from alembic import op

revision = "a7d8e9f0a1b2"
down_revision = "a7b8c9d0e1f2"
branch_labels = None
depends_on = None

OLD = "As promised, here it is: {promise}"
NEW = "{promise}."


def upgrade():
    op.get_bind().execute(
        sa.text(
            "UPDATE templates SET body = replace(body, :old, :new) "
            "WHERE kind = 'promise' AND body LIKE :pattern"
        ),
        {"old": OLD, "new": NEW, "pattern": f"%{OLD}%"},
    )


def downgrade():
    pass
