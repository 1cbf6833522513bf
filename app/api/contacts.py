"""/api/v1/contacts: capture, search, edit, merge (and undo), delete and parse."""

from __future__ import annotations

from flask import Response, current_app, request, url_for
from flask_login import current_user

from .. import card_photos, clock
from ..capture_batch import MAX_ITEMS, Outcome, batch_duplicates, capture_many
from ..contact_merge import duplicate_summary, get_merge, undo_merge
from ..contacts import (
    contact_to_dict,
    contact_warnings,
    create_contact,
    delete_contact,
    find_duplicates,
    get_contact,
    merge_contacts,
    search_contacts,
    update_contact,
)
from ..errors import (
    DomainError,
    TooLarge,
    UnsupportedMedia,
    ValidationError,
    error_body,
)
from ..events import get_event
from ..extensions import limiter
from ..polish import after_capture
from ..shapes import ContactJSON
from ..transactions import commit_now
from . import bp, encode_cursor, json_body, keyset_cursor, page_limit

MAX_QR_TEXT = 4096


def _answer(user, contact, duplicates: list) -> ContactJSON:
    body = contact_to_dict(contact, user)
    if duplicates:
        body["possible_duplicates"] = [
            duplicate_summary(contact, d) for d in duplicates
        ]
    body["warnings"] = contact_warnings(contact)
    return body


@bp.get("/contacts")
def contacts():
    """Search people, newest first: q, event_id, tag, cursor, limit."""
    after = keyset_cursor(request.args.get("cursor"), str)
    event_id = request.args.get("event_id")
    if event_id:
        event_id = get_event(current_user, event_id).id
    q = request.args.get("q", "")
    if len(q) > 200:
        raise ValidationError("q must be at most 200 characters.", {"q": "Too long."})
    rows, following = search_contacts(
        current_user,
        q,
        event_id=event_id or None,
        tag=request.args.get("tag") or None,
        after=after,
        limit=page_limit(),
    )
    return {
        "items": [contact_to_dict(c, current_user) for c in rows],
        "next": encode_cursor(*following) if following else None,
    }


@bp.post("/contacts")
def create_contact_route():
    """Capture a person; a repeated client id returns the stored person (200)."""
    data = _capture_body()
    user = _requesting_user()
    now = clock.now()
    photo = card_photos.take_photo(data)
    ready: dict = {}

    def answer_first(new) -> None:
        # Before the person is written: on SQLite the write lock, taken by the
        # first INSERT, is then held only for the writes and the commit.
        ready["body"] = _answer(user, new, find_duplicates(user, new))
        ready["location"] = url_for("api.contact", contact_id=new.id)

    contact, created = create_contact(user, data, now, before_write=answer_first)
    if not created:
        # A repeat: the stored person and their duplicates, whatever this held.
        return _answer(user, contact, find_duplicates(user, contact)), 200
    if photo is not None:
        card_photos.keep_photo(user, contact, photo)
    after_capture(contact.id)
    commit_now()
    return ready["body"], 201, {"Location": ready["location"]}


def _requesting_user():
    """The logged-in account itself, looked up once rather than at each use
    through the current_user proxy (a capture uses it a dozen times)."""
    return current_user._get_current_object()


def _capture_body() -> dict:
    """A capture's JSON: as large as its card photo allows, the rest up to 64 KB."""
    data = json_body("MAX_CAPTURE_BYTES")
    photo = data.get("card_photo")
    besides = len(request.get_data(cache=True)) - (
        len(photo) if isinstance(photo, str) else 0
    )
    if besides > current_app.config["MAX_JSON_BYTES"]:
        raise TooLarge("The JSON body is too large.")
    return data


@bp.post("/contacts/batch")
def capture_batch():
    """Capture 1 to 100 people; each item answers as its own POST /contacts would."""
    data = json_body("MAX_BATCH_JSON_BYTES")
    items = data.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise ValidationError(
            f"Send items: a list of 1 to {MAX_ITEMS} captures.",
            {"items": f"Give 1 to {MAX_ITEMS} captures."},
        )
    user = _requesting_user()
    photos, refused = _batch_photos(items)
    taken = [n for n in range(len(items)) if n not in refused]

    def in_order(saved: list) -> list:
        rest = iter(saved)
        return [refused[n] if n in refused else next(rest) for n in range(len(items))]

    ready: dict = {}

    def answer_first(answers: list) -> None:
        # Before the batch writes: on SQLite the write lock is then held only
        # for the writes and the commit.
        ready["answers"] = answers
        ready["results"] = _batch_results(user, in_order(answers))

    saved = capture_many(
        user, [items[n] for n in taken], clock.now(), before_write=answer_first
    )
    outcomes = in_order(saved)
    if ready.get("answers") is saved:
        results = ready["results"]
    else:  # saved one by one after a conflict: answer with what was written
        results = _batch_results(user, outcomes)
    for n, outcome in enumerate(outcomes):
        if outcome.status == 201 and outcome.contact is not None:
            if n in photos:
                card_photos.keep_photo(user, outcome.contact, photos[n])
            after_capture(outcome.contact.id)
    commit_now()
    return {"results": results}


def _batch_results(user, outcomes: list) -> list[dict]:
    """Each item's answer, with the possible duplicates found in one query."""
    duplicates = batch_duplicates(user, outcomes)
    results = []
    for outcome in outcomes:
        result = {"id": outcome.id, "status": outcome.status}
        if outcome.contact is not None:
            # The single capture's answer, warnings included.
            found = duplicates.get(outcome.contact.id, [])
            result["contact"] = _answer(user, outcome.contact, found)
        else:
            result["error"] = _error_body(outcome.error)
        results.append(result)
    return results


def _batch_photos(items: list) -> tuple[dict[int, card_photos.Photo], dict]:
    """Each item's card photo, taken out of it: (photos, refused items) by position.

    An item whose photo can't be used is refused on its own, as its own
    POST /contacts would be.
    """
    photos: dict[int, card_photos.Photo] = {}
    refused: dict[int, Outcome] = {}
    for n, item in enumerate(items):
        try:
            photo = card_photos.take_photo(item)
        except DomainError as error:
            given = item.get("id") if isinstance(item.get("id"), str) else None
            refused[n] = Outcome(given, error.status, error=error)
            continue
        if photo is not None:
            photos[n] = photo
    return photos, refused


def _error_body(error: DomainError) -> dict:
    return error_body(error.status, error.message, error.code, error.fields)


@bp.get("/contacts/<contact_id>")
def contact(contact_id: str):
    """Show one person, with their card photos and what reading them filled in."""
    person = get_contact(current_user, contact_id)
    photos = card_photos.photos_of(current_user, person)
    return {
        **contact_to_dict(person, current_user),
        "card_photos": [
            {
                "id": p.id,
                "url": url_for("api.card_photo", contact_id=person.id, photo=p.id),
                "width": p.width,
                "height": p.height,
                "reading": p.reading,
                "created_at": clock.iso(p.created_at),
            }
            for p in photos
        ],
        "fields_from_photo": card_photos.fields_from_photo(photos),
    }


@bp.patch("/contacts/<contact_id>")
def update_contact_route(contact_id: str):
    """Change some of a person's fields."""
    person = get_contact(current_user, contact_id)
    data = json_body()
    data.pop("id", None)
    update_contact(current_user, person, data, clock.now())
    card_photos.checked(current_user, person, set(data))
    return contact_to_dict(person, current_user)


@bp.delete("/contacts/<contact_id>")
def delete_contact_route(contact_id: str):
    """Delete a person."""
    delete_contact(current_user, get_contact(current_user, contact_id))
    return "", 204


@bp.post("/contacts/<contact_id>/merge")
def merge_contact_route(contact_id: str):
    """Merge the person `other_id` into this one."""
    keep = get_contact(current_user, contact_id)
    data = json_body()
    other_id = data.get("other_id")
    if not isinstance(other_id, str) or not other_id:
        raise ValidationError("Give other_id.", {"other_id": "Required."})
    other = get_contact(current_user, other_id)
    merge = merge_contacts(current_user, keep, other, clock.now())
    return {**contact_to_dict(keep, current_user), "merge_id": merge.id}


@bp.post("/merges/<merge_id>/undo")
def undo_merge_route(merge_id: str):
    """Undo a merge (for 30 days): both people back, each with their own."""
    merge = get_merge(current_user, merge_id)
    keep, other = undo_merge(current_user, merge, clock.now())
    return {
        "kept": contact_to_dict(keep, current_user),
        "other": contact_to_dict(other, current_user),
    }


def _per_account() -> str:
    return f"account:{getattr(current_user, 'id', None)}"


@bp.post("/contacts/scan-card")
@limiter.limit(
    lambda: current_app.config["CARD_SCAN_RATE_LIMIT"],
    key_func=_per_account,
    scope="scan-card",
)
def scan_card():
    """Read a photo of a paper business card into contact fields; nothing is saved."""
    limit = card_photos.max_bytes()
    too_large = card_photos.too_large("image")
    if (
        request.content_length
        and request.content_length > (current_app.config["MAX_CARD_UPLOAD_BYTES"])
    ):
        raise too_large
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMedia(
            "Send the photo as multipart/form-data, in the field image.",
            {"image": "Required."},
        )
    upload = request.files.get("image")
    if upload is None:
        raise ValidationError(
            "Send the photo in the multipart field image.", {"image": "Required."}
        )
    image = upload.stream.read(limit + 1)
    if len(image) > limit:
        raise too_large
    return card_photos.scan(image, current_user.default_region or "US")


@bp.get("/contacts/<contact_id>/card-photo")
def card_photo(contact_id: str):
    """The person's card photo (the newest, or ?photo=<id>), to its owner only."""
    person = get_contact(current_user, contact_id)
    raw = request.args.get("photo", "")
    photo_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    if raw and photo_id is None:
        raise ValidationError("photo must be a photo's id.", {"photo": "Not valid."})
    photo = card_photos.get_photo(current_user, person, photo_id)
    return photo_response(photo)


def photo_response(photo) -> Response:
    """A card photo's JPEG, private to its owner: never kept by any cache."""
    response = Response(photo.data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.post("/contacts/parse")
def parse_contact_text():
    """Turn decoded QR text into contact fields; nothing is saved."""
    from ..formats.vcard_read import parse_qr_text

    data = json_body()
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("Send the decoded text as text.", {"text": "Required."})
    if len(text) > MAX_QR_TEXT:
        raise TooLarge(
            f"text must be at most {MAX_QR_TEXT} characters.", {"text": "Too long."}
        )
    result = parse_qr_text(text, current_user.default_region or "US")
    kind = result.pop("kind", None)
    warnings = result.pop("warnings", [])
    return {"fields": result, "kind": kind, "warnings": warnings}
