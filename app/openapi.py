"""The OpenAPI 3.1 description of /api/v1, kept by hand next to the routes.

tests/test_openapi.py fails when a route of the URL map is missing here, and
tests/test_schemathesis.py checks the answers against these schemas.
"""

from __future__ import annotations

import copy
from typing import Any

from .cards import CARD_FIELDS, MAX_LINKS
from .contacts import CHANNELS, MAX_TAG_LENGTH, MAX_TAGS, SOURCES, TEXT_LIMITS

# The card's text fields; links is a list.
CARD_TEXT_FIELDS = tuple(f for f in CARD_FIELDS if f != "links")

ERROR_CODES = {
    400: "The request is not valid (see error.fields).",
    401: "Not logged in: send a bearer token or the session cookie.",
    404: "No such object among the owner's (another account's objects are 404 too).",
    405: "The method is not allowed on this path.",
    409: "The request conflicts with the stored state.",
    410: "Gone: too old to act on any more (a merge can be undone for 30 days).",
    413: "The body is larger than the limit.",
    415: "The body's media type is not accepted.",
    422: "The content could not be used.",
    429: "Too many requests.",
}


def _s(kind: str | list, **extra) -> dict:
    return {"type": kind, **extra}


STR = _s("string")
NSTR = _s(["string", "null"])
TIME = _s("string", format="date-time")
NTIME = _s(["string", "null"], format="date-time")
CHANNEL = {"enum": [*CHANNELS, None]}

# The one error body (DESIGN §4): under "error" in every 4xx, and in a batch item.
ERROR_BODY = _s(
    "object",
    required=["code", "message"],
    properties={
        "code": STR,
        "message": STR,
        "fields": _s("object", additionalProperties=STR),
    },
)

SCHEMAS: dict[str, Any] = {
    "Error": _s("object", required=["error"], properties={"error": ERROR_BODY}),
    "Me": _s(
        "object",
        required=[
            "email",
            "timezone",
            "followup_hour",
            "default_region",
            "weekly_goal",
        ],
        properties={
            "email": STR,
            "timezone": STR,
            "followup_hour": _s("integer", minimum=0, maximum=23),
            "default_region": STR,
            "weekly_goal": _s("integer", minimum=0, maximum=100),
            "calendar_feed_url": NSTR,
            "nudge_email": _s(
                "boolean", description="The morning e-mail digest (needs MAIL_URL)"
            ),
        },
    ),
    "MeUpdate": _s(
        "object",
        properties={
            "timezone": _s("string", description="IANA name, e.g. Europe/Berlin"),
            "followup_hour": _s("integer", minimum=0, maximum=23),
            "default_region": _s("string", description="ISO 3166 two letters"),
            "weekly_goal": _s("integer", minimum=0, maximum=100),
            "nudge_email": _s("boolean"),
        },
    ),
    "PushSubscription": _s(
        "object",
        required=["endpoint", "keys"],
        description="A browser's PushSubscription.toJSON()",
        properties={
            "endpoint": _s(
                "string",
                format="uri",
                description="https:// on a public address (or PUSH_ALLOWED_HOSTS)",
            ),
            "keys": _s(
                "object",
                required=["p256dh", "auth"],
                properties={"p256dh": STR, "auth": STR},
            ),
        },
    ),
    "Card": _s(
        "object",
        required=["first_name", "last_name", "slug", "public_fields", "public_url"],
        properties={
            **{k: STR for k in CARD_TEXT_FIELDS},
            "links": _s("array", items=STR),
            "slug": NSTR,
            "public_fields": _s("array", items=STR),
            "public_url": NSTR,
            "published": _s("boolean"),
            "view_count": _s("integer"),
            "exchange_count": _s("integer"),
        },
    ),
    "CardUpdate": _s(
        "object",
        properties={
            **{k: STR for k in (*CARD_TEXT_FIELDS, "slug")},
            "links": _s("array", items=STR, maxItems=MAX_LINKS),
            "public_fields": _s("array", items=_s("string", enum=list(CARD_FIELDS))),
        },
    ),
    "Event": _s(
        "object",
        required=["id", "name", "date", "place", "notes", "active"],
        properties={
            "id": _s("integer"),
            "name": STR,
            "date": _s("string", format="date"),
            "place": STR,
            "notes": STR,
            "active": _s("boolean"),
        },
    ),
    "EventInput": _s(
        "object",
        properties={
            "name": _s("string", maxLength=140),
            "date": _s("string", format="date"),
            "place": _s("string", maxLength=200),
            "notes": _s("string", maxLength=5000),
            "active": _s("boolean"),
        },
    ),
    "EventScore": _s(
        "object",
        required=["event_id", "people", "followed_up_within_48h", "promises_overdue"],
        properties={
            "event_id": _s("integer"),
            "people": _s("integer"),
            "followed_up_within_48h": _s("integer"),
            "promises_overdue": _s("integer"),
            "overdue_promises": _s(
                "array",
                items=_s(
                    "object",
                    properties={
                        "followup_id": _s("integer"),
                        "contact_id": STR,
                        "contact_name": STR,
                        "promise": STR,
                        "due_at": TIME,
                    },
                ),
            ),
        },
    ),
    "Contact": _s(
        "object",
        required=["id", "name", "source", "tags", "met_at", "created_at"],
        properties={
            "id": _s("string", format="uuid"),
            **{k: STR for k in (*TEXT_LIMITS, "email", "website", "linkedin")},
            "phone": _s(
                "string",
                description="E.164; a possible but not valid number as typed; or empty",
            ),
            "tags": _s("array", items=STR),
            "event_id": _s(["integer", "null"]),
            "met_at": TIME,
            "introduced_by_id": NSTR,
            "source": {"enum": list(SOURCES)},
            "preferred_channel": CHANNEL,
            "keep_in_touch_days": _s(["integer", "null"]),
            "last_interaction_at": NTIME,
            "unread": _s("boolean"),
            "created_at": TIME,
            "updated_at": TIME,
            "extras": _s(
                "object",
                description="Values a merge kept beside the fields, by field",
                additionalProperties=_s("array", items=STR),
            ),
            "merge_id": _s(
                "string", description="In a merge's answer: undo it with this"
            ),
            "possible_duplicates": _s(
                "array",
                items=_s(
                    "object",
                    properties={
                        "id": STR,
                        "name": STR,
                        "company": STR,
                        "matched_on": _s("array", items=STR),
                    },
                ),
            ),
            "warnings": _s(
                "array",
                items=STR,
                description="Captures and batch items: what was saved but needs a look",
            ),
            "card_photos": _s(
                "array",
                items={"$ref": "#/components/schemas/CardPhoto"},
                description="GET /contacts/{contact_id} only: photos of their card",
            ),
            "fields_from_photo": _s(
                "array",
                items=STR,
                description=(
                    "GET /contacts/{contact_id} only: fields filled in from the "
                    "card photo, for the owner to check"
                ),
            ),
        },
    ),
    "ContactInput": _s(
        "object",
        properties={
            "id": _s("string", format="uuid", description="client-chosen, idempotent"),
            **{k: _s("string", maxLength=n) for k, n in TEXT_LIMITS.items()},
            **{k: STR for k in ("email", "phone", "website", "linkedin")},
            "tags": _s(
                "array", items=_s("string", maxLength=MAX_TAG_LENGTH), maxItems=MAX_TAGS
            ),
            "event_id": _s(["integer", "null"]),
            "met_at": _s("string", format="date-time"),
            "introduced_by_id": NSTR,
            "source": {"enum": list(SOURCES)},
            "preferred_channel": CHANNEL,
            "keep_in_touch_days": _s(["integer", "null"], minimum=1, maximum=3650),
            "card_photo": _s(
                ["string", "null"],
                description=(
                    "Capture only: a photo of their paper card, "
                    "data:image/jpeg;base64,… (JPEG, PNG or WebP, at most "
                    "CARD_PHOTO_MAX_BYTES, 10 MB by default). Kept resized (at most "
                    "1600 px) and without metadata; with it the name may be left "
                    "out. Fields left empty are read from the card after the "
                    "capture is saved; what was typed is never changed."
                ),
            ),
            "card_photo_read": _s(
                "boolean",
                description=(
                    "Capture only: true when the card was read already "
                    "(scan-card) and the fields reviewed: it is not read again"
                ),
            ),
        },
    ),
    "BatchResults": _s(
        "object",
        required=["results"],
        properties={
            "results": _s(
                "array",
                description="One per item, in order: what its own create answers",
                items=_s(
                    "object",
                    required=["id", "status"],
                    properties={
                        "id": NSTR,
                        "status": _s(
                            "integer",
                            description="201 created, 200 already stored, or a 4xx",
                        ),
                        "contact": {"$ref": "#/components/schemas/Contact"},
                        "error": ERROR_BODY,
                    },
                ),
            )
        },
    ),
    "ParseResult": _s(
        "object",
        required=["fields", "kind", "warnings"],
        properties={
            "fields": _s("object"),
            "kind": NSTR,
            "warnings": _s("array", items=STR),
        },
    ),
    "CardReading": _s(
        "object",
        required=["fields", "lines"],
        properties={
            "fields": _s(
                "object",
                description=(
                    "What the card says, the fields of /contacts/parse: phone "
                    "in E.164 (the owner's region), a field not found empty"
                ),
                properties={
                    k: STR
                    for k in (
                        "name",
                        "first_name",
                        "last_name",
                        "title",
                        "company",
                        "email",
                        "phone",
                        "website",
                        "linkedin",
                    )
                },
            ),
            "lines": _s("array", items=STR, description="The text lines read"),
        },
    ),
    "CardPhoto": _s(
        "object",
        required=["id", "url", "width", "height", "reading", "created_at"],
        properties={
            "id": _s("integer"),
            "url": _s("string", description="GET it for the JPEG (owner only)"),
            "width": _s("integer"),
            "height": _s("integer"),
            "reading": {
                "enum": ["none", "pending", "read", "failed"],
                "description": "Reading the card to fill empty fields",
            },
            "created_at": TIME,
        },
    ),
    "FollowUp": _s(
        "object",
        required=["id", "contact_id", "kind", "due_at", "status", "draft", "links"],
        properties={
            "id": _s("integer"),
            "contact_id": STR,
            "contact_name": STR,
            "about_contact_id": NSTR,
            "kind": {"enum": ["thank_you", "promise", "intro_thanks", "keep_in_touch"]},
            "due_at": TIME,
            "status": {"enum": ["pending", "done", "skipped", "snoozed"]},
            "channel": CHANNEL,
            "draft": _s(
                "object",
                required=["subject", "body"],
                properties={"subject": STR, "body": STR},
            ),
            "links": _s(
                "object",
                properties={k: STR for k in ("email", "sms", "whatsapp", "linkedin")},
            ),
            "snoozed_until": NTIME,
            "done_at": NTIME,
            "message_key": _s(
                "string",
                description=(
                    "The same for follow-ups that go out as one message: "
                    "everything owed to one person (any of their records not "
                    "yet merged) due the same local day, as one Queue card. "
                    "Act on them together with `also`."
                ),
            ),
        },
    ),
    "FollowUpEdit": _s(
        "object",
        properties={
            "subject": NSTR,
            "body": NSTR,
            "channel": CHANNEL,
        },
    ),
    "ImportResult": _s(
        "object",
        required=["imported", "merged", "skipped", "errors"],
        properties={
            "imported": _s("integer", minimum=0),
            "merged": _s("integer", minimum=0),
            "skipped": _s("integer", minimum=0),
            "errors": _s(
                "array",
                items=_s(
                    "object",
                    required=["card", "message"],
                    properties={"card": _s("integer", minimum=1), "message": STR},
                ),
            ),
            "warnings": _s("array", items=STR),
        },
    ),
    "AccountExport": _s(
        "object",
        required=["format", "version"],
        properties={
            "format": {"const": "morrow-account"},
            "version": {"const": 1},
            "exported_at": TIME,
            "account": _s("object"),
            "card": _s(["object", "null"]),
            **{
                k: _s("array", items=_s("object"))
                for k in ("events", "people", "followups", "templates", "interactions")
            },
        },
    ),
    "AccountLoaded": _s(
        "object",
        required=["loaded"],
        properties={
            "loaded": _s(
                "object",
                additionalProperties=_s("integer"),
            )
        },
    ),
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(name: str) -> dict:
    return _s(
        "object",
        required=["items", "next"],
        properties={"items": _s("array", items=_ref(name)), "next": NSTR},
    )


def _json(schema: dict, description: str = "OK") -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def _file(media: str, description: str) -> dict:
    return {
        "description": description,
        "headers": {
            "Content-Disposition": {
                "description": "attachment with an ASCII file name",
                "schema": STR,
            }
        },
        "content": {media: {"schema": _s("string")}},
    }


def _errors(*codes: int) -> dict:
    return {
        str(code): {"$ref": f"#/components/responses/E{code}"}
        for code in sorted({400, 401, 429, *codes})
    }


def _op(summary: str, ok: dict, *codes: int, status: int = 200, **extra) -> dict:
    return {
        "summary": summary,
        "responses": {str(status): ok, **_errors(*codes)},
        **extra,
    }


def _body(name_or_schema, *, required: bool = True) -> dict:
    schema = _ref(name_or_schema) if isinstance(name_or_schema, str) else name_or_schema
    return {
        "required": required,
        "content": {"application/json": {"schema": schema}},
    }


def _path_param(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


ALSO = {
    "name": "also",
    "in": "query",
    "required": False,
    "style": "form",
    "explode": True,
    "schema": _s("array", items=_s("integer", minimum=1)),
    "description": (
        "Other follow-ups of the same message (same message_key), acted on in "
        "the same request; one already closed elsewhere is left as it is. The "
        "answer is the first follow-up."
    ),
}


ACCOUNT = {
    "name": "X-Morrow-Account",
    "in": "header",
    "required": False,
    "schema": _s("string"),
    "description": (
        "The account a capture was made under on a shared device (the app's page "
        "names it in data-account); another account's answers 409 wrong_account."
    ),
}
CONTACT_ID = _path_param("contact_id", _s("string"), "The person's UUID.")
EVENT_ID = _path_param("event_id", _s("string"), "The event's id (an integer).")
EVENT_INT = _path_param("event_id", _s("integer"), "The event's id.")
MERGE_ID = _path_param("merge_id", _s("string"), "The merge_id a merge answered.")
FOLLOWUP_ID = _path_param("followup_id", _s("integer"), "The follow-up's id.")
CURSOR = _query("cursor", STR, "The `next` value of the previous page.")
LIMIT = _query("limit", _s("integer", minimum=1, maximum=200), "Page size (50).")
UPLOAD = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": _s(
                "object",
                required=["file"],
                properties={
                    "file": _s("string", contentMediaType="application/octet-stream")
                },
            )
        },
        "text/vcard": {"schema": _s("string")},
        "text/csv": {"schema": _s("string")},
    },
}
ID_WRONG = "Malformed ids are simply not found (404)."

PATHS: dict[str, Any] = {
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": _json(_s("object"), "The OpenAPI 3.1 description")},
        }
    },
    "/me": {
        "get": _op("Show the account's settings", _json(_ref("Me"))),
        "patch": _op(
            "Change the account's settings (email and calendar_feed_url are ignored)",
            _json(_ref("Me")),
            413,
            415,
            requestBody=_body("MeUpdate"),
        ),  # fmt: skip
    },
    "/push-subscriptions": {
        "post": _op(
            "Subscribe a device to nudges (200 when it already was)",
            _json(_ref("PushSubscription"), "Stored"),
            413,
            415,
            422,
            status=201,
            requestBody=_body("PushSubscription"),
        ),
        "delete": _op(
            "Unsubscribe a device (by its endpoint)",
            {"description": "Removed (or was not there)"},
            413,
            415,
            status=204,
            requestBody=_body(
                _s("object", required=["endpoint"], properties={"endpoint": STR})
            ),
        ),
    },
    "/card": {
        "get": _op("Show the owner's card", _json(_ref("Card"))),
        "put": _op(
            "Save the owner's card",
            _json(_ref("Card")),
            413,
            415,
            requestBody=_body("CardUpdate"),
        ),  # fmt: skip
    },
    "/events": {
        "get": _op(
            "List events, newest date first",
            _json(_list_of("Event")),
            parameters=[CURSOR, LIMIT],
        ),
        "post": _op(
            "Create an event (name and date required)",
            _json(_ref("Event"), "Created"),
            413,
            415,
            422,
            status=201,
            requestBody=_body("EventInput"),
        ),  # fmt: skip
    },
    "/events/{event_id}": {
        "parameters": [EVENT_ID],
        "get": _op("Show one event", _json(_ref("Event")), 404, description=ID_WRONG),
        "patch": _op(
            "Change some of an event's fields",
            _json(_ref("Event")),
            404,
            413,
            415,
            422,
            requestBody=_body("EventInput"),
        ),  # fmt: skip
        "delete": _op(
            "Delete an event; its people stay",
            {"description": "Deleted"},
            404,
            status=204,
        ),
    },
    "/events/{event_id}/score": {
        "parameters": [EVENT_INT],
        "get": _op("Follow-up score of an event", _json(_ref("EventScore")), 404),
    },
    "/contacts": {
        "get": _op(
            "Search people, newest first",
            _json(_list_of("Contact")),
            404,
            parameters=[
                _query("q", _s("string", maxLength=200), "Words to find"),
                _query("event_id", STR, "Only people met at this event"),
                _query("tag", STR, "Only people with this tag"),
                CURSOR,
                LIMIT,
            ],
        ),
        "post": {
            **_op(
                "Capture a person; idempotent on the client's id",
                _json(_ref("Contact"), "Created"),
                409,
                413,
                415,
                422,
                status=201,
                requestBody=_body("ContactInput"),
                parameters=[ACCOUNT],
            ),  # fmt: skip
        },
    },
    "/contacts/batch": {
        "post": _op(
            "Capture 1 to 100 people; each item answered as its own create",
            _json(_ref("BatchResults")),
            409,
            413,
            415,
            requestBody=_body(
                _s(
                    "object",
                    required=["items"],
                    properties={
                        "items": _s(
                            "array",
                            items=_ref("ContactInput"),
                            minItems=1,
                            maxItems=100,
                        )
                    },
                )
            ),
            parameters=[ACCOUNT],
        ),  # fmt: skip
    },
    "/contacts/scan-card": {
        "post": _op(
            "Read a photo of a paper business card into fields; nothing saved",
            _json(_ref("CardReading")),
            413,
            415,
            422,
            requestBody={
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": _s(
                            "object",
                            required=["image"],
                            properties={
                                "image": _s(
                                    "string",
                                    contentMediaType="image/jpeg",
                                    description="JPEG, PNG or WebP (HEIC: 415)",
                                )
                            },
                        )
                    }
                },
            },
            description=(
                "Read on this server (about a second a card). At most "
                "CARD_PHOTO_MAX_BYTES (10 MB by default, else 413); not an image, "
                "or HEIC, 415; a damaged one 422. Rate limited per account "
                "(CARD_SCAN_RATE_LIMIT)."
            ),
        ),  # fmt: skip
    },
    "/contacts/{contact_id}/card-photo": {
        "parameters": [CONTACT_ID],
        "get": _op(
            "The person's card photo (JPEG), to its owner only",
            {
                "description": "The newest photo, or the one ?photo= names",
                "content": {"image/jpeg": {"schema": _s("string")}},
            },
            404,
            parameters=[_query("photo", _s("integer"), "A photo's id (card_photos)")],
        ),
    },
    "/contacts/parse": {
        "post": _op(
            "Turn decoded QR text (vCard, MECARD, URL) into fields; nothing saved",
            _json(_ref("ParseResult")),
            413,
            415,
            422,
            requestBody=_body(
                _s(
                    "object",
                    required=["text"],
                    properties={"text": _s("string", maxLength=4096)},
                )
            ),
        ),  # fmt: skip
    },
    "/contacts/import": {
        "post": _op(
            "Import people from a vCard (2.1/3.0/4.0) or CSV file",
            _json(_ref("ImportResult")),
            413,
            415,
            422,
            requestBody=UPLOAD,
            description=(
                "A card matching a person by email, E.164 phone, LinkedIn profile "
                "or vCard UID fills their empty fields (merged) or changes nothing "
                "(skipped); others are created with source import and get no "
                "thank-you follow-up. Bad cards are listed in errors by 1-based "
                "position; the rest still import."
            ),
        ),  # fmt: skip
    },
    "/contacts/export.vcf": {
        "get": _op("Every person as one vCard 3.0 file", _file("text/vcard", "vCard")),
    },
    "/contacts/export.csv": {
        "get": _op(
            "Every person as CSV (UTF-8 with BOM, formulas neutralised)",
            _file("text/csv", "CSV"),
        ),
    },
    "/contacts/{contact_id}": {
        "parameters": [CONTACT_ID],
        "get": _op(
            "Show one person, with their card photos", _json(_ref("Contact")), 404
        ),
        "patch": _op(
            "Change some of a person's fields",
            _json(_ref("Contact")),
            404,
            413,
            415,
            422,
            requestBody=_body("ContactInput"),
        ),  # fmt: skip
        "delete": _op(
            "Delete a person with their follow-ups",
            {"description": "Deleted"},
            404,
            status=204,
        ),
    },
    "/contacts/{contact_id}/merge": {
        "parameters": [CONTACT_ID],
        "post": _op(
            "Merge the person other_id into this one",
            _json(_ref("Contact")),
            404,
            413,
            415,
            requestBody=_body(
                _s("object", required=["other_id"], properties={"other_id": STR})
            ),
        ),  # fmt: skip
    },
    "/merges/{merge_id}/undo": {
        "parameters": [MERGE_ID],
        "post": _op(
            "Undo a merge (for 30 days): both people back, later edits kept",
            _json(
                _s(
                    "object",
                    required=["kept", "other"],
                    properties={"kept": _ref("Contact"), "other": _ref("Contact")},
                )
            ),
            404,
            409,
            410,
        ),
    },
    "/contacts/{contact_id}/vcard": {
        "parameters": [CONTACT_ID],
        "get": _op("One person as a .vcf file", _file("text/vcard", "vCard"), 404),
    },
    "/followups": {
        "get": _op(
            "The queue, oldest due first",
            _json(_list_of("FollowUp")),
            404,
            parameters=[
                _query(
                    "status",
                    {"enum": ["pending", "done", "skipped", "snoozed", "all"]},
                    "pending by default",
                ),
                _query("due", {"enum": ["now", "all"]}, "now by default"),
                _query("event_id", _s("integer"), "Only this event's people"),
                CURSOR,
                LIMIT,
            ],
        ),
    },
    "/followups/{followup_id}": {
        "parameters": [FOLLOWUP_ID],
        "get": _op("Show one follow-up", _json(_ref("FollowUp")), 404),
        "patch": _op(
            "Edit the draft's subject, body or channel (empty: back to the template)",
            _json(_ref("FollowUp")),
            404,
            409,
            413,
            415,
            requestBody=_body("FollowUpEdit"),
        ),  # fmt: skip
    },
    "/followups/{followup_id}/done": {
        "parameters": [FOLLOWUP_ID, ALSO],
        "post": _op(
            "Mark sent, with the follow-ups named in also",
            _json(_ref("FollowUp")),
            400,
            404,
            409,
        ),
    },
    "/followups/{followup_id}/skip": {
        "parameters": [FOLLOWUP_ID, ALSO],
        "post": _op(
            "Skip, with the follow-ups named in also",
            _json(_ref("FollowUp")),
            400,
            404,
            409,
        ),
    },
    "/followups/{followup_id}/snooze": {
        "parameters": [FOLLOWUP_ID, ALSO],
        "post": _op(
            "Snooze until an ISO date (at the follow-up hour) or datetime, or "
            "`when` (tomorrow, next_week) counted in the owner's time zone from "
            "`chosen_at` (the moment of the tap, within the last week) or now, "
            "with the follow-ups named in also",
            _json(_ref("FollowUp")),
            400,
            404,
            409,
            413,
            415,
            422,
            requestBody=_body(
                _s(
                    "object",
                    properties={
                        "until": STR,
                        "when": _s("string", enum=["tomorrow", "next_week"]),
                        "chosen_at": _s("string", format="date-time"),
                    },
                )
            ),
        ),  # fmt: skip
    },
    "/export.json": {
        "get": _op(
            "The whole account as JSON: settings, card, events, people, "
            "follow-ups, templates, interactions",
            {
                "description": "Account export (attachment)",
                "content": {"application/json": {"schema": _ref("AccountExport")}},
            },
        ),
    },
    "/import.json": {
        "post": _op(
            "Load an account export into this account, which must have no people",
            _json(_ref("AccountLoaded")),
            409,
            413,
            415,
            requestBody={
                "required": True,
                "content": {
                    "application/json": {"schema": _ref("AccountExport")},
                    "multipart/form-data": {
                        "schema": _s(
                            "object", required=["file"], properties={"file": STR}
                        )
                    },
                },
            },
        ),  # fmt: skip
    },
}
# A device subscribing again is answered 200 with what is stored.
PATHS["/push-subscriptions"]["post"]["responses"]["200"] = _json(
    _ref("PushSubscription"), "Already stored"
)

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Morrow API",
        "version": "1",
        "description": (
            "The JSON API of a Morrow instance. Scripts authenticate with a "
            "personal token (Settings → API tokens): `Authorization: Bearer "
            "<token>`. The web app uses its session cookie and sends the CSRF "
            "token in X-CSRFToken on writes. Lists answer {items, next}; pass "
            "next back as ?cursor=. Every error has the body "
            '{"error": {"code", "message", "fields"?}}.'
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
        },
        "responses": {
            f"E{code}": _json(_ref("Error"), text) for code, text in ERROR_CODES.items()
        },
    },
}


def document() -> dict[str, Any]:
    """Return a fresh copy of the OpenAPI document."""
    return copy.deepcopy(DOCUMENT)
