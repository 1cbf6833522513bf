"""What anyone may see: the health check, the public card and its exchange
form, and the calendar feed, reached by its secret link."""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
)
from sqlalchemy import select, update

from .. import clock
from ..cards import public_card_url
from ..errors import ValidationError
from ..extensions import db, limiter
from ..models import Card, User
from ..transactions import undo_on_error
from .downloads import qr_response, vcard_download

bp = Blueprint("public", __name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database answers."""
    try:
        db.session.execute(db.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return {"status": "error", "message": "database unavailable"}, 503
    return {"status": "ok"}


def published_card(slug: str) -> Card:
    card = db.session.execute(
        db.select(Card).filter_by(slug=slug, published=True)
    ).scalar_one_or_none()
    if card is None:
        abort(404)
    return card


@bp.get("/c/<slug>")
def card(slug: str):
    """Show the public card: only the fields its owner made public."""
    card = published_card(slug)
    # Count the view without reading-modifying-writing the row.
    db.session.execute(
        update(Card).where(Card.id == card.id).values(view_count=Card.view_count + 1)
    )
    public = set(card.public_fields or [])
    return render_template("public_card.html", card=card, public=public, exchange={})


@bp.get("/c/<slug>.vcf")
def card_vcf(slug: str):
    """Download the public card as a vCard, to anyone (other Morrows included)."""
    response = vcard_download(published_card(slug), public_only=True)
    # Public already; a Morrow scanning this card's QR on another server reads it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/c/<slug>/qr.svg")
def card_qr(slug: str):
    """The QR code linking to the public card."""
    url = public_card_url(published_card(slug))
    if url is None:  # published cards have an address; this one lost its slug
        abort(404)
    return qr_response(url, "svg", private=False)


@bp.post("/c/<slug>/exchange")
@limiter.limit(lambda: current_app.config["EXCHANGE_RATE_LIMIT"])
def exchange(slug: str):
    """Take a visitor's details for the card's owner, with their consent."""
    from ..exchange import submit_exchange

    card = published_card(slug)
    form = {
        key: request.form.get(key, "") for key in ("name", "reach", "note", "consent")
    }
    try:
        with undo_on_error():
            submit_exchange(card, request.form, clock.now())
    except ValidationError as error:
        return (
            render_template(
                "public_card.html",
                card=card,
                public=set(card.public_fields or []),
                exchange=form,
                exchange_errors=error.fields,
            ),
            400,
        )
    return render_template("exchange_thanks.html", card=card)


@bp.get("/feed/<token>.ics")
def feed(token: str):
    """Serve the owner's follow-ups to a calendar app that knows the secret link."""
    # Here, not at the top: the calendar (vobject, nudges, mail) stays out of
    # a worker until a calendar app asks.
    from ..feed import build_calendar

    user = db.session.execute(
        select(User).where(User.feed_token == token)
    ).scalar_one_or_none()
    if user is None or not secrets.compare_digest(user.feed_token, token):
        abort(404)
    response = Response(build_calendar(user, clock.now()), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    # The follow-ups are private: no cache on the way may keep a copy.
    response.headers["Cache-Control"] = "private, no-store"
    return response
