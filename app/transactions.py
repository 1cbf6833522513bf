"""One transaction per request: the request commits once, or not at all.

- The domain modules (contacts, followups, cards, accounts, events, …) change
  the session and `flush()`; they never commit or roll back. So a service can
  be called many times in one transaction (a batch of captures, an account
  import), and a view that calls two services writes both or neither.
- The request commits once, after the view has answered: an answer below 400
  (a page, a redirect, a 2xx) commits; any other answer (a 4xx or 5xx, from a
  view or from an error handler) rolls back. A commit that fails is answered
  like an error raised in the view (a busy database is a 503).
- A view that answers a refused write itself (a form shown again with its
  errors, a flash and a redirect) writes inside `undo_on_error()`: an error
  leaving it rolls back at once, so nothing half-written stays or is shown.
- Two exceptions keep other writers from waiting. Bulk import
  (importing.import_cards) commits every BATCH cards in its own loop. A
  capture (one or a batch) commits as soon as its people are written
  (`commit_now`), before its answer is encoded and sent.
- On SQLite a write transaction that may wait for another writer starts with
  `begin_write`, which asks for the write lock again every 0.2 to 2 ms
  instead of leaving the wait to SQLite's busy handler.
- Work outside any request commits itself: CLI commands (app/cli.py), the
  nudge runner (app/nudges.py: each claim and its outcome, so one owner's
  trouble never undoes another's), the draft polisher's threads
  (app/polish.py) and the card reader's, which fill a synced capture's empty
  fields from its card photo (app/card_photos.py).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, g, has_request_context
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from .extensions import db


def init_app(app: Flask) -> None:
    @app.after_request
    def commit_if_succeeded(response):
        session = db.session()
        if response.status_code >= 400:
            session.rollback()
            return response
        if session.in_transaction():
            try:
                session.commit()
            except SQLAlchemyError as error:
                session.rollback()
                return app.make_response(app.handle_user_exception(error))
        for work in g.pop("after_commit", []):
            work()
        return response


def after_commit(work: Callable[[], object]) -> None:
    """Run `work` once this request's writes are committed (never if refused).

    For work other connections do with what the request wrote (a background
    thread reads it from its own session): before the commit it would not see it.
    Outside a request there is nothing to wait for: it runs at once.
    """
    if has_request_context():
        g.setdefault("after_commit", []).append(work)
    else:
        work()


@contextmanager
def undo_on_error() -> Iterator[None]:
    """Roll back at once when the write inside fails, and let the error go on.

    For a view that shows a refusal itself: what it shows next reads what is
    stored, and the request commits nothing of the failed write.
    """
    try:
        yield
    except Exception:
        db.session.rollback()
        raise


def commit_now() -> None:
    """Commit the request's writes before its answer is made.

    For captures: on SQLite a capture holds the database's write lock from its
    first INSERT to its commit, and every other capture waits for it. Committed
    at once, the lock is not also held while the answer is encoded and the
    after-request hooks run. A failed commit raises, and is answered, as the
    request's own would be (a busy database is a 503); the request's commit
    then finds nothing left to do.
    """
    db.session.commit()


# Pauses between two asks for SQLite's write lock: from 0.2 ms, growing by half
# each time, to at most 2 ms.
FIRST_PAUSE, LONGEST_PAUSE = 0.0002, 0.002


def begin_write() -> None:
    """On SQLite, open the transaction with the write lock (BEGIN IMMEDIATE).

    SQLite's busy handler sleeps between its asks for a lock another writer
    holds: 1, 2, 5, 10, 15, 20, 25 ms and on, up to 100 ms. A capture holds
    the lock for a few milliseconds, so a waiting capture overslept most of
    its wait while the lock lay free: captures from two workers, 8 clients,
    kept both cores busy only 57 % of the time. This asks again every 0.2 to
    2 ms, for as long as the connection's busy timeout allows, then fails as
    SQLite would ("database is locked": a 503).
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    dbapi = connection.connection.dbapi_connection
    if isinstance(dbapi, sqlite3.Connection) and not dbapi.in_transaction:
        _take_write_lock(dbapi)


def _take_write_lock(dbapi: sqlite3.Connection) -> None:
    (patience_ms,) = dbapi.execute("PRAGMA busy_timeout").fetchone()
    dbapi.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + patience_ms / 1000
        pause = FIRST_PAUSE
        while True:
            try:
                dbapi.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    # As SQLAlchemy raises it: answered as every busy database is.
                    raise OperationalError("BEGIN IMMEDIATE", None, error) from None
            time.sleep(pause)
            pause = min(pause * 1.5, LONGEST_PAUSE)
    finally:
        dbapi.execute(f"PRAGMA busy_timeout = {int(patience_ms)}")
