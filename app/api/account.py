"""/api/v1/me and /api/v1/card."""

from __future__ import annotations

from flask_login import current_user

from ..accounts import SETTINGS_FIELDS, update_settings, user_to_dict
from ..cards import CARD_FIELDS, card_to_dict, update_card
from ..errors import ValidationError
from . import bp, json_body

ME_FIELDS = set(SETTINGS_FIELDS)
NUDGE_FIELDS = {"nudge_email"}
READ_ONLY_ME = {"email", "calendar_feed_url"}


@bp.get("/me")
def me():
    """Show the account's settings."""
    return user_to_dict(current_user)


@bp.patch("/me")
def update_me():
    """Change the account's settings."""
    data = json_body()
    unknown = set(data) - ME_FIELDS - READ_ONLY_ME - NUDGE_FIELDS
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationError(f"Unknown field {field}.", {field: "Unknown field."})
    if "nudge_email" in data:
        if not isinstance(data["nudge_email"], bool):
            raise ValidationError(
                "nudge_email must be true or false.",
                {"nudge_email": "Must be true or false."},
            )
        current_user.nudge_email = data["nudge_email"]
    update_settings(current_user, {k: v for k, v in data.items() if k in ME_FIELDS})
    return user_to_dict(current_user)


@bp.get("/card")
def card():
    """Show the owner's card."""
    return card_to_dict(current_user.card)


@bp.put("/card")
def replace_card():
    """Save the owner's card."""
    data = json_body()
    # Fields not sent keep their values, so a client can change one at a time.
    allowed = {*CARD_FIELDS, "slug", "public_fields"}
    ignored = {"public_url", "published", "view_count", "exchange_count"}
    unknown = set(data) - allowed - ignored
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationError(f"Unknown field {field}.", {field: "Unknown field."})
    if "slug" in data and data["slug"] in (None, "") and current_user.card.slug:
        data.pop("slug")
    return card_to_dict(
        update_card(current_user, {k: data[k] for k in data if k in allowed})
    )
