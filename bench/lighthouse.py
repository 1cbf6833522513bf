"""Run Lighthouse 12 (mobile) on the public card, Capture and Queue; print scores.

Usage: make lighthouse   (or: .venv/bin/python bench/lighthouse.py)
Needs Debian's chromium and `npm ci` (node_modules/lighthouse). Exits 1 when a
score is under budget: performance >= 95, accessibility 100, best practices 100.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROME = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
BUDGET = {"performance": 95, "accessibility": 100, "best-practices": 100}
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
EMAIL, PASSWORD = "owner@example.com", "correct horse battery"


def build_app(database: Path):
    """A Morrow with one owner whose card is filled in."""
    from app import create_app
    from app.auth import create_user
    from app.cards import update_card
    from app.extensions import db

    app = create_app(
        {
            "SECRET_KEY": "lighthouse-secret-key-0123456789",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "RATELIMIT_STORAGE_URI": "memory://",
            "PUBLIC_URL": None,
        }
    )
    with app.app_context():
        db.create_all()
        user = create_user(EMAIL, PASSWORD, "Europe/Berlin")
        with app.test_request_context("/", base_url="http://127.0.0.1"):
            update_card(
                user,
                {
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "headline": "Analyst of engines",
                    "company": "Morrow Labs",
                    "email": "ada@example.com",
                    "public_fields": ["first_name", "last_name", "headline", "company"],
                },
            )
        db.session.commit()
        slug = user.card.slug
        db.session.remove()
    return app, slug


def session_cookie(base: str) -> str:
    """Log in through the form and return the Cookie header a browser would send."""
    import requests

    with requests.Session() as http:
        form = http.get(f"{base}/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        answer = http.post(
            f"{base}/login",
            data={
                "email": EMAIL,
                "password": PASSWORD,
                "remember": "1",
                "csrf_token": token,
            },
            allow_redirects=False,
        )
        answer.raise_for_status()
        return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def lighthouse(url: str, cookie: str | None, out: Path) -> dict[str, int]:
    command = [
        str(LIGHTHOUSE),
        url,  # first: array flags would swallow a trailing URL
        "--form-factor=mobile",
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        f"--output-path={out}",
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu "
        "--disable-dev-shm-usage --disable-quic",
    ]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROME})
    report = json.loads(out.read_text())
    return {k: round(report["categories"][k]["score"] * 100) for k in CATEGORIES}


def main() -> int:
    if not Path(CHROME).exists():
        print(f"no chromium at {CHROME}: apt-get install chromium", file=sys.stderr)
        return 2
    if not LIGHTHOUSE.exists():
        print("node_modules/lighthouse is missing: run `npm ci`", file=sys.stderr)
        return 2
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        app, slug = build_app(Path(tmp) / "lighthouse.sqlite3")
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        failed = False
        try:
            cookie = session_cookie(base)
            pages = [
                ("public card", f"/c/{slug}", None),
                ("capture", "/capture", cookie),
                ("queue", "/queue", cookie),
            ]
            print(f"{'page':<12} " + " ".join(f"{c:>15}" for c in CATEGORIES))
            for name, path, page_cookie in pages:
                scores = lighthouse(
                    base + path, page_cookie, Path(tmp) / f"{name}.json"
                )
                print(f"{name:<12} " + " ".join(f"{scores[c]:>15}" for c in CATEGORIES))
                failed |= any(scores[c] < need for c, need in BUDGET.items())
        finally:
            server.shutdown()
            server.server_close()
    if failed:
        print("under budget: performance >= 95, accessibility 100, best practices 100")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
