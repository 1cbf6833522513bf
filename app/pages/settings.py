"""Settings: my card, account, API tokens, message templates, the calendar
feed, notifications, import and export, and deleting the account."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.security import check_password_hash

from .. import auth, clock
from ..accounts import current_settings, feed_url, update_settings
from ..cards import (
    CARD_FIELDS,
    card_to_dict,
    update_card,
)
from ..drafts import (
    DEFAULTS,
    KIND_LABELS,
    KINDS,
    PLACEHOLDERS,
    TEMPLATE_MAX,
    template_errors,
)
from ..errors import DomainError, NotFound, ValidationError
from ..exporting import import_account
from ..extensions import db, limiter
from ..importing import import_file
from ..models import ApiToken, Template, new_feed_token
from ..transactions import undo_on_error
from ..uploads import uploaded_file
from ..validation import parse_json

bp = Blueprint("settings", __name__)


@bp.before_request
@login_required
def require_login():
    """Every page here belongs to a logged-in owner."""


@bp.get("/settings")
def index():
    """The list of settings."""
    return render_template("settings/index.html", sections=sections())


def sections() -> list[tuple[str, str, str]]:
    sections = [
        ("My card", url_for("settings.card"), "What your QR code and page show"),
        ("Account", url_for("settings.account"), "Time zone, follow-up hour, goal"),
        ("API tokens", url_for("settings.tokens"), "For scripts and other apps"),
    ]
    sections += [
        (
            "Import & export",
            url_for("settings.import_export"),
            "vCard and CSV in, everything out",
        ),
        (
            "Message templates",
            url_for("settings.templates"),
            "The drafts Morrow writes for each kind of follow-up",
        ),
        (
            "Calendar feed",
            url_for("settings.feed"),
            "Follow-ups in your phone's calendar, with reminders",
        ),
        (
            "Notifications",
            url_for("settings.notifications"),
            "A morning nudge on this phone or by e-mail",
        ),
    ]
    sections.append(
        ("Delete my account", url_for("settings.delete"), "Remove everything")
    )
    return sections


@bp.route("/settings/card", methods=["GET", "POST"])
def card():
    """Edit my card and choose which fields are public."""
    card = current_user.card
    errors: dict[str, str] = {}
    form = card_to_dict(card)
    if request.method == "POST":
        form = {field: request.form.get(field, "") for field in CARD_FIELDS}
        form["slug"] = request.form.get("slug", "") or card.slug or ""
        form["public_fields"] = request.form.getlist("public")
        data = dict(form)
        if not data["slug"]:
            data.pop("slug")
        try:
            with undo_on_error():
                update_card(current_user, data)
        except ValidationError as error:
            errors = error.fields
        else:
            flash("Card saved.")
            return redirect(url_for("card.show"))
        form["links"] = [line for line in form["links"].splitlines() if line.strip()]
    return (
        render_template(
            "settings/card.html",
            form=form,
            errors=errors,
            fields=CARD_FIELDS,
            card=card,
        ),
        400 if errors else 200,
    )


def _per_account() -> str:
    return f"account:{getattr(current_user, 'id', None)}"


def _not_a_password_change() -> bool:
    return request.form.get("action") != "password"


@bp.route("/settings/account", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["PASSWORD_CHECK_RATE_LIMIT"],
    key_func=_per_account,
    methods=["POST"],
    exempt_when=_not_a_password_change,
    scope="password-check",
)
def account():
    """Edit time zone, follow-up hour, phone region and weekly goal."""
    errors: dict[str, str] = {}
    user = current_user
    form = current_settings(user)
    if request.method == "POST" and request.form.get("action") == "password":
        return change_password()
    if request.method == "POST":
        form = {key: request.form.get(key, "") for key in form}
        try:
            with undo_on_error():
                update_settings(user, form)
        except ValidationError as error:
            errors = error.fields
        else:
            flash("Settings saved.")
            return redirect(url_for("settings.account"))
    return (
        render_template("settings/account.html", form=form, errors=errors),
        400 if errors else 200,
    )


def change_password():
    user = current_user
    errors: dict[str, str] = {}
    if not check_password_hash(user.password_hash, request.form.get("current", "")):
        errors["current"] = "That is not your current password."
    else:
        try:
            with undo_on_error():
                auth.set_password(
                    user,
                    request.form.get("password", ""),
                    keep_session=user.session_key,
                )
        except ValidationError as error:
            errors = error.fields
    if errors:
        form = current_settings(user)
        return render_template("settings/account.html", form=form, errors=errors), 400
    flash(
        "Password changed. Other devices have been logged out "
        "and your API tokens were revoked."
    )
    return redirect(url_for("settings.account"))


@bp.route("/settings/tokens", methods=["GET", "POST"])
def tokens():
    """Create and revoke personal API tokens."""
    new_token = None
    if request.method == "POST":
        if request.form.get("revoke"):
            token_id = request.form.get("revoke", "")
            if not token_id.isdigit() or not auth.revoke_token(
                current_user, int(token_id)
            ):
                abort(404)
            flash("Token revoked.")
            return redirect(url_for("settings.tokens"))
        name = request.form.get("name", "").strip()[:80] or "API token"
        new_token = auth.create_token(current_user, name)
    tokens = db.session.execute(
        db.select(ApiToken)
        .filter_by(user_id=current_user.id, revoked_at=None)
        .order_by(ApiToken.created_at.desc())
    ).scalars()
    return render_template(
        "settings/tokens.html", tokens=list(tokens), new_token=new_token
    )


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
            flash(f"{KIND_LABELS[kind]} template reset to the default.")
            return redirect(url_for("settings.templates"))
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
            flash(f"{KIND_LABELS[kind]} template saved.")
            return redirect(url_for("settings.templates"))
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


@bp.route("/settings/feed", methods=["GET", "POST"])
@login_required
def feed():
    """Show the calendar feed link, and replace it on request."""
    if request.method == "POST":
        current_user.feed_token = new_feed_token()
        flash("New calendar link made. The old one no longer works.")
        return redirect(url_for("settings.feed"))
    return render_template("settings/feed.html", url=feed_url(current_user))


@bp.route("/settings/notifications", methods=["GET", "POST"])
def notifications():
    """Push on this phone, the e-mail digest, and a test nudge."""
    from .. import mail, nudges, push
    from ..accounts import nudge_email_setting

    result = None
    result_ok = True
    if request.method == "POST" and request.form.get("action") == "test":
        # Devices the push service dropped are gone once the request commits.
        result_ok, result = nudges.send_test(current_user, clock.now())
    elif request.method == "POST":
        current_user.nudge_email = request.form.get("nudge_email") == "on"
        flash("E-mail nudges on." if current_user.nudge_email else "E-mail nudges off.")
        return redirect(url_for("settings.notifications"))
    return render_template(
        "settings/notifications.html",
        vapid_key=push.public_key(),
        devices=len(push.subscriptions_of(current_user.id)),
        mail_configured=mail.mail_configured(),
        nudge_email=nudge_email_setting(current_user),
        failures=nudges.last_failures(current_user),
        result=result,
        result_ok=result_ok,
    )


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
                with undo_on_error():
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


@bp.route("/settings/delete", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["DELETE_ACCOUNT_RATE_LIMIT"],
    key_func=_per_account,
    methods=["POST"],
    scope="delete-account",
)
def delete():
    """Delete the account and everything it owns, after asking for the password."""
    from flask_login import logout_user

    from ..account_deletion import delete_account

    errors: dict[str, str] = {}
    if request.method == "POST":
        device_key = current_user.device_key
        try:
            with undo_on_error():
                delete_account(current_user, request.form.get("password", ""))
        except ValidationError as error:
            errors = error.fields
        else:
            logout_user()
            session[FORGET_DEVICE_KEY] = device_key
            flash("Your account and everything in it have been deleted.")
            return redirect(url_for("auth.login"))
    return (
        render_template("settings/delete.html", errors=errors),
        400 if errors else 200,
    )


# After an account is deleted, the next page tells this phone to drop the
# captures it still keeps for that account (see static/js/outbox.js).
FORGET_DEVICE_KEY = "forget_device"


@bp.app_context_processor
def forget_deleted_account() -> dict:
    if current_user.is_authenticated or FORGET_DEVICE_KEY not in session:
        return {}
    return {"forget_account": session.pop(FORGET_DEVICE_KEY)}
