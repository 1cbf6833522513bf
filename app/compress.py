"""Gzip for text answers, so a phone on a weak signal downloads a third as much."""

from __future__ import annotations

import gzip
from collections import OrderedDict

from flask import Flask, Response, request

COMPRESSIBLE = {
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "image/svg+xml",
    "text/vcard",
    "text/calendar",
}
MIN_SIZE = 500
MAX_SIZE = 2 * 1024 * 1024
# Static files are compressed once per version (keyed by their ETag), not per hit.
_STATIC_CACHE: OrderedDict[str, bytes] = OrderedDict()
_STATIC_CACHE_ENTRIES = 64


def should_compress(response: Response) -> bool:
    if response.status_code != 200 or "Content-Encoding" in response.headers:
        return False
    if response.mimetype not in COMPRESSIBLE:
        return False
    if "gzip" not in request.accept_encodings or request.method == "HEAD":
        return False
    if response.is_streamed and not response.direct_passthrough:
        return False  # a generator: compressing would buffer the whole stream
    length = response.content_length
    return length is None or MIN_SIZE < length <= MAX_SIZE


def compress_response(response: Response) -> Response:
    """Gzip the body in place when the client accepts it and it is worth it."""
    response.vary.add("Accept-Encoding")
    if not should_compress(response):
        return response
    etag, weak = response.get_etag()
    key = (
        f"{response.mimetype}:{etag}" if etag and response.direct_passthrough else None
    )
    body = _STATIC_CACHE.get(key) if key else None
    if body is None:
        # send_file hands over a file wrapper; read it (size checked above).
        response.direct_passthrough = False
        raw = response.get_data()
        if len(raw) <= MIN_SIZE:
            return response
        body = gzip.compress(raw, compresslevel=6, mtime=0)
        if key:
            _STATIC_CACHE[key] = body
            while len(_STATIC_CACHE) > _STATIC_CACHE_ENTRIES:
                _STATIC_CACHE.popitem(last=False)
    else:
        original = response.response
        if hasattr(original, "close"):
            response.call_on_close(original.close)
        response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    if etag:
        # The bytes differ from the identity encoding, so the validator is weak.
        response.set_etag(etag, weak=True)
    return response


def init_app(app: Flask) -> None:
    app.after_request(compress_response)
