"""Emails unique whatever their case; server-side logins; one first-run setup

Revision ID: a7b8c9d0e1f2
Revises: f2a3b4c5d6e7
Create Date: 2026-11-30 14:40:00

users.email_folded holds the address casefolded, with a unique index: no two
accounts may share an address in different case. If some already do, the
upgrade stops and names them, changing nothing: Morrow never merges or drops
an account by itself. login_sessions holds one row per login (logout deletes
it), which replaces users.session_version. setup_claim holds the single row
first-run setup inserts, so only one simultaneous setup can win.
"""

import datetime as dt
import unicodedata
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "a7b8c9d0e1f2"
down_revision = "f2a3b4c5d6e7"
branch_labels = None
depends_on = None


def fold(email: str) -> str:
    # As app.models.fold_email, frozen here.
    return unicodedata.normalize("NFC", (email or "").strip()).casefold()


class DuplicateEmails(RuntimeError):
    pass


def refuse_duplicates(rows) -> None:
    groups = defaultdict(list)
    for user_id, email in rows:
        groups[fold(email)].append((user_id, email))
    clashes = [group for group in groups.values() if len(group) > 1]
    if not clashes:
        return
    listed = "\n".join(
        "  " + ", ".join(f"{email} (account id {user_id})" for user_id, email in group)
        for group in clashes
    )
    user_id, email = clashes[0][1]
    local, _, domain = email.rpartition("@")
    raise DuplicateEmails(
        "Morrow treats email addresses without regard to case, and these "
        f"accounts share one:\n{listed}\n"
        "Nothing was changed. Give each extra account another address, in "
        "sqlite3 instance/morrow.sqlite3 (or psql), for example:\n"
        f"  UPDATE users SET email = '{local}+2@{domain}' WHERE id = {user_id};\n"
        "then run `flask --app wsgi db upgrade` again. The renamed account logs "
        "in with its new address (and can be deleted in Settings if not needed)."
    )


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, email FROM users ORDER BY id")).all()
    refuse_duplicates(rows)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_folded", sa.String(length=254)))
    for user_id, email in rows:
        bind.execute(
            sa.text("UPDATE users SET email_folded = :folded WHERE id = :id"),
            {"folded": fold(email), "id": user_id},
        )
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "email_folded", existing_type=sa.String(length=254), nullable=False
        )
        batch.create_unique_constraint("uq_users_email_folded", ["email_folded"])
        batch.drop_column("session_version")
    op.create_table(
        "login_sessions",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key_hash"),
    )
    op.create_index(
        "ix_login_sessions_user_id", "login_sessions", ["user_id"], unique=False
    )
    op.create_table(
        "setup_claim",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if rows:
        # An instance with accounts was set up already.
        bind.execute(
            sa.text("INSERT INTO setup_claim (id, claimed_at) VALUES (1, :now)"),
            {"now": dt.datetime.now(dt.UTC).replace(tzinfo=None)},
        )


def downgrade():
    op.drop_table("setup_claim")
    op.drop_index("ix_login_sessions_user_id", table_name="login_sessions")
    op.drop_table("login_sessions")
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "session_version", sa.Integer(), nullable=False, server_default="1"
            )
        )
        batch.drop_constraint("uq_users_email_folded", type_="unique")
        batch.drop_column("email_folded")
