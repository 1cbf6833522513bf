"""People: Capture, the list, a person, edit, merge, delete, "we talked" and
keep-in-touch."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

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
from werkzeug.exceptions import RequestEntityTooLarge

from .. import card_photos, clock
from ..contact_merge import (
    UNDO_DAYS,
    Gone,
    get_merge,
    possible_duplicates,
    undo_merge,
    undoable_merges,
)
from ..contacts import (
    classify_reach,
    clean_contact,
    contact_to_dict,
    contact_warnings,
    create_contact,
    delete_contact,
    find_by_name,
    find_duplicates,
    get_contact,
    mark_read,
    merge_contacts,
    recent_tags,
    search_contacts,
    update_contact,
)
from ..drafts import KIND_LABELS, dialable, spoken_list
from ..errors import Conflict, DomainError, NotFound, ValidationError
from ..events import default_event, get_event, list_events
from ..extensions import db
from ..followups import (
    followups_for,
    history_for,
)
from ..models import Contact
from ..polish import after_capture
from ..scheduling import log_interaction, schedule_followups, zone_of
from ..transactions import undo_on_error
from ..validation import clean_int, clean_text, display_phone

bp = Blueprint("people", __name__)
# Numbers as people read them: +49 1512 3456789 (stored in E.164).
bp.add_app_template_filter(display_phone, "phone")
bp.add_app_template_filter(dialable, "dialable")


@bp.before_request
@login_required
def require_login():
    """Every page here belongs to a logged-in owner."""


CADENCES = (30, 90, 180)


def local_input(moment: dt.datetime | None) -> str:
    """Format a time for a datetime-local input in the owner's zone."""
    if moment is None:
        return ""
    return clock.local(moment, zone_of(current_user)).strftime("%Y-%m-%dT%H:%M")


def _tags_from_form(form) -> list[str]:
    typed = [t for t in form.get("tags_text", "").split(",") if t.strip()]
    return form.getlist("tag") + typed


def capture_data(form) -> dict:
    """Turn the Capture form into the fields create_contact takes."""
    data: dict = {
        key: form.get(key, "")
        for key in ("name", "company", "title", "talked_about", "promise", "notes")
    }
    errors: dict[str, str] = {}
    for key in ("reach", "reach2"):
        try:
            field, value = classify_reach(
                form.get(key, ""), current_user.default_region
            )
        except ValidationError as error:
            errors[key] = error.fields.get("reach", error.message)
            continue
        if field and not data.get(field):
            data[field] = value
    data["tags"] = _tags_from_form(form)
    if form.get("id"):
        data["id"] = form["id"]
    data["source"] = form.get("source") if form.get("source") == "scan" else "capture"
    if form.get("met_at"):
        data["met_at"] = form["met_at"]
    if form.get("event_id"):
        data["event_id"] = form["event_id"]
    try:
        data["introduced_by_id"] = _introducer_id(form)
    except ValidationError as error:
        errors.update(error.fields)
    if errors:
        _refuse_with_the_other_errors(data, errors, partial=False)
    return data


def _introducer_id(form, current: Contact | None = None) -> str | None:
    """The introducer a Capture or Edit form names.

    One picked from the list, or the one already there when the name is
    unchanged, is kept even when two people share that name; a name typed over
    either (without a script nothing clears the hidden id) is looked up.
    """
    typed = " ".join(form.get("introduced_by", "").split())
    for known in (_picked_person(form.get("introduced_by_id", "")), current):
        if known is not None and typed == known.name:
            return known.id
    return find_by_name(current_user, typed, partial=True)


def _picked_person(contact_id: str) -> Contact | None:
    """The owner's person with this id, if it is one."""
    try:
        return get_contact(current_user, contact_id) if contact_id else None
    except NotFound:
        return None


def _refuse_with_the_other_errors(data: dict, errors: dict, *, partial: bool):
    """Raise `errors` with the other fields' problems, so one round trip fixes all."""
    try:
        clean_contact(
            current_user, {k: v for k, v in data.items() if k != "id"}, partial=partial
        )
    except ValidationError as error:
        errors = {**error.fields, **errors}
    raise ValidationError("Some fields need attention.", errors)


def _form_photo(data: dict) -> card_photos.Photo | None:
    """The Capture form's card photo: a file (no script) or the page's data URL."""
    upload = request.files.get("card_photo_file")
    if upload is not None and upload.filename:
        limit = current_app.config["CARD_PHOTO_MAX_BYTES"]
        data["card_photo"] = "data:image/jpeg;base64," + base64.b64encode(
            upload.stream.read(limit + 1)
        ).decode("ascii")
    elif request.form.get("card_photo"):
        data["card_photo"] = request.form["card_photo"]
    return card_photos.take_photo(data)


def _capture_page(form: dict, errors: dict, status: int = 200):
    now = clock.now()
    events, _ = list_events(current_user, limit=30)
    event = default_event(current_user, now)
    return (
        render_template(
            "capture.html",
            form=form,
            errors=errors,
            events=events,
            default_event=event,
            recent_tags=recent_tags(current_user),
            now_local=local_input(now),
        ),
        status,
    )


@bp.route("/capture", methods=["GET", "POST"])
def capture():
    """The quick form for someone just met; works without JavaScript."""
    if request.method == "GET":
        return _capture_page({"id": str(uuid.uuid4())}, {})
    form = request.form
    if (
        not request.files.get("card_photo_file")
        and (request.content_length or 0) > (current_app.config["MAX_FORM_BYTES"])
    ):
        # Only a card photo makes a capture larger than any other form.
        raise RequestEntityTooLarge("The form is too large.")
    now = clock.now()
    try:
        data = capture_data(form)
        photo = _form_photo(data)
        with undo_on_error():
            contact, _created = create_contact(current_user, data, now)
            if _created and photo is not None:
                card_photos.keep_photo(current_user, contact, photo)
    except DomainError as error:
        shown = form.to_dict()
        shown["tags_text"] = ", ".join(_tags_from_form(form))
        if "id" in error.fields:  # unusable: the next try gets a new one
            shown["id"] = str(uuid.uuid4())
        return _capture_page(shown, error.fields, 400)
    if _created:
        after_capture(contact.id)
    duplicates = find_duplicates(current_user, contact)
    warnings = "".join(f" {w}" for w in contact_warnings(contact))
    if form.get("action") == "another":
        note = " You may have met before — see their page." if duplicates else ""
        flash(f"Saved {contact.name} ✓{note}{warnings}")
        return redirect(url_for("people.capture"))
    if warnings:
        flash(f"Saved {contact.name}.{warnings}")
    return redirect(url_for("people.detail", contact_id=contact.id))


@bp.get("/people")
def index():  # noqa: A001 - the endpoint reads people.list
    """People, newest first: search as you type, filter by event and tag."""
    q = request.args.get("q", "")[:200]
    tag = request.args.get("tag", "")[:40]
    event_id = request.args.get("event_id", "")
    event = None
    if event_id:
        try:
            event = get_event(current_user, event_id)
        except NotFound:
            event = None
    after = None
    cursor = request.args.get("after", "")
    if "|" in cursor:
        created, _, last_id = cursor.partition("|")
        try:
            moment = dt.datetime.fromisoformat(created)
            moment = moment.astimezone(dt.UTC) if moment.tzinfo else None
        except (ValueError, OverflowError):  # year 1 at +05:00 overflows
            moment = None
        if moment is not None:
            after = (moment, last_id)
    if not request.args.get("partial"):
        card_photos.catch_up(current_user)  # photos a stopped worker left unread
    rows, following = search_contacts(
        current_user,
        q,
        event_id=event.id if event else None,
        tag=tag or None,
        unread=bool(request.args.get("unread")),
        after=after,
        limit=50,
    )
    more_url = None
    if following:
        more_url = url_for(
            "people.index",
            q=q or None,
            tag=tag or None,
            event_id=event.id if event else None,
            after="|".join(following),
        )
    events, _ = list_events(current_user, limit=50)
    template = (
        "people/_list.html" if request.args.get("partial") else "people/list.html"
    )
    return render_template(
        template,
        people=rows,
        q=q,
        tag=tag,
        event=event,
        events=events,
        tags=recent_tags(current_user, 30),
        more_url=more_url,
    )


def person_followups(contact: Contact) -> dict:
    """Return the person's follow-up history and interactions for their page."""
    return {
        "followups": followups_for(contact),
        "interactions": [
            (entry, spoken_list([KIND_LABELS[kind] for kind in entry.kinds]))
            for entry in history_for(contact)
        ],
        "now": clock.now(),
    }


@bp.get("/people/<contact_id>")
def detail(contact_id: str):
    """One person: how to reach them, where you met, who introduced whom."""
    contact = get_contact(current_user, contact_id)
    mark_read(contact)
    introduced = db.session.execute(
        db.select(Contact)
        .filter_by(user_id=current_user.id, introduced_by_id=contact.id)
        .order_by(Contact.created_at.desc())
    ).scalars()
    photos = card_photos.photos_of(current_user, contact)
    if any(p.reading == "pending" for p in photos):
        card_photos.catch_up(current_user, contact)
    return render_template(
        "people/detail.html",
        contact=contact,
        photos=photos,
        from_photo=card_photos.fields_sentence(card_photos.fields_from_photo(photos)),
        person=contact_to_dict(contact, current_user),
        introduced=[*introduced],
        duplicates=possible_duplicates(current_user, contact),
        merges=undoable_merges(current_user, contact, clock.now()),
        undo_days=dt.timedelta(days=UNDO_DAYS),
        met_local=clock.local(contact.met_at, zone_of(current_user)),
        history=person_followups(contact),
    )


EDIT_FIELDS = (
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "website",
    "linkedin",
    "talked_about",
    "promise",
    "notes",
    "event_id",
    "met_at",
    "preferred_channel",
    "keep_in_touch_days",
)


@bp.route("/people/<contact_id>/edit", methods=["GET", "POST"])
def edit(contact_id: str):
    """Edit everything known about a person."""
    contact = get_contact(current_user, contact_id)
    errors: dict[str, str] = {}
    shown: dict[str, Any]
    if request.method == "POST":
        form = request.form
        data: dict[str, Any] = {key: form.get(key, "") for key in EDIT_FIELDS}
        data["tags"] = form.get("tags_text", "")
        data["preferred_channel"] = data["preferred_channel"] or None
        if not data["met_at"]:
            data.pop("met_at")  # an emptied time keeps the one on record
        try:
            data["introduced_by_id"] = _introducer_id(form, contact.introduced_by)
        except ValidationError as error:
            errors = error.fields
        try:
            if errors:
                _refuse_with_the_other_errors(data, errors, partial=True)
            with undo_on_error():
                update_contact(current_user, contact, data, clock.now())
                # Saved on the Edit page, every field was seen: checked.
                card_photos.checked(current_user, contact)
        except ValidationError as error:
            errors = error.fields
            shown = form.to_dict()
        else:
            flash(" ".join(["Saved.", *contact_warnings(contact)]))
            return redirect(url_for("people.detail", contact_id=contact.id))
    else:
        shown = dict(contact_to_dict(contact, current_user))
        shown["tags_text"] = ", ".join(contact.tags or [])
        shown["met_at"] = local_input(contact.met_at)
        shown["introduced_by"] = (
            contact.introduced_by.name if contact.introduced_by else ""
        )
    events, _ = list_events(current_user, limit=100)
    return (
        render_template(
            "people/edit.html",
            contact=contact,
            form=shown,
            errors=errors,
            events=events,
        ),
        400 if errors else 200,
    )


@bp.post("/people/<contact_id>/merge")
def merge(contact_id: str):
    """Merge another person (by id, or by exact name) into this one."""
    keep = get_contact(current_user, contact_id)
    other_id = request.form.get("other_id", "")
    try:
        if not other_id:
            other_id = (
                find_by_name(
                    current_user,
                    request.form.get("other_name", ""),
                    "other_name",
                    besides=keep.id,
                )
                or ""
            )
        if not other_id:
            raise ValidationError("Say whom to merge.", {"other_name": "Give a name."})
        other = get_contact(current_user, other_id)
        name = other.name
        with undo_on_error():
            merge_contacts(current_user, keep, other, clock.now())
    except ValidationError as error:
        flash(next(iter(error.fields.values()), error.message))
        return redirect(url_for("people.detail", contact_id=keep.id))
    what = (
        f"the other {name} into this one"
        if name.casefold() == keep.name.casefold()
        else f"{name} into {keep.name}"
    )
    flash(f"Merged {what}. Nothing was lost; you can undo it for {UNDO_DAYS} days.")
    return redirect(url_for("people.detail", contact_id=keep.id))


@bp.post("/people/<contact_id>/merges/<merge_id>/undo")
def undo_merge_page(contact_id: str, merge_id: str):
    """Undo a merge into this person: both people back, later edits kept."""
    keep = get_contact(current_user, contact_id)
    merge = get_merge(current_user, merge_id)
    if merge.kept_id != keep.id:
        raise NotFound("No such merge.")
    try:
        with undo_on_error():
            keep, other = undo_merge(current_user, merge, clock.now())
    except (Conflict, Gone) as error:
        flash(error.message)
        return redirect(url_for("people.detail", contact_id=keep.id))
    flash(f"Undone: {other.name} and {keep.name} are two people again.")
    return redirect(url_for("people.detail", contact_id=keep.id))


@bp.route("/people/<contact_id>/delete", methods=["GET", "POST"])
def delete(contact_id: str):
    """Ask, then delete a person and their follow-ups."""
    contact = get_contact(current_user, contact_id)
    if request.method == "GET":
        return render_template("people/delete.html", contact=contact)
    name = contact.name
    delete_contact(current_user, contact)
    flash(f"Deleted {name}.")
    return redirect(url_for("people.index"))


def person_page(contact: Contact) -> str:
    """The address of the person's page."""
    return url_for("people.detail", contact_id=contact.id)


@bp.post("/people/<contact_id>/talked")
def talked(contact_id: str):
    """Log "we talked": the keep-in-touch clock starts again."""
    contact = get_contact(current_user, contact_id)
    note = clean_text(request.form.get("note", ""), "note", 1000, multiline=True)
    log_interaction(contact, "talked", note, clock.now())
    flash(f"Logged a conversation with {contact.name}.")
    return redirect(person_page(contact))


@bp.post("/people/<contact_id>/cadence")
def cadence(contact_id: str):
    """Set how often to keep in touch with a person (none, 30, 90, 180, custom)."""
    contact = get_contact(current_user, contact_id)
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
        return detail(contact.id), 400
    contact.keep_in_touch_days = days
    schedule_followups(contact, now=clock.now())
    flash("Keep-in-touch saved." if days else "Keep-in-touch turned off.")
    return redirect(person_page(contact))
