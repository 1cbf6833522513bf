"""Settings → Import & export: upload a file, download everything."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from . import clock
from .errors import DomainError
from .exporting import import_account
from .importing import import_file
from .ui import register_settings_section
from .uploads import uploaded_file
from .validation import parse_json

bp = Blueprint("io_pages", __name__)
bp.record_once(
    lambda s: register_settings_section(
        s.app,
        "Import & export",
        "/settings/import-export",
        "vCard and CSV in, everything out",
    )
)


@bp.before_request
@login_required
def require_login():
    """Only the owner imports and exports."""


@bp.route("/settings/import-export", methods=["GET", "POST"])
def import_export():
    """Import people from a file, load an account export, or download."""
    result = loaded = None
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "import")
        field = "account_file" if action == "account" else "file"
        try:
            data, name, mimetype = uploaded_file(current_app.config["MAX_IMPORT_BYTES"])
            if action == "account":
                content = parse_json(data, "That file is not a Morrow JSON export.")
                loaded = import_account(current_user, content, clock.now())
            else:
                result = import_file(
                    current_user, data, clock.now(), filename=name, mimetype=mimetype
                ).to_dict()
        except DomainError as error:
            errors[field] = error.fields.get("file") or error.message
            status = error.status
    return (
        render_template(
            "settings/import_export.html", result=result, loaded=loaded, errors=errors
        ),
        status,
    )
