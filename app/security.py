"""CSRF on cookie-authenticated writes, and the headers every answer carries."""

from __future__ import annotations

from flask import Flask, Request, current_app, g, has_request_context, request
from flask.sessions import (
    SecureCookieSession,
    SecureCookieSessionInterface,
)
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from .extensions import csrf

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# The capture page's scanner reads another person's public card from their own
# Morrow server (…/c/<slug>.vcf, served to any origin): that page alone may
# fetch other origins, and only over https.
SCANNING_ENDPOINTS = frozenset({"people.capture"})
SCANNING_POLICY = CONTENT_SECURITY_POLICY.replace(
    "connect-src 'self'", "connect-src 'self' https:"
)

HSTS = "max-age=31536000; includeSubDomains"

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Routes that take file uploads; every other write is held to MAX_FORM_BYTES.
UPLOAD_ENDPOINTS = frozenset(
    {"api.import_contacts", "api.import_account_route", "settings.import_export"}
)
# Routes whose JSON is larger than a form: the config key of their limit.
LARGER_JSON_ENDPOINTS = {
    "api.capture_batch": "MAX_BATCH_JSON_BYTES",
    # A capture may carry a card photo; scan-card takes one (app/card_photos.py).
    "api.create_contact_route": "MAX_CAPTURE_BYTES",
    "people.capture": "MAX_CAPTURE_BYTES",
    "api.scan_card": "MAX_CARD_UPLOAD_BYTES",
}
# Blueprints whose forms anonymous visitors submit: these always need the token.
PUBLIC_FORMS = frozenset({"auth", "public"})


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS.

    A request without a session cookie (every API call with a bearer token)
    gets an empty session without the signing serializer being built: what
    Flask does, less its work.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or (
            has_request_context() and request.is_secure
        )

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Install the session interface and the request and response hooks."""
    app.session_interface = HttpsAwareSessionInterface()
    app.before_request(limit_request_body)
    app.before_request(protect_cookie_writes)
    app.after_request(set_security_headers)
    # after_request hooks run last-registered-first; at the front of the list this
    # one runs after Flask-Login has set the remember-me cookie.
    app.after_request_funcs.setdefault(None, []).insert(0, secure_cookies_over_https)


def limit_request_body():
    # Refuse oversized bodies before any view reads them. Uploads (imports)
    # may be as large as MAX_CONTENT_LENGTH; everything else is small.
    length = request.content_length
    if length is None or request.method not in UNSAFE_METHODS:
        return None
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.endpoint in LARGER_JSON_ENDPOINTS:
        key = LARGER_JSON_ENDPOINTS[request.endpoint]
        limit = min(limit, current_app.config[key])
    elif request.endpoint not in UPLOAD_ENDPOINTS:
        limit = min(limit, current_app.config["MAX_FORM_BYTES"])
    if length > limit:
        raise RequestEntityTooLarge(
            f"The request body is {length} bytes; the limit here is {limit}."
        )
    return None


def protect_cookie_writes():
    # Bearer-token clients carry no cookie, so they cannot be tricked into a
    # cross-site write; everything else needs the CSRF token.
    if request.method not in UNSAFE_METHODS:
        return None
    if g.get("token_authenticated"):
        return None
    if not current_user.is_authenticated and request.blueprint not in PUBLIC_FORMS:
        # Private routes refuse anonymous requests before writing anything
        # (401 under /api/, a redirect to login for pages).
        return None
    csrf.protect()
    return None


PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=()"
# The headers of every document answer after X-Content-Type-Options (and HSTS),
# in the order they are added; a header the view set itself is kept.
DOCUMENT_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
)
SCANNING_HEADERS = (
    ("Content-Security-Policy", SCANNING_POLICY),
    *DOCUMENT_HEADERS[1:],
)
NO_STORE = ("Cache-Control", "no-store")


def set_security_headers(response):
    headers = response.headers
    # Each header is added unless the view set it: the names present are read
    # once rather than searched for each header (Headers.setdefault).
    present = {name.lower() for name, _ in headers.items()}
    wanted = [("X-Content-Type-Options", "nosniff")]
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        # Served over HTTPS only: browsers must never try plain HTTP again.
        wanted.append(("Strict-Transport-Security", HSTS))
    endpoint = request.endpoint
    if endpoint == "static":
        # Scripts, styles and icons get only what applies to them: the
        # document policies below would add ~450 bytes to every file of a
        # first load. (The service worker, whose CSP does apply to it, is
        # served by its own route.)
        _add_missing(headers, present, wanted)
        headers.pop("Content-Disposition", None)
        return response
    wanted.extend(
        SCANNING_HEADERS if endpoint in SCANNING_ENDPOINTS else DOCUMENT_HEADERS
    )
    if request.path.startswith("/api/") or (
        response.mimetype == "text/html" and request.blueprint not in {"public"}
    ):
        # Private answers must not sit in shared caches.
        wanted.append(NO_STORE)
    _add_missing(headers, present, wanted)
    return response


def _add_missing(headers, present: set[str], wanted) -> None:
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)


def secure_cookies_over_https(response):
    # Served over HTTPS (directly or through a trusted proxy): keep the
    # remember-me cookie off plain HTTP, whatever REMEMBER_COOKIE_SECURE says.
    if request.is_secure:
        cookies = response.headers.getlist("Set-Cookie")
        if cookies:
            response.headers.setlist(
                "Set-Cookie",
                [c if "; Secure" in c else c + "; Secure" for c in cookies],
            )
    return response
