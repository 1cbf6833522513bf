"""Serving QR images: drawn once per payload, then answered from cache or 304."""

from __future__ import annotations

from flask import Response, request

MIMETYPES = {"svg": "image/svg+xml", "png": "image/png"}


def qr_response(text: str, kind: str, *, private: bool) -> Response:
    """Answer with the QR image of `text`, or 304 if the client has it."""
    from .qr import qr_etag, qr_png, qr_svg

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
