"""The JSON API under /api/v1: one blueprint, one module per area."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime

from flask import Blueprint, current_app, request
from flask_login import current_user

from ..errors import (
    DomainError,
    TooLarge,
    UnsupportedMedia,
    ValidationError,
    WrongAccount,
)
from ..models import MAX_ID
from ..validation import SURROGATE, parse_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def require_login():
    # Every API route is private unless it says otherwise in PUBLIC_ENDPOINTS.
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        from ..extensions import login_manager

        return login_manager.unauthorized()
    claimed = request.headers.get(ACCOUNT_HEADER)
    if claimed and claimed != current_user.device_key:
        # The phone's outbox names the account each capture was made under.
        raise WrongAccount(
            "This was saved on this device by another account. Log in as that "
            "account to send it."
        )
    return None


@bp.after_request
def discard_unread_body(response):
    """Read and drop a body the API answered without reading (a 413, a 401).

    Left on the socket, it ends a keep-alive connection: gunicorn drains only
    64 KB of it and then closes the connection without answering the next
    request. Bodies up to MAX_CONTENT_LENGTH are read; a larger one is refused
    by the server before any of it is read, and its connection closes.
    """
    length = request.content_length or 0
    limit = request.max_content_length or 0
    if not 0 < length <= limit:
        return response
    if length <= current_app.config["MAX_JSON_BYTES"]:
        # Small enough to keep: whatever runs after this still reads the body.
        request.get_data(cache=True)
    else:
        while request.stream.read(64 * 1024):
            pass
    return response


# Sent by the PWA's outbox with each capture: the account it was made under.
ACCOUNT_HEADER = "X-Morrow-Account"


PUBLIC_ENDPOINTS: set[str] = {"api.openapi"}


def json_body(limit: str = "MAX_JSON_BYTES") -> dict:
    """Return the request's JSON object, or raise a clear 4xx.

    `limit` names the config key of the largest body taken (a batch takes more).
    """
    most = current_app.config[limit]
    if request.content_length and request.content_length > most:
        raise TooLarge("The JSON body is too large.")
    if not request.is_json:
        raise UnsupportedMedia("Send JSON with Content-Type: application/json.")
    raw = request.get_data(cache=True)
    if len(raw) > most:
        raise TooLarge("The JSON body is too large.")
    data = parse_json(raw or b"null", "The body is not valid JSON.")
    if not isinstance(data, dict):
        raise ValidationError("The body must be a JSON object.")
    return data


def encode_cursor(*values) -> str:
    """The one cursor format of every list: [ISO time or date, key], base64url JSON.

    Lists are sorted by (time or date, key) descending; the cursor is the last
    item's position, read back by keyset_cursor.
    """
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list | None:
    """Read a cursor made by encode_cursor; a damaged one is a 400."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode())
    except (ValueError, UnicodeError):
        raise ValidationError(
            "The cursor is not valid.", {"cursor": "Not valid."}
        ) from None
    values = parse_json(raw, "The cursor is not valid.", {"cursor": "Not valid."})
    if not isinstance(values, list):
        raise ValidationError("The cursor is not valid.", {"cursor": "Not valid."})
    return values


def keyset_cursor(
    raw: str | None, key_type: type, sort: type = datetime
) -> tuple | None:
    """Read a (time, key) cursor, or (date, key) with sort=date; else a 400."""
    values = decode_cursor(raw)
    if values is None:
        return None
    invalid = ValidationError("The cursor is not valid.", {"cursor": "Not valid."})
    if len(values) != 2 or not isinstance(values[0], str):
        raise invalid
    if type(values[1]) is not key_type or not key_fits(values[1]):
        raise invalid
    if sort is date:
        try:
            return date.fromisoformat(values[0]), values[1]
        except ValueError:
            raise invalid from None
    try:
        moment = datetime.fromisoformat(values[0])
    except ValueError:
        raise invalid from None
    if moment.tzinfo is None:
        raise invalid
    try:
        # Stored rows may predate the date window: any moment the database can
        # hold is a valid place to continue from, but not one past year 9999.
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise invalid from None
    return moment, values[1]


def key_fits(key) -> bool:
    """Tell whether a cursor's key could be a stored one (ids fit the database)."""
    if isinstance(key, int):
        return 0 < key <= MAX_ID
    return isinstance(key, str) and len(key) <= 36 and not SURROGATE.search(key)


def page_limit(default: int = 50, maximum: int = 200) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    # ASCII digits only: "²" passes isdigit() and "١٢" int(), neither is a limit.
    if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= maximum:
        raise ValidationError(
            f"limit must be between 1 and {maximum}.", {"limit": "Out of range."}
        )
    return int(raw)


__all__ = ["bp", "json_body", "DomainError"]

# Each area's routes register themselves on bp when imported.
from . import account, contacts, events, followups, io, push  # noqa: E402,F401
