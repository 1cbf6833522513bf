"""Answers that send a file: QR images (drawn once per payload, then 304) and vCards."""

from __future__ import annotations

from flask import Response, request

from ..cards import public_card_url
from ..models import Card

MIMETYPES = {"svg": "image/svg+xml", "png": "image/png"}


def qr_response(text: str, kind: str, *, private: bool) -> Response:
    """Answer with the QR image of `text`, or 304 if the client has it."""
    from ..qr import qr_etag, qr_png, qr_svg

    etag = qr_etag(text, kind)
    cache = "private, no-cache" if private else "public, max-age=300"
    # Weak comparison (RFC 9110): gzip hands the client W/"…", which it sends back.
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        body = qr_svg(text) if kind == "svg" else qr_png(text)
        response = Response(body, mimetype=MIMETYPES[kind])
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache
    return response


def vcard_download(card: Card, *, public_only: bool) -> Response:
    from ..formats.vcard import card_vcard, vcf_filename

    text = card_vcard(card, public_only=public_only, public_url=public_card_url(card))
    response = Response(text.encode("utf-8"), mimetype="text/vcard")
    response.headers["Content-Type"] = "text/vcard; charset=utf-8"
    # A visitor's file is named only with what the owner made public.
    name = card.public_name if public_only else card.full_name
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{vcf_filename(name)}"'
    )
    return response
