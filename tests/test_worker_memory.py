"""A server worker loads only what requests need (DESIGN §9: ≤ 80 MB resident).

Push, the calendar feed, vCard writing, migrations, paper-card reading and test
libraries are imported when first used; loaded with the app they would cost
every gunicorn worker their memory for good.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Modules a worker must not hold after creating the app.
NOT_AT_START = (
    "alembic",
    "flask_migrate",
    "pywebpush",
    "py_vapid",
    "http_ece",
    "cryptography",
    "requests",
    "aiohttp",
    "vobject",
    "smtplib",
    "hypothesis",
    "pytest",
    "PIL",
    "app.nudges",
    "app.feed",
    "app.mail",
    "app.card_reading",
)


def test_the_server_app_leaves_heavy_modules_unloaded(tmp_path):
    script = (
        "import json, sys\n"
        "import wsgi\n"
        f"names = {list(NOT_AT_START)!r}\n"
        "print(json.dumps([n for n in names if n in sys.modules]))\n"
    )
    env = {
        **os.environ,
        "SECRET_KEY": "worker-memory-test-secret-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'morrow.sqlite3'}",
    }
    env.pop("FLASK_APP", None)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == []
