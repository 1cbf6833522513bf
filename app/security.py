"""CSRF on cookie-authenticated writes, and the headers every answer carries."""

from __future__ import annotations

from flask import Flask, g, request
from flask_login import current_user

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

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Blueprints whose forms anonymous visitors submit: these always need the token.
PUBLIC_FORMS = frozenset({"auth", "public"})


def init_app(app: Flask) -> None:
    @app.before_request
    def protect_cookie_writes():
        # Bearer-token clients carry no cookie, so they cannot be tricked into a
        # cross-site write; everything else needs the CSRF token.
        if request.method not in UNSAFE_METHODS:
            return None
        if g.get("token_authenticated"):
            return None
        if request.endpoint in app.config.get("CSRF_EXEMPT_ENDPOINTS", ()):
            return None
        if not current_user.is_authenticated and request.blueprint not in PUBLIC_FORMS:
            # Private routes refuse anonymous requests before writing anything
            # (401 under /api/, a redirect to login for pages).
            return None
        csrf.protect()
        return None

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault(
            "Permissions-Policy", "camera=(self), microphone=(), geolocation=()"
        )
        if request.path.startswith("/api/") or (
            response.mimetype == "text/html" and request.blueprint not in {"public"}
        ):
            # Private answers must not sit in shared caches.
            headers.setdefault("Cache-Control", "no-store")
        return response
