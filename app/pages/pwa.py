"""The app shell: web app manifest and the service worker, served from the root."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, url_for

bp = Blueprint("pwa", __name__)

BRAND_GREEN = "#0f5b4f"
BACKGROUND = "#f7f6f2"  # --bg in morrow.css, so the splash screen matches the page
# Never precached: the worker itself, and files only a developer opens.
SKIP_PRECACHE = {"sw.js"}
SKIP_SUFFIXES = (".map", ".md", ".txt")


def static_files(app: Flask) -> list[Path]:
    """Every file the shell may need offline, in a stable order."""
    root = Path(app.static_folder or "")
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and path.name not in SKIP_PRECACHE
        and not path.name.startswith(".")
        and not path.name.endswith(SKIP_SUFFIXES)
    )


def shell_version(app: Flask) -> str:
    """A hash over the static files: it changes whenever any of them changes."""
    cached = app.extensions.get("morrow_shell_version")
    if cached:
        return cached
    digest = hashlib.sha256()
    root = Path(app.static_folder or "")
    for path in static_files(app):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    digest.update((Path(app.root_path) / ".." / "static" / "sw.js").read_bytes())
    version = digest.hexdigest()[:12]
    # Hashed once per process: a deploy restarts the server, a dev edit reloads it.
    app.extensions["morrow_shell_version"] = version
    return version


def shell_urls(app: Flask) -> list[str]:
    root = Path(app.static_folder or "")
    return [
        url_for("static", filename=path.relative_to(root).as_posix())
        for path in static_files(app)
    ]


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """Describe Morrow to the browser so it can be installed like an app."""
    icon = lambda name: url_for("static", filename=f"icons/{name}")  # noqa: E731
    body = {
        "id": "/",
        "name": "Morrow",
        "short_name": "Morrow",
        "description": "Show your card, capture the people you meet, follow up.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": BRAND_GREEN,
        "background_color": BACKGROUND,
        "icons": [
            {"src": icon("icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": icon("icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": icon("maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "shortcuts": [
            {
                "name": "Show my card",
                "short_name": "My card",
                "url": "/card",
                "icons": [{"src": icon("icon-192.png"), "sizes": "192x192"}],
            },
            {
                "name": "Add person",
                "short_name": "Add",
                "url": "/capture",
                "icons": [{"src": icon("icon-192.png"), "sizes": "192x192"}],
            },
        ],
    }
    response = Response(
        json.dumps(body, indent=1), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    """Serve the service worker from the root so its scope is the whole app."""
    # The app behind the proxy; Flask's hints type current_app as Flask itself.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    source = (Path(app.root_path) / ".." / "static" / "sw.js").read_text(
        encoding="utf-8"
    )
    source = source.replace('"__VERSION__"', json.dumps(shell_version(app)))
    source = source.replace('["__SHELL__"]', json.dumps(shell_urls(app) + ["/offline"]))
    response = Response(source, mimetype="text/javascript")
    # The browser must ask every time, or an update could wait a day.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
def offline() -> str:
    """The page shown for a screen that was never opened while online."""
    from flask import render_template

    return render_template("offline.html")
