"""Queue: the morning's messages, and Sent, Skip, Snooze and edits on them."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from .. import clock
from ..cards import shareable_card_url
from ..drafts import (
    CHANNEL_LABELS,
    KIND_LABELS,
    channels_for,
    spoken_list,
)
from ..errors import ValidationError
from ..followups import (
    due_messages,
    edit_draft,
    followup_to_dict,
    get_followup,
    mark_done,
    message_draft,
    message_followups,
    next_due,
    progress,
    snooze_choice,
    snoozed,
    template_cache,
    upcoming,
)
from ..followups import skip as skip_followup
from ..followups import snooze as snooze_followup
from ..models import MAX_ID
from ..polish import catch_up
from ..scheduling import zone_of
from ..transactions import undo_on_error
from ..validation import clean_int
from .people import person_page

bp = Blueprint("queue", __name__)


@bp.before_request
@login_required
def require_login():
    """Every page here belongs to a logged-in owner."""


UPCOMING = 10  # the Queue page lists this many follow-ups still to come


@bp.get("/queue")
def index():
    """Show the morning's messages, oldest first: one card per person and day."""
    now = clock.now()
    user = current_user
    zone = zone_of(user)
    catch_up(user)  # drafts not polished yet go to the owner's model, if set
    messages = due_messages(user, now)
    later = upcoming(user, now, UPCOMING)
    cache = template_cache(user)
    card_url = shareable_card_url(user.card)
    cards = []
    for message in messages:
        followup = message.lead
        draft = message_draft(message, user, card_url, cache)
        data = followup_to_dict(
            followup, user, now, cache, message_key=message.key, draft=draft
        )
        data["channels"] = [
            (channel, CHANNEL_LABELS[channel], data["links"].get(channel))
            for channel in channels_for(followup.contact)
        ]
        kinds = dict.fromkeys(f.kind for f in message.followups)
        data["why"] = spoken_list([KIND_LABELS.get(kind, kind) for kind in kinds])
        abouts = dict.fromkeys(f.about.name for f in message.followups if f.about)
        data["about_name"] = ", ".join(abouts) or None
        data["due_local"] = f"{clock.local(followup.due_at, zone):%a %d %b, %H:%M}"
        data["also"] = message.also
        data["people"] = message.people
        cards.append(data)
    upcoming_when = next_due(user, now)
    return render_template(
        "queue.html",
        items=cards,
        upcoming=later[:UPCOMING],
        more_upcoming=len(later) > UPCOMING,
        snoozed=snoozed(user, now),
        person_url=person_page,
        progress=progress(user, now, due=len(messages)),
        next_due=clock.local(upcoming_when, zone) if upcoming_when else None,
        local=clock.local,
        zone=zone,
        kind_labels=KIND_LABELS,
        today=now.astimezone(zone).date(),
    )


def _message(followup_id: int) -> list:
    """The follow-up and those sent within its message (form field `also`)."""
    also = [clean_int(raw, "also", 1, MAX_ID) for raw in request.form.getlist("also")]
    return message_followups(current_user, followup_id, also)


def _settle(followup_id: int, action, said: str):
    """Mark a follow-up and those merged into its message with `action`."""
    followups = _message(followup_id)
    now = clock.now()
    for followup in followups:
        action(current_user, followup, now)
    flash(said.format(name=followups[0].contact.name))
    return redirect(url_for("queue.index"))


@bp.post("/queue/<int:followup_id>/done")
def done(followup_id: int):
    """Mark a follow-up sent (with any merged into its message)."""
    return _settle(followup_id, mark_done, "Marked sent to {name}.")


@bp.post("/queue/<int:followup_id>/skip")
def skip(followup_id: int):
    """Skip a follow-up (with any merged into its message)."""
    return _settle(followup_id, skip_followup, "Skipped the follow-up to {name}.")


@bp.post("/queue/<int:followup_id>/snooze")
def snooze(followup_id: int):
    """Snooze a follow-up until tomorrow, next week or a chosen date."""
    followups = _message(followup_id)
    now = clock.now()
    try:
        until = snooze_choice(
            current_user,
            request.form.get("when", ""),
            request.form.get("date", ""),
            now,
        )
        with undo_on_error():
            for followup in followups:
                snooze_followup(current_user, followup, until, now)
    except ValidationError as error:
        flash(f"Not snoozed: {error.message}")
        return redirect(url_for("queue.index")), 303
    flash(f"Snoozed until {until.astimezone(zone_of(current_user)):%a %d %b, %H:%M}.")
    return redirect(url_for("queue.index"))


@bp.post("/queue/<int:followup_id>/edit")
def edit(followup_id: int):
    """Save the edited draft of a follow-up."""
    followup = get_followup(current_user, followup_id)
    data = {
        key: request.form[key] for key in ("subject", "body") if key in request.form
    }
    if request.form.get("channel"):
        data["channel"] = request.form["channel"]
    try:
        with undo_on_error():
            edit_draft(current_user, followup, data)
    except ValidationError as error:
        flash(f"Not saved: {error.message}")
    else:
        flash("Draft saved.")
    return redirect(url_for("queue.index") + f"#followup-{followup.id}")
