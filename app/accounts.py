"""Account settings shared by the Settings page and /api/v1/me."""

from __future__ import annotations

from flask import current_app, url_for

from . import clock
from .cards import public_base_url
from .extensions import db
from .models import User
from .scheduling import retime_pending
from .validation import FieldErrors, clean_int, clean_region, clean_timezone

SETTINGS_FIELDS = ("timezone", "followup_hour", "default_region", "weekly_goal")


def current_settings(user: User) -> dict:
    """The account's settings as the Settings form and /api/v1/me show them."""
    return {field: getattr(user, field) for field in SETTINGS_FIELDS}


def update_settings(user: User, data: dict) -> User:
    """Validate and save timezone, follow-up hour, phone region and weekly goal."""
    errors = FieldErrors()
    values = {}
    if "timezone" in data:
        values["timezone"] = errors.check("timezone", clean_timezone, data["timezone"])
    if "followup_hour" in data:
        values["followup_hour"] = errors.check(
            "followup_hour", clean_int, data["followup_hour"], "followup_hour", 0, 23
        )
    if "default_region" in data:
        values["default_region"] = errors.check(
            "default_region", clean_region, data["default_region"]
        )
    if "weekly_goal" in data:
        values["weekly_goal"] = errors.check(
            "weekly_goal", clean_int, data["weekly_goal"], "weekly_goal", 0, 100
        )
    errors.raise_if_any()
    timing = (user.timezone, user.followup_hour)
    for field, value in values.items():
        setattr(user, field, value)
    if (user.timezone, user.followup_hour) != timing:
        # Tomorrow's follow-ups come at the new hour in the new zone.
        retime_pending(user, clock.now(), timing)
    db.session.flush()
    return user


def feed_url(user: User) -> str:
    return public_base_url() + url_for("public.feed", token=user.feed_token)


def nudge_email_setting(user: User) -> bool:
    """The owner's choice of the e-mail digest; unset, on when mail is set up."""
    if user.nudge_email is not None:
        return user.nudge_email
    return bool(current_app.config.get("MAIL_URL"))


def user_to_dict(user: User) -> dict:
    return {
        "email": user.email,
        **current_settings(user),
        "calendar_feed_url": feed_url(user),
        "nudge_email": nudge_email_setting(user),
    }
