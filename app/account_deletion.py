"""Deleting an account and everything it owns."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash

from .errors import ValidationError
from .extensions import db
from .models import (
    ApiToken,
    Card,
    Contact,
    ContactPhoto,
    ContactTag,
    Event,
    FollowUp,
    Interaction,
    LoginSession,
    Nudge,
    PushSubscription,
    SetupClaim,
    Template,
    User,
)

# Children first, so the deletion works with or without database cascades.
OWNED_TABLES = (
    FollowUp,
    Interaction,
    ContactTag,
    ContactPhoto,
    Contact,
    Event,
    Template,
    ApiToken,
    LoginSession,
    PushSubscription,
    Nudge,
    Card,
)


def delete_account(user: User, password: str) -> None:
    """Remove the account and every row it owns, after checking the password."""
    if not check_password_hash(user.password_hash, password or ""):
        raise ValidationError(
            "That is not your password.", {"password": "That is not your password."}
        )
    user_id = user.id
    # People introduced by someone point at them; clear those links first.
    db.session.execute(
        Contact.__table__.update()
        .where(Contact.user_id == user_id)
        .values(introduced_by_id=None)
    )
    for model in OWNED_TABLES:
        db.session.execute(delete(model).where(model.user_id == user_id))
    db.session.execute(delete(User).where(User.id == user_id))
    last = not db.session.execute(select(func.count(User.id))).scalar()
    if last:
        # An empty instance is set up afresh, with the setup code.
        db.session.execute(delete(SetupClaim))
    if last:
        current_app.extensions["morrow_has_users"] = False


def owned_row_counts(user_id: int) -> dict[str, int]:
    """Count the rows each table holds for one account."""
    counts = {}
    owners = [(model, model.user_id) for model in OWNED_TABLES] + [(User, User.id)]
    for model, column in owners:
        counts[model.__tablename__] = db.session.execute(
            select(func.count()).select_from(model).where(column == user_id)
        ).scalar_one()
    return counts
