"""Photos of paper business cards: checked, kept with their person, read later.

- **Checking.** A photo is a JPEG, PNG or WebP (HEIC, or anything else, is a
  415 saying so) of at most CARD_PHOTO_MAX_BYTES (413) and MAX_PIXELS (422);
  `check_image` reads only its header.
- **Keeping.** A capture's photo (`card_photo`: a data URL in the JSON of
  POST /api/v1/contacts and of each batch item, or a file on the Capture page)
  is decoded with Pillow, turned upright (its EXIF orientation applied),
  shrunk to at most MAX_SIDE px on its longest side and saved as a new JPEG
  with no metadata at all: no EXIF, so no GPS location, no camera serial.
  It is stored in the database (`contact_photos`), written in the capture's
  own transaction: the same capture sent twice stores one person with one
  photo, and a backup of the database holds the photos. Deleting the person
  or the account deletes their photos (foreign keys, account_deletion); a
  merge moves them to the person kept, and undoing it moves them back.
- **Reading after the capture.** When a capture with a photo leaves any of
  the card's fields empty (a capture made offline, whose photo waited in the
  outbox), the card is read once the request has committed, in this
  process's small thread pool (like app/polish.py), so a batch of captures
  answers at once. Only fields still empty when the reading is written are
  filled, through contacts.update_contact (search text, duplicate keys and
  drafts follow): whatever the owner typed, before or meanwhile, wins. The
  photo row names the fields it filled, and the person's page asks the owner
  to check them.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import logging
import re
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import select

from . import clock
from .background import ProcessPool
from .drafts import spoken_list
from .errors import DomainError, TooLarge, Unprocessable, UnsupportedMedia
from .extensions import db
from .models import Contact, ContactPhoto, User
from .transactions import after_commit

log = logging.getLogger(__name__)

MAX_SIDE = 1600
JPEG_QUALITY = 85
# Pixels a photo may have (a 48 MP phone photo saves at 12 MP by default). A
# JPEG is decoded at a fraction of its size (see prepare); a PNG or WebP whole,
# 3 bytes a pixel, so its limit keeps a worker within its memory budget.
MAX_PIXELS = 50_000_000
MAX_PIXELS_UNSCALED = 16_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# ISO base media brands of HEIF/HEIC/AVIF photos (iPhones' default camera format).
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"avif")
# The fields a card fills (the shape of POST /api/v1/contacts/parse).
CARD_FIELDS = ("name", "title", "company", "email", "phone", "website", "linkedin")
# The name a capture with a photo but no typed name gets until the card is read.
UNNAMED = "Card photo"
DAMAGED = "The photo is damaged and can't be read."
SEND_THESE = "send a JPEG, PNG or WebP."
WORKERS = 1  # the reading itself queues in its own process (app/card_reading)

_lock = threading.Lock()
_running: set[Future] = set()
_busy: set[int] = set()  # photo ids this process's pool holds
# A photo still unread this long after its capture was left by a worker that
# stopped (a restart, a deploy): catch_up hands it over again.
STALE_AFTER = dt.timedelta(minutes=2)
CATCH_UP_MAX = 10


class PhotoRefused(DomainError):
    """A photo Morrow can't take, with the status that says why (413/415/422)."""

    def __init__(self, status: int, message: str, field: str = "card_photo") -> None:
        super().__init__(message, {field: message})
        self.status = status
        self.code = {
            413: TooLarge.code,
            415: UnsupportedMedia.code,
            422: Unprocessable.code,
        }.get(status, "bad_request")


@dataclass
class Photo:
    """A photo ready to keep: a clean JPEG and its size."""

    jpeg: bytes
    width: int
    height: int
    # Read on the phone already (scan-card) and reviewed: not read again.
    read: bool = False


def max_bytes() -> int:
    return int(current_app.config["CARD_PHOTO_MAX_BYTES"])


def too_large(field: str) -> PhotoRefused:
    limit = max_bytes()
    size = (
        f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
    )
    return PhotoRefused(413, f"The photo is larger than {size}.", field)


def check_image(data: bytes, field: str = "image"):
    """Open the photo's header with Pillow, or refuse it: 413, 415 or 422.

    Answers the opened (not yet decoded) image.
    """
    from PIL import Image, UnidentifiedImageError

    if len(data) > max_bytes():
        raise too_large(field)
    if not data:
        raise PhotoRefused(422, "The photo is empty.", field)
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        raise PhotoRefused(
            415,
            "HEIC photos can't be read here: send a JPEG, PNG or WebP (on an "
            "iPhone, Settings → Camera → Formats → Most Compatible).",
            field,
        )
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        from .card_reading import image_kind

        if image_kind(data):  # a JPEG, PNG or WebP by its first bytes: damaged
            raise PhotoRefused(422, DAMAGED, field) from None
        raise PhotoRefused(
            415, "That is not a photo: send a JPEG, PNG or WebP.", field
        ) from None
    except (OSError, ValueError, SyntaxError):
        raise PhotoRefused(422, DAMAGED, field) from None
    if image.format not in FORMATS:
        raise PhotoRefused(
            415,
            f"{image.format} images can't be read: send a JPEG, PNG or WebP.",
            field,
        )
    width, height = image.size
    most = MAX_PIXELS if image.format == "JPEG" else MAX_PIXELS_UNSCALED
    if width < 1 or height < 1 or width * height > most:
        raise PhotoRefused(
            422, f"The photo has too many pixels (at most {most:,}).", field
        )
    return image


# One photo decoded at a time in a worker: each takes ~10-30 MB for a moment
# (a 12 MP JPEG, ~0.1 s), and a worker's threads must not take it at once.
_decoding = threading.BoundedSemaphore(1)


def prepare(data: bytes, field: str = "card_photo") -> Photo:
    """Decode, turn upright, shrink and re-encode a photo without any metadata."""
    with _decoding:
        return _prepare(data, field)


def _prepare(data: bytes, field: str) -> Photo:
    from PIL import Image, ImageOps

    image = check_image(data, field)
    try:
        if image.format == "JPEG":
            # Decode at the smallest scale (1/2, 1/4, 1/8) still as large as
            # the photo kept: a 12 MP photo then takes a quarter of the memory.
            scale = MAX_SIDE / max(image.size)
            if scale < 1:
                image.draft(
                    "RGB", (round(image.width * scale), round(image.height * scale))
                )
        # Shrunk first, turned upright after: a photo is never held twice at
        # full size (exif_transpose copies it).
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        image = ImageOps.exif_transpose(image)
        if image.mode != "RGB":
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        out = io.BytesIO()
        # No exif=, icc_profile= or comment: the new file carries no metadata.
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise PhotoRefused(422, DAMAGED, field) from None
    return Photo(out.getvalue(), image.width, image.height)


_DATA_URL = re.compile(r"data:image/[\w.+-]+(?:;[\w=.+-]+)*;base64,", re.I)


def from_data_url(value, field: str = "card_photo") -> bytes:
    """The bytes of a `data:image/…;base64,…` URL (or bare base64)."""
    if not isinstance(value, str) or not value.strip():
        raise PhotoRefused(
            422, "Give the photo as data:image/jpeg;base64,… text.", field
        )
    value = value.strip()
    match = _DATA_URL.match(value)
    if match:
        value = value[match.end() :]
    elif value.startswith("data:"):
        raise PhotoRefused(
            415, "The photo must be an image as base64: data:image/jpeg;base64,…", field
        )
    if len(value) > (max_bytes() + 2) // 3 * 4 + 4:
        raise too_large(field)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise PhotoRefused(422, "The photo's base64 text is damaged.", field) from None


def take_photo(data: dict) -> Photo | None:
    """Take a capture's `card_photo` out of its fields, checked and made clean.

    A capture with a photo may leave the name out (snapped in a hurry, read
    later): it is saved as UNNAMED until the card is read. `card_photo_read`
    true says the phone had the card read already (scan-card) and the owner
    reviewed the fields: then nothing is read again, so a field the owner
    cleared stays empty.
    """
    if not isinstance(data, dict):
        return None
    read = data.pop("card_photo_read", False)
    if "card_photo" not in data:
        return None
    value = data.pop("card_photo")
    if value in (None, ""):
        return None
    photo = prepare(from_data_url(value))
    photo.read = read is True
    if not (isinstance(data.get("name"), str) and data["name"].strip()):
        data["name"] = UNNAMED
    return photo


def _empty_fields(contact: Contact) -> list[str]:
    empty = [f for f in CARD_FIELDS if not (getattr(contact, f) or "").strip()]
    if contact.name == UNNAMED and "name" not in empty:
        empty.insert(0, "name")
    return empty


def keep_photo(user: User, contact: Contact, photo: Photo) -> ContactPhoto:
    """Keep a new person's card photo; read it after the commit if fields are empty.

    It writes and flushes, never commits: the capture's request commits it.
    """
    row = ContactPhoto(
        user_id=user.id,
        contact_id=contact.id,
        data=photo.jpeg,
        width=photo.width,
        height=photo.height,
        reading="pending" if not photo.read and _empty_fields(contact) else "none",
        filled_fields=[],
        created_at=clock.now(),
    )
    db.session.add(row)
    db.session.flush()
    if row.reading == "pending":
        request_reading([row.id])
    return row


def photos_of(user: User, contact: Contact) -> list[ContactPhoto]:
    """The person's card photos, oldest first (their bytes load when read)."""
    from sqlalchemy.orm import defer

    return list(
        db.session.execute(
            select(ContactPhoto)
            .options(defer(ContactPhoto.data))
            .where(
                ContactPhoto.user_id == user.id, ContactPhoto.contact_id == contact.id
            )
            .order_by(ContactPhoto.created_at, ContactPhoto.id)
        ).scalars()
    )


def fields_from_photo(photos: list[ContactPhoto]) -> list[str]:
    """The fields card photos filled in, in card order, for the owner to check."""
    filled = {f for p in photos for f in (p.filled_fields or [])}
    return [f for f in CARD_FIELDS if f in filled]


def checked(user: User, contact: Contact, fields: set[str] | None = None) -> None:
    """The owner changed these fields (None: all): no more "check these" for them."""
    for photo in photos_of(user, contact):
        filled = photo.filled_fields or []
        left = [] if fields is None else [f for f in filled if f not in fields]
        if left != filled:
            photo.filled_fields = left
    db.session.flush()


LABELS = {"linkedin": "LinkedIn"}


def fields_sentence(fields: list[str]) -> str:
    """ "title, company and email": the fields as the person's page names them."""
    return spoken_list([LABELS.get(f, f) for f in fields])


def get_photo(
    user: User, contact: Contact, photo_id: int | None = None
) -> ContactPhoto:
    """One of the person's photos (the newest without an id), or NotFound."""
    from .errors import NotFound

    query = select(ContactPhoto).where(
        ContactPhoto.user_id == user.id, ContactPhoto.contact_id == contact.id
    )
    if photo_id is not None:
        query = query.where(ContactPhoto.id == photo_id)
    found = db.session.execute(
        query.order_by(ContactPhoto.created_at.desc(), ContactPhoto.id.desc()).limit(1)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("No card photo here.")
    return found


# Reading the card ---------------------------------------------------------


def read_card(image: bytes, region: str) -> dict:
    """Read a card photo (app/card_reading, in its own process): the parse shape."""
    from .card_reading import read_card as read

    return dict(read(image, region, limit=max_bytes()))


def scan(image: bytes, region: str) -> dict:
    """Read a photo for the scan-card API: {fields, lines}; refusals 413/415/422.

    card_reading.CardImageError (a DomainError) answers with its own status.
    """
    check_image(image)
    return read_card(image, region)


def _forget_parents_work() -> None:
    _running.clear()
    _busy.clear()


_pool = ProcessPool(WORKERS, "morrow-card-reading", _lock, _forget_parents_work).get


def request_reading(photo_ids: list[int]) -> None:
    """Read these photos once the request's writes are committed."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's app
    with _lock:
        photo_ids = [i for i in photo_ids if i not in _busy]
        _busy.update(photo_ids)
    if not photo_ids:
        return

    def submit() -> None:
        future = _pool().submit(_run, app, list(photo_ids))
        with _lock:
            _running.add(future)
        future.add_done_callback(_forget)

    after_commit(submit)


def _forget(future: Future) -> None:
    with _lock:
        _running.discard(future)


def wait_for_readings(timeout: float = 30.0) -> None:
    """Wait until the readings handed over so far are written (tests, CLI)."""
    from concurrent.futures import wait

    with _lock:
        pending = list(_running)
    wait(pending, timeout=timeout)


def catch_up(user: User, contact: Contact | None = None) -> None:
    """Read again the owner's photos a stopped worker left unread (People pages)."""
    query = select(ContactPhoto.id).where(
        ContactPhoto.user_id == user.id,
        ContactPhoto.reading == "pending",
        ContactPhoto.created_at < clock.now() - STALE_AFTER,
    )
    if contact is not None:
        query = query.where(ContactPhoto.contact_id == contact.id)
    ids = list(db.session.execute(query.limit(CATCH_UP_MAX)).scalars())
    if ids:
        request_reading(ids)


def _run(app: Flask, photo_ids: list[int]) -> None:
    try:
        with app.app_context():
            for photo_id in photo_ids:
                try:
                    fill_from_photo(photo_id)
                except Exception:  # one photo's trouble never stops the others
                    log.exception("Card photo %s: reading failed", photo_id)
                    db.session.rollback()
                    _mark(photo_id, "failed")
            db.session.remove()
    finally:
        with _lock:
            _busy.difference_update(photo_ids)


def _mark(photo_id: int, reading: str) -> None:
    try:
        row = db.session.get(ContactPhoto, photo_id)
        if row is not None:
            row.reading = reading
            db.session.commit()
    except Exception:
        log.exception("Card photo %s: could not note the reading", photo_id)
        db.session.rollback()


def fill_from_photo(photo_id: int) -> list[str]:
    """Read a kept photo and fill its person's fields still empty; commit.

    Answers the fields filled. The slow reading runs with no transaction open;
    the write then takes the write lock, looks at the person afresh and fills
    only what is empty then, so an edit made meanwhile always wins.
    """
    row = db.session.get(ContactPhoto, photo_id)
    contact = db.session.get(Contact, row.contact_id) if row is not None else None
    if row is None or contact is None or row.reading != "pending":
        db.session.rollback()
        return []
    if not _empty_fields(contact):
        row.reading = "none"
        db.session.commit()
        return []
    user = db.session.get(User, row.user_id)
    region = (user.default_region if user else "") or "US"
    image = row.data
    db.session.rollback()  # no transaction held while the card is read
    reading = _read_with_retry(image, region)
    fields = reading.get("fields") or {}
    filled = _write_reading(photo_id, fields)
    db.session.commit()
    return filled


def _read_with_retry(image: bytes, region: str) -> dict:
    """Read the card; the OCR process busy or restarting (503) gets two more tries."""
    for wait in (2.0, 10.0, None):
        try:
            return read_card(image, region)
        except DomainError as error:
            if error.status != 503 or wait is None:
                raise
            time.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def _write_reading(photo_id: int, fields: dict) -> list[str]:
    """Fill the fields still empty from what was read; note them on the photo."""
    from .contacts import update_contact
    from .transactions import begin_write

    begin_write()
    row = db.session.get(ContactPhoto, photo_id, populate_existing=True)
    if row is None or row.reading != "pending":  # another worker wrote it meanwhile
        return []
    contact = db.session.get(
        Contact, row.contact_id, populate_existing=True, with_for_update=True
    )
    user = db.session.get(User, row.user_id)
    if contact is None or user is None:
        return []
    values = _usable_values(user, contact, fields)
    if values:
        update_contact(user, contact, values, clock.now())
    row.reading = "read"
    row.filled_fields = [f for f in CARD_FIELDS if f in values]
    db.session.flush()
    return list(row.filled_fields)


def _usable_values(user: User, contact: Contact, fields: dict) -> dict:
    """What was read for the person's empty fields, each value one that passes."""
    from .contacts import clean_contact
    from .errors import ValidationError

    values: dict = {}
    for field in _empty_fields(contact):
        value = fields.get(field)
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            clean_contact(user, {field: value}, partial=True)
        except ValidationError:
            log.info("Card photo: a %s read from the card did not pass", field)
            continue
        values[field] = value.strip()
    if "name" in values:
        first, last = fields.get("first_name"), fields.get("last_name")
        if isinstance(first, str) and isinstance(last, str) and (first or last):
            values["first_name"], values["last_name"] = first[:100], last[:100]
    return values
