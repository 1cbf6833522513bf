"""Card: my QR code in two modes, and my full vCard."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
    request,
)
from flask_login import current_user, login_required

from ..cards import (
    public_card_url,
)
from .downloads import qr_response, vcard_download

bp = Blueprint("card", __name__)


@bp.before_request
@login_required
def require_login():
    """Every page here belongs to a logged-in owner."""


def qr_payload(mode: str) -> str:
    card = current_user.card
    if mode == "url":
        url = public_card_url(card)
        if not url:
            abort(404)
        return url
    if mode == "vcard":
        from ..formats.vcard import compact_qr_payload

        return compact_qr_payload(card, public_card_url(card))
    abort(400, "mode must be url or vcard")


def default_mode() -> str:
    card = current_user.card
    if current_app.config.get("PUBLIC_URL") and card.published:
        return "url"
    return "vcard"


@bp.get("/card")
def show():
    """Show my card as a full-width QR code."""
    card = current_user.card
    mode = request.args.get("mode") or default_mode()
    if mode not in {"url", "vcard"} or (mode == "url" and not card.published):
        mode = "vcard"
    return render_template(
        "card.html",
        card=card,
        mode=mode,
        card_mode=mode,
        public_url=public_card_url(card),
    )


@bp.get("/card/qr.svg")
def qr_svg():
    """My QR code as SVG, in link or offline-contact mode."""
    return qr_response(
        qr_payload(request.args.get("mode", "vcard")), "svg", private=True
    )


@bp.get("/card/qr.png")
def qr_png():
    """My QR code as PNG, in link or offline-contact mode."""
    return qr_response(
        qr_payload(request.args.get("mode", "vcard")), "png", private=True
    )


@bp.get("/card.vcf")
def vcf():
    """Download my full card as a vCard (private: never stored by a cache)."""
    response = vcard_download(current_user.card, public_only=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response
