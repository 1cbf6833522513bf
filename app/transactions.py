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
- The one exception is bulk import (importing.import_cards), which commits
  every BATCH cards in its own loop so other writers are not kept waiting.
- Work outside any request commits itself: CLI commands (app/cli.py), the
  nudge runner (app/nudges.py: each claim and its outcome, so one owner's
  trouble never undoes another's), the draft polisher's threads
  (app/polish.py) and the card reader's, which fill a synced capture's empty
  fields from its card photo (app/card_photos.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, g, has_request_context
from sqlalchemy.exc import SQLAlchemyError

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
