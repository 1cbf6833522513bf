"""Extension objects, created unbound and initialised in create_app."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.constants import ConfigVars
from flask_limiter.util import get_qualified_name, get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    if TYPE_CHECKING:  # every model maps one table (not just any FROM clause)
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


# The endpoints that have no rate limit of their own, where no limit applies
# to every route either: the limiter skips its work on them (see
# note_unlimited_endpoints). Kept per app, in app.extensions.
UNLIMITED_ENDPOINTS = "morrow_unlimited_endpoints"


@limiter.request_filter
def _has_no_limit() -> bool:
    """Let the limiter skip a request whose route has no limit (most of them)."""
    unlimited = current_app.extensions.get(UNLIMITED_ENDPOINTS)
    return unlimited is not None and request.endpoint in unlimited


def note_unlimited_endpoints(app: Flask) -> None:
    """Find the routes no rate limit applies to, once all routes are registered.

    Only the routes decorated with limiter.limit (scan-card, login, sign-up,
    setup, the exchange form, the password and deletion checks) keep the
    limiter's per-request work. Were a limit set for every route (default,
    application or meta limits, or one on a blueprint), none is skipped.
    """
    manager = limiter.limit_manager
    app.extensions.pop(UNLIMITED_ENDPOINTS, None)
    with app.app_context():  # limits given as functions read the config
        if (
            manager.default_limits
            or manager.application_limits
            or app.config.get(ConfigVars.META_LIMITS)
            or any(manager.blueprint_limits(app, name) for name in app.blueprints)
        ):
            return
        unlimited = frozenset(
            endpoint
            for endpoint, view in app.view_functions.items()
            if not manager.decorated_limits(get_qualified_name(view))
        )
    app.extensions[UNLIMITED_ENDPOINTS] = unlimited
