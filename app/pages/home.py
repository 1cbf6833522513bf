"""Home: today at a glance — the event captures go to, the big buttons, the
queue count, this week's interactions and what waits to sync."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from .. import clock
from ..cards import public_card_url
from ..contacts import unread_count
from ..events import default_event
from ..followups import count_due, week_interactions
from .card import default_mode

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """Today at a glance: big buttons, the queue and what waits to sync."""
    user = current_user
    now = clock.now()
    return render_template(
        "home.html",
        card=user.card,
        # What the full-screen card needs: Home opens it in one tap.
        card_mode=default_mode(),
        public_url=public_card_url(user.card),
        active_event=default_event(user, now),
        queue_count=count_due(user, now),
        unread_exchanges=unread_count(user),
        week_interactions=week_interactions(user, now),
        weekly_goal=user.weekly_goal,
    )
