"""/api/v1 import and export: vCard/CSV files, one person's vCard, the account."""

from __future__ import annotations

import json

from flask import Response, current_app, request
from flask_login import current_user

from .. import clock
from ..contacts import get_contact
from ..errors import TooLarge, UnsupportedMedia, ValidationError
from ..exporting import account_export, export_csv, export_vcf, import_account
from ..importing import import_file
from ..uploads import uploaded_file
from ..validation import parse_json
from . import bp


def attachment(body: str, mimetype: str, filename: str) -> Response:
    """Answer with a download: UTF-8 text and an ASCII file name."""
    response = Response(body.encode("utf-8"), mimetype=mimetype)
    response.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/contacts/import")
def import_contacts():
    """Import people from a vCard or CSV file."""
    limit = current_app.config["MAX_IMPORT_BYTES"]
    data, name, mimetype = uploaded_file(limit)
    result = import_file(
        current_user, data, clock.now(), filename=name, mimetype=mimetype
    )
    return result.to_dict()


@bp.get("/contacts/export.vcf")
def export_contacts_vcf():
    """Download every person as one vCard 3.0 file."""
    return attachment(export_vcf(current_user), "text/vcard", "morrow-people.vcf")


@bp.get("/contacts/export.csv")
def export_contacts_csv():
    """Download every person as CSV (UTF-8 with BOM)."""
    return attachment(export_csv(current_user), "text/csv", "morrow-people.csv")


@bp.get("/contacts/<contact_id>/vcard")
def contact_vcard(contact_id: str):
    """Download one person as a .vcf file."""
    from ..formats.vcard import contact_vcard as build
    from ..formats.vcard import vcf_filename

    person = get_contact(current_user, contact_id)
    return attachment(build(person), "text/vcard", vcf_filename(person.name))


@bp.get("/export.json")
def export_account():
    """Download the whole account as JSON."""
    now = clock.now()
    body = json.dumps(account_export(current_user, now), ensure_ascii=False, indent=1)
    return attachment(
        body, "application/json", f"morrow-export-{now.date().isoformat()}.json"
    )


def account_file() -> dict:
    """Return the uploaded account export (JSON body or multipart `file`)."""
    limit = current_app.config["MAX_IMPORT_BYTES"]
    if request.is_json:
        if request.content_length and request.content_length > limit:
            raise TooLarge("The export file is too large.", {"file": "Too large."})
        raw = request.get_data(cache=False)
    elif request.mimetype == "multipart/form-data":
        raw, _name, _type = uploaded_file(limit)
    else:
        raise UnsupportedMedia(
            "Send the export as application/json or multipart/form-data (field file)."
        )
    if len(raw) > limit:
        raise TooLarge("The export file is too large.", {"file": "Too large."})
    data = parse_json(raw, "The file is not valid JSON.", {"file": "Not JSON."})
    if not isinstance(data, dict):
        raise ValidationError(
            "The export must be a JSON object.", {"file": "Not an object."}
        )
    return data


@bp.post("/import.json")
def import_account_route():
    """Load a full account export into this (empty) account."""
    return {"loaded": import_account(current_user, account_file(), clock.now())}


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    from ..openapi import document

    return document()
