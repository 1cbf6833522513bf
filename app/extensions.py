"""Extension objects, created unbound and initialised in create_app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, ClassVar

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
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


@contextmanager
def kept_after_commit() -> Iterator[None]:
    """Commit without expiring loaded objects, for answers built right after.

    Only for writes whose objects hold exactly what was written (no database
    defaults or triggers change their columns): reading them again would cost
    a query per object for nothing.
    """
    session = db.session()
    before = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = before
