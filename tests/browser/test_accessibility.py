"""axe-core finds no WCAG 2.1 A/AA violation on any screen, light or dark."""

from __future__ import annotations

import uuid

import pytest
from browserlib import log_in, new_context, run_axe, save_capture

PRIVATE_PAGES = [
    "/",
    "/card",
    "/capture",
    "/people",
    "/people/{person}",
    "/queue",
    "/events",
    "/settings",
    "/settings/card",
    "/settings/account",
    "/settings/notifications",
    "/offline",
]


def audit(page, path: str) -> list:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    return [(path, v["id"], v["impact"], v["nodes"][:3]) for v in run_axe(page)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violation_on_any_screen(browser, phone, live_server, scheme):
    context = new_context(browser, phone, live_server, color_scheme=scheme)
    try:
        page = context.new_page()
        found = audit(page, f"/c/{live_server.app.config['TEST_SLUG']}")
        found += audit(page, "/login")
        log_in(page)
        person = str(uuid.uuid4())
        assert (
            save_capture(page, {"id": person, "name": "Grace Hopper"})["queued"]
            is False
        )
        for path in PRIVATE_PAGES:
            found += audit(page, path.format(person=person))
        assert found == []
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violation_on_first_run_setup(browser, phone, empty_server, scheme):
    context = new_context(browser, phone, empty_server, color_scheme=scheme)
    try:
        page = context.new_page()
        assert audit(page, "/setup") == []
    finally:
        context.close()
