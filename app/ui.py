"""Places where feature modules plug into shared pages (nav, Home, Settings)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

NAV_ORDER = {"Capture": 1, "People": 2, "Queue": 3, "Events": 4}


def register_nav(app: Flask, label: str, endpoint: str) -> None:
    """Add a tab to the bottom bar (between Home and Settings)."""
    items = app.extensions.setdefault("morrow_nav", [])
    if (label, endpoint) not in items:
        items.append((label, endpoint))
        items.sort(key=lambda item: NAV_ORDER.get(item[0], 99))


def register_home_panel(app: Flask, provider: Callable[[object], dict]) -> None:
    """Add figures to Home: provider(user) returns a dict merged into `panels`."""
    app.extensions.setdefault("morrow_home_panels", []).append(provider)


def register_settings_section(app: Flask, title: str, url: str, blurb: str) -> None:
    app.extensions.setdefault("morrow_settings_sections", []).append(
        (title, url, blurb)
    )


def init_app(app: Flask) -> None:
    @app.context_processor
    def navigation():
        return {"nav_items": lambda: app.extensions.get("morrow_nav", [])}
