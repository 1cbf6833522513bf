"""The owner's pages: Home, Card and Settings."""

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

from . import auth
from .accounts import current_settings, update_settings
from .cards import (
    CARD_FIELDS,
    card_to_dict,
    links_are_local,
    public_card_url,
    update_card,
)
from .errors import ValidationError
from .extensions import db, limiter
from .models import ApiToken
from .public import vcard_download
from .qr_views import qr_response

bp = Blueprint("web", __name__)


@bp.before_request
@login_required
def require_login():
    """Every page here belongs to a logged-in owner."""


@bp.app_context_processor
def link_notice():
    """links_are_local() for the PUBLIC_URL notice on Home, Card and Queue."""
    return {"links_are_local": links_are_local}


@bp.get("/")
def home():
    """Today at a glance: big buttons, the queue and what waits to sync."""
    return render_template("home.html", card=current_user.card, panels=home_panels())


def home_panels() -> dict:
    """Figures other parts of Morrow add to Home (queue count, events…)."""
    panels: dict = {}
    for provider in current_app.extensions.get("morrow_home_panels", []):
        panels.update(provider(current_user))
    return panels


def qr_payload(mode: str) -> str:
    card = current_user.card
    if mode == "url":
        url = public_card_url(card)
        if not url:
            abort(404)
        return url
    if mode == "vcard":
        from .vcards import compact_qr_payload

        return compact_qr_payload(card, public_card_url(card))
    abort(400, "mode must be url or vcard")


def default_mode() -> str:
    card = current_user.card
    if current_app.config.get("PUBLIC_URL") and card.published:
        return "url"
    return "vcard"


@bp.get("/card")
def card():
    """Show my card as a full-width QR code."""
    card = current_user.card
    mode = request.args.get("mode") or default_mode()
    if mode not in {"url", "vcard"} or (mode == "url" and not card.published):
        mode = "vcard"
    return render_template(
        "card.html",
        card=card,
        mode=mode,
        public_url=public_card_url(card),
    )


@bp.get("/card/qr.svg")
def card_qr_svg():
    """My QR code as SVG, in link or offline-contact mode."""
    return qr_response(
        qr_payload(request.args.get("mode", "vcard")), "svg", private=True
    )


@bp.get("/card/qr.png")
def card_qr_png():
    """My QR code as PNG, in link or offline-contact mode."""
    return qr_response(
        qr_payload(request.args.get("mode", "vcard")), "png", private=True
    )


@bp.get("/card.vcf")
def card_vcf():
    """Download my full card as a vCard (private: never stored by a cache)."""
    response = vcard_download(current_user.card, public_only=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/settings")
def settings():
    """The list of settings."""
    return render_template("settings/index.html", sections=settings_sections())


def settings_sections() -> list[tuple[str, str, str]]:
    sections = [
        ("My card", url_for("web.settings_card"), "What your QR code and page show"),
        ("Account", url_for("web.settings_account"), "Time zone, follow-up hour, goal"),
        ("API tokens", url_for("web.settings_tokens"), "For scripts and other apps"),
    ]
    sections += current_app.extensions.get("morrow_settings_sections", [])
    sections.append(
        ("Delete my account", url_for("web.settings_delete"), "Remove everything")
    )
    return sections


@bp.route("/settings/card", methods=["GET", "POST"])
def settings_card():
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
            update_card(current_user, data)
        except ValidationError as error:
            db.session.rollback()
            errors = error.fields
        else:
            flash("Card saved.")
            return redirect(url_for("web.card"))
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
def settings_account():
    """Edit time zone, follow-up hour, phone region and weekly goal."""
    errors: dict[str, str] = {}
    user = current_user
    form = current_settings(user)
    if request.method == "POST" and request.form.get("action") == "password":
        return change_password()
    if request.method == "POST":
        form = {key: request.form.get(key, "") for key in form}
        try:
            update_settings(user, form)
        except ValidationError as error:
            db.session.rollback()
            errors = error.fields
        else:
            flash("Settings saved.")
            return redirect(url_for("web.settings_account"))
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
            auth.set_password(
                user, request.form.get("password", ""), keep_session=user.session_key
            )
        except ValidationError as error:
            errors = error.fields
    if errors:
        db.session.rollback()
        form = current_settings(user)
        return render_template("settings/account.html", form=form, errors=errors), 400
    db.session.commit()
    flash(
        "Password changed. Other devices have been logged out "
        "and your API tokens were revoked."
    )
    return redirect(url_for("web.settings_account"))


@bp.route("/settings/tokens", methods=["GET", "POST"])
def settings_tokens():
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
            return redirect(url_for("web.settings_tokens"))
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


@bp.route("/settings/delete", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["DELETE_ACCOUNT_RATE_LIMIT"],
    key_func=_per_account,
    methods=["POST"],
    scope="delete-account",
)
def settings_delete():
    """Delete the account and everything it owns, after asking for the password."""
    from flask_login import logout_user

    from .account_deletion import delete_account

    errors: dict[str, str] = {}
    if request.method == "POST":
        device_key = current_user.device_key
        try:
            delete_account(current_user, request.form.get("password", ""))
        except ValidationError as error:
            db.session.rollback()
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
