"""The Queue screen, the person page's follow-up panel and message templates."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from . import clock
from .drafts import (
    CHANNEL_LABELS,
    DEFAULTS,
    KIND_LABELS,
    KINDS,
    PLACEHOLDERS,
    TEMPLATE_MAX,
    channels_for,
    template_errors,
)
from .errors import NotFound, ValidationError
from .extensions import db
from .followups import (
    count_due,
    edit_draft,
    event_score,
    followup_to_dict,
    followups_for,
    get_followup,
    in_messages,
    interactions_for,
    list_followups,
    mark_done,
    message_followups,
    next_due,
    progress,
    skip,
    snooze,
    snooze_choice,
    snoozed,
    template_cache,
    upcoming,
    week_interactions,
)
from .models import MAX_ID, Contact, Template
from .scheduling import log_interaction, schedule_followups, zone_of
from .ui import register_home_panel, register_nav, register_settings_section
from .validation import clean_int, clean_text

bp = Blueprint("queue", __name__)
CADENCES = (30, 90, 180)


@bp.before_request
@login_required
def require_login():
    """Every page here belongs to a logged-in owner."""


def home_panel(user) -> dict:
    """Figures for Home: the queue count and this week's interactions."""
    now = clock.now()
    return {
        "queue_count": count_due(user, now),
        "queue_url": url_for("queue.queue"),
        "week_interactions": week_interactions(user, now),
        "weekly_goal": user.weekly_goal,
    }


@bp.record_once
def _plug_in(state) -> None:
    register_nav(state.app, "Queue", "queue.queue")
    register_home_panel(state.app, home_panel)
    register_settings_section(
        state.app,
        "Message templates",
        "/settings/templates",
        "The drafts Morrow writes for each kind of follow-up",
    )


@bp.app_context_processor
def queue_helpers() -> dict:
    """Give the person and event pages their follow-up panels' data."""
    return {
        "person_followups": person_followups,
        "event_followup_score": lambda event: event_score(
            current_user, event, clock.now()
        ),
        "kind_label": lambda kind: KIND_LABELS.get(kind, kind),
        "cadences": CADENCES,
    }


def person_followups(contact: Contact) -> dict:
    """Return the person's follow-up history and interactions for their page."""
    return {
        "followups": followups_for(contact),
        "interactions": interactions_for(contact),
        "now": clock.now(),
    }


UPCOMING = 10  # the Queue page lists this many follow-ups still to come


@bp.get("/queue")
def queue():
    """Show due follow-ups, oldest first, with their drafts and channel buttons."""
    now = clock.now()
    user = current_user
    zone = zone_of(user)
    items, _ = list_followups(user, now, limit=100)
    later = upcoming(user, now, UPCOMING)
    cache = template_cache(user)
    cards = []
    # One card per message: a thank-you sent within a promise's has none.
    for followup, also in in_messages(items, zone):
        data = followup_to_dict(followup, user, now, cache)
        data["channels"] = [
            (channel, CHANNEL_LABELS[channel], data["links"].get(channel))
            for channel in channels_for(followup.contact)
        ]
        data["why"] = " and ".join(
            KIND_LABELS.get(f.kind, f.kind) for f in (followup, *also)
        )
        data["about_name"] = followup.about.name if followup.about else None
        data["due_local"] = f"{clock.local(followup.due_at, zone):%a %d %b, %H:%M}"
        data["also"] = also
        cards.append(data)
    upcoming_when = next_due(user, now)
    return render_template(
        "queue.html",
        items=cards,
        upcoming=later[:UPCOMING],
        more_upcoming=len(later) > UPCOMING,
        snoozed=snoozed(user, now),
        person_url=person_page,
        progress=progress(user, now),
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


@bp.post("/queue/<int:followup_id>/done")
def done(followup_id: int):
    """Mark a follow-up sent (with any merged into its message)."""
    followups = _message(followup_id)
    for followup in followups:
        mark_done(current_user, followup, clock.now())
    flash(f"Marked sent to {followups[0].contact.name}.")
    return redirect(url_for("queue.queue"))


@bp.post("/queue/<int:followup_id>/skip")
def skip_followup(followup_id: int):
    """Skip a follow-up (with any merged into its message)."""
    followups = _message(followup_id)
    for followup in followups:
        skip(current_user, followup, clock.now())
    flash(f"Skipped the follow-up to {followups[0].contact.name}.")
    return redirect(url_for("queue.queue"))


@bp.post("/queue/<int:followup_id>/snooze")
def snooze_followup(followup_id: int):
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
        for followup in followups:
            snooze(current_user, followup, until, now)
    except ValidationError as error:
        db.session.rollback()
        flash(f"Not snoozed: {error.message}")
        return redirect(url_for("queue.queue")), 303
    flash(f"Snoozed until {until.astimezone(zone_of(current_user)):%a %d %b, %H:%M}.")
    return redirect(url_for("queue.queue"))


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
        edit_draft(current_user, followup, data)
    except ValidationError as error:
        db.session.rollback()
        flash(f"Not saved: {error.message}")
    else:
        flash("Draft saved.")
    return redirect(url_for("queue.queue") + f"#followup-{followup.id}")


def owned_contact(contact_id: str) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.user_id != current_user.id:
        raise NotFound("There is no such person.")
    return contact


def person_page(contact: Contact) -> str:
    """Return the person's page, or the queue while People isn't installed."""
    if "people.detail" in current_app.view_functions:
        return url_for("people.detail", contact_id=contact.id)
    return url_for("queue.queue")


@bp.post("/people/<contact_id>/talked")
def talked(contact_id: str):
    """Log "we talked": the keep-in-touch clock starts again."""
    contact = owned_contact(contact_id)
    note = clean_text(request.form.get("note", ""), "note", 1000, multiline=True)
    log_interaction(contact, "talked", note, clock.now())
    db.session.commit()
    flash(f"Logged a conversation with {contact.name}.")
    return redirect(person_page(contact))


@bp.post("/people/<contact_id>/cadence")
def cadence(contact_id: str):
    """Set how often to keep in touch with a person (none, 30, 90, 180, custom)."""
    contact = owned_contact(contact_id)
    choice = request.form.get("cadence", "none")
    custom = request.form.get("custom_days", "").strip()
    if choice == "none" and custom and custom != str(contact.keep_in_touch_days):
        choice = "custom"  # a number typed without picking "Every …" first
    try:
        if choice == "none":
            days = None
        elif choice == "custom":
            days = clean_int(custom, "custom_days", 1, 3650)
        else:
            days = clean_int(choice, "cadence", 1, 3650)
    except ValidationError:
        g.cadence_error = "Give a number of days from 1 to 3650."
        g.cadence_custom = custom
        if "people.detail" in current_app.view_functions:
            return current_app.view_functions["people.detail"](contact.id), 400
        flash(g.cadence_error)
        return redirect(person_page(contact))
    contact.keep_in_touch_days = days
    schedule_followups(contact, now=clock.now())
    db.session.commit()
    flash("Keep-in-touch saved." if days else "Keep-in-touch turned off.")
    return redirect(person_page(contact))


@bp.route("/settings/templates", methods=["GET", "POST"])
def templates():
    """Edit the message template of each kind, or reset it to the default."""
    errors: dict[str, dict[str, str]] = {}
    rows = {
        row.kind: row
        for row in db.session.execute(
            db.select(Template).filter_by(user_id=current_user.id)
        ).scalars()
    }
    forms = {
        kind: {
            "subject": rows[kind].subject if kind in rows else DEFAULTS[kind][0],
            "body": rows[kind].body if kind in rows else DEFAULTS[kind][1],
        }
        for kind in KINDS
    }
    if request.method == "POST":
        kind = request.form.get("kind", "")
        if kind not in KINDS:
            raise NotFound("There is no such template.")
        if request.form.get("action") == "reset":
            if kind in rows:
                db.session.delete(rows[kind])
                db.session.commit()
            flash(f"{KIND_LABELS[kind]} template reset to the default.")
            return redirect(url_for("queue.templates"))
        subject = request.form.get("subject", "").replace("\r\n", "\n").strip()
        body = request.form.get("body", "").replace("\r\n", "\n").strip()
        forms[kind] = {"subject": subject, "body": body}
        problems = template_errors(subject, body)
        if problems:
            errors[kind] = problems
        else:
            row = rows.get(kind) or Template(user_id=current_user.id, kind=kind)
            row.subject, row.body = subject.replace("\n", " "), body
            db.session.add(row)
            db.session.commit()
            flash(f"{KIND_LABELS[kind]} template saved.")
            return redirect(url_for("queue.templates"))
    return (
        render_template(
            "settings/templates.html",
            forms=forms,
            errors=errors,
            kinds=KINDS,
            kind_labels=KIND_LABELS,
            placeholders=PLACEHOLDERS,
            template_max=TEMPLATE_MAX,
            edited=set(rows),
        ),
        400 if errors else 200,
    )
