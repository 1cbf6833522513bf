"""The nudge scheduler: a thread in one gunicorn worker, no cron needed.

gunicorn loads ./gunicorn.conf.py, whose `post_worker_init` hook calls
`start` in every worker once the app is loaded. Each worker's thread tries a
lock file in instance/ every NUDGE_INTERVAL seconds; the one holding it runs
`nudges.run_due`, and when that worker exits the lock passes to another. The
file is named after the database (a hash of its URL): two Morrows started from
one checkout with different databases each send their own nudges.
The thread only waits and sends; it never serves a request. Several servers
each run one: the database claim (app/nudges.py) keeps every nudge single.
Nothing starts it in tests or CLI commands; NUDGE_INTERVAL=0 turns it off
(for setups that run `flask --app wsgi nudge` from cron instead).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
import time

from flask import Flask

from . import clock
from .extensions import db

log = logging.getLogger(__name__)


def lock_file(database_url: str) -> str:
    """The lock's file name for one database: nudges-<hash of its URL>.lock."""
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:16]
    return f"nudges-{digest}.lock"


def _try_lock(instance_path: str, database_url: str) -> int | None:
    """Take the database's scheduler lock file; its descriptor, None if taken."""
    path = os.path.join(instance_path, lock_file(database_url))
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd  # held until this process exits


def start(app: Flask) -> threading.Thread | None:
    """Start the scheduler thread for this process (None when turned off)."""
    interval = app.config.get("NUDGE_INTERVAL") or 0
    if interval <= 0:
        return None
    thread = threading.Thread(
        target=_loop, args=(app, interval), name="morrow-nudges", daemon=True
    )
    thread.start()
    return thread


def _loop(app: Flask, interval: int) -> None:
    lock = None
    while True:
        if lock is None:
            lock = _try_lock(
                app.instance_path, str(app.config["SQLALCHEMY_DATABASE_URI"])
            )
        if lock is not None:
            with app.app_context():
                try:
                    from .nudges import run_due

                    run_due(clock.now())
                except Exception:
                    log.exception("the nudge run failed; trying again later")
                finally:
                    db.session.remove()
        time.sleep(interval)
