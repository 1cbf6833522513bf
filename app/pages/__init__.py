"""The HTML pages: one module, one blueprint, per URL area.

| module | URL area |
| --- | --- |
| `home` | `/` |
| `card` | `/card`, `/card/qr.svg`, `/card/qr.png`, `/card.vcf` |
| `people` | `/capture`, `/people/…` |
| `queue` | `/queue/…` |
| `events` | `/events/…` |
| `settings` | `/settings/…` |
| `public` | `/healthz`, `/c/<slug>/…`, `/feed/<token>.ics` (no login) |
| `auth` | `/setup`, `/signup`, `/login`, `/logout` |
| `pwa` | `/manifest.webmanifest`, `/sw.js`, `/offline` |

Views parse the request, call the domain modules in `app/`, and render; the
rules live in those modules, shared with the API (`app/api/`). `downloads`
holds the answers that send a file (QR images, vCards).
"""

from __future__ import annotations

from flask import Flask

from ..cards import links_are_local
from ..drafts import KIND_LABELS
from . import auth, card, events, home, people, public, pwa, queue, settings

BLUEPRINTS = (home, card, people, queue, events, settings, public, auth, pwa)


def register(app: Flask) -> None:
    """Register every page blueprint, and the helpers their templates share."""
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)

    @app.context_processor
    def page_helpers() -> dict:
        return {
            "kind_label": lambda kind: KIND_LABELS.get(kind, kind),
            "cadences": people.CADENCES,
            # For the PUBLIC_URL notice on Home, Card and Queue.
            "links_are_local": links_are_local,
        }
