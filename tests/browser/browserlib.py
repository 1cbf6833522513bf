"""Helpers for Morrow's browser tests: live server, test-only faults, page steps."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
OWNER_EMAIL = "owner@example.com"
PASSWORD = "correct horse battery"


@dataclass
class Faults:
    """A test-only switch on the test's own app: make the contacts API misbehave."""

    fail_with: int | None = None
    reject_names: set[str] = field(default_factory=set)
    delay: float = 0.0  # seconds each capture request waits before it is handled
    # Every capture's answer, one per item of a batch: (contact id, status).
    answers: list[tuple[str, int]] = field(default_factory=list)
    # Every capture request: (path, status), a batch counting once.
    requests: list[tuple[str, int]] = field(default_factory=list)
    # Every answer of the follow-ups API: (method, path, status).
    followup_answers: list[tuple[str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def statuses(self, contact_id: str | None = None) -> list[int]:
        with self.lock:
            return [s for i, s in self.answers if contact_id in (None, i)]


def install_faults(app, faults: Faults) -> None:
    import json

    from flask import g, jsonify, request

    from app.errors import error_response

    batch_path = "/api/v1/contacts/batch"

    def is_capture() -> bool:
        return request.method == "POST" and request.path in (
            "/api/v1/contacts",
            batch_path,
        )

    def refusal(name: str) -> dict:
        return {
            "code": "unprocessable",
            "message": f"{name} cannot be saved: the email bounces.",
            "fields": {"email": "This address bounces."},
        }

    def sent_items() -> list:
        body = request.get_json(silent=True) or {}
        if request.path != batch_path:
            return [body]
        items = body.get("items") if isinstance(body, dict) else None
        return items if isinstance(items, list) else []

    @app.before_request
    def misbehave():
        if not is_capture():
            return None
        if faults.delay:
            import time

            time.sleep(faults.delay)
        if faults.fail_with:
            return error_response(faults.fail_with, "The server is having a bad day.")
        items = sent_items()
        refused = {
            n: item
            for n, item in enumerate(items)
            if isinstance(item, dict) and item.get("name") in faults.reject_names
        }
        if not refused:
            return None
        if request.path != batch_path:
            error = refusal(items[0]["name"])
            return error_response(422, error["message"], fields=error["fields"])
        # A batch: the app handles the others; record() puts these back in place.
        g.refused_items = refused
        kept = [item for n, item in enumerate(items) if n not in refused]
        if not kept:
            return jsonify(results=[])
        request._cached_data = json.dumps({"items": kept}).encode()
        return None

    def with_refusals(response):
        refused = g.get("refused_items")
        if not refused or response.status_code != 200:
            return response
        results = list(response.get_json()["results"])
        for n in sorted(refused):
            item = refused[n]
            error = refusal(item["name"])
            results.insert(n, {"id": item.get("id"), "status": 422, "error": error})
        response.set_data(json.dumps({"results": results}))
        return response

    @app.after_request
    def record(response):
        if request.path.startswith("/api/v1/followups/"):
            with faults.lock:
                faults.followup_answers.append(
                    (request.method, request.path, response.status_code)
                )
        if is_capture():
            response = with_refusals(response)
            items = sent_items()
            if request.path == batch_path and response.status_code == 200:
                answers = [
                    (str(r["id"]), r["status"]) for r in response.get_json()["results"]
                ]
            else:
                answers = [
                    (
                        str((i if isinstance(i, dict) else {}).get("id")),
                        response.status_code,
                    )
                    for i in items
                ]
            with faults.lock:
                faults.answers.extend(answers)
                faults.requests.append((request.path, response.status_code))
        return response


def buffered(app):
    """Read each answer fully before sending it.

    When the browser drops a connection mid-file (going offline, closing a tab),
    the development server can leave a static file open; buffering closes it here.
    """

    def middleware(environ, start_response):
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return middleware


class LiveServer:
    def __init__(self, app) -> None:
        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def people(self) -> list[tuple[str, str]]:
        """(id, name) of every person stored on the server."""
        from app.extensions import db
        from app.models import Contact

        with self.app.app_context():
            rows = db.session.execute(db.select(Contact.id, Contact.name)).all()
            db.session.remove()
        return [(str(i), n) for i, n in rows]


def new_context(browser, phone, live_server, **options):
    return browser.new_context(**{**phone, "base_url": live_server.url, **options})


def log_in(page, email: str = OWNER_EMAIL) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))


def log_out(page) -> None:
    page.goto("/settings")
    page.locator("form[action$='logout'] button").first.click()
    page.wait_for_url("**/login")


def wait_for_control(page) -> None:
    """Wait until the service worker controls the page and has cached the screens."""
    page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null", timeout=15000
    )
    page.wait_for_function(
        """async () => {
          const keys = await caches.keys();
          const pages = keys.find((k) => k.startsWith('morrow-pages-'));
          if (!pages) return false;
          const cache = await caches.open(pages);
          return Boolean(await cache.match('/card') && await cache.match('/'));
        }""",
        timeout=15000,
    )


def run_axe(page) -> list[dict]:
    if not AXE.exists():
        pytest.skip("node_modules/axe-core is missing: run `npm ci` (or `make node`)")
    page.evaluate(AXE.read_text())
    return page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a','wcag2aa','wcag21a','wcag21aa']}}).then(r => r.violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))})))"
    )


def save_capture(page, payload: dict) -> dict:
    """Hand a capture to the page's outbox, the way the capture screen does."""
    return page.evaluate(
        "async (payload) => (await import('/static/js/outbox.js')).saveCapture(payload)",
        payload,
    )


def outbox(page, call: str):
    """Call one of outbox.js's exports in the page and return its answer."""
    return page.evaluate(
        f"async () => {{ const m = await import('/static/js/outbox.js'); return m.{call}; }}"
    )


def wait_until(predicate, timeout: float = 30.0, message: str = "condition") -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.2)


def log_in_without_pages(context) -> None:
    """Log the context in through HTTP alone, so no page warms the browser's caches."""
    import re

    form = context.request.get("/login").text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = context.request.post(
        "/login",
        form={
            "email": OWNER_EMAIL,
            "password": PASSWORD,
            "remember": "1",
            "csrf_token": token,
        },
        max_redirects=0,
    )
    assert answer.status == 302, answer.text()
