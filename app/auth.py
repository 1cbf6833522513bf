"""Accounts: setup, sign-up, login, logout, API tokens and who is asking."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from flask import (
    Flask,
    current_app,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from . import clock
from .errors import ValidationError, error_response, wants_json
from .extensions import db, login_manager
from .models import (
    MAX_ID,
    ApiToken,
    Card,
    LoginSession,
    SetupClaim,
    User,
    fold_email,
)
from .validation import FieldErrors, clean_email, clean_timezone, region_for_timezone

TOKEN_PREFIX = "mrw_"
MIN_PASSWORD = 8


# --- services -----------------------------------------------------------------


def hash_password(password: str) -> str:
    """Hash with scrypt (tests may choose a cheaper method through the config)."""
    return generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


EMAIL_TAKEN = "An account with this email already exists."


def find_user_by_email(email: str) -> User | None:
    """The account of an address, whatever case it is typed in."""
    return db.session.execute(
        db.select(User).filter_by(email_folded=fold_email(email))
    ).scalar_one_or_none()


def create_user(
    email: str, password: str, timezone: str | None = None, *, first_run=False
) -> User:
    """Create an account with an empty card; raise ValidationError on bad input.

    Without a time zone the account gets the instance's DEFAULT_TIMEZONE. The
    address is kept as typed (its domain lower-cased); no other account may
    have it in any case. With first_run, the account is the owner made by the
    setup page: it is written only if no account exists and no other setup won.
    """
    errors = FieldErrors()
    email = errors.check("email", clean_email, email) or ""
    if not email:
        errors.add("email", "Enter your email address.")
    default_zone = current_app.config["DEFAULT_TIMEZONE"]
    timezone = (
        errors.check("timezone", clean_timezone, timezone or default_zone)
        or default_zone
    )
    if not password or len(password) < MIN_PASSWORD:
        errors.add("password", f"Use at least {MIN_PASSWORD} characters.")
    elif len(password) > 200:
        errors.add("password", "Use at most 200 characters.")
    errors.raise_if_any()
    if find_user_by_email(email) is not None:
        raise ValidationError(EMAIL_TAKEN, {"email": EMAIL_TAKEN})
    user = User(
        email=email,
        password_hash=hash_password(password),
        timezone=timezone,
        default_region=region_for_timezone(timezone),
    )
    user.card = Card(public_fields=["first_name", "last_name", "headline", "company"])
    if first_run:
        # Claim the instance in the same transaction: the claim row's fixed key
        # lets one simultaneous setup commit, and an account made meanwhile
        # (by the CLI) is seen here.
        db.session.add(SetupClaim(id=1))
        try:
            db.session.flush()
        except IntegrityError:
            raise SetupClosed() from None
        if db.session.execute(db.select(User.id).limit(1)).first():
            raise SetupClosed()
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request took the address between the check and the write.
        raise ValidationError(EMAIL_TAKEN, {"email": EMAIL_TAKEN}) from None
    current_app.extensions["morrow_has_users"] = True
    return user


class SetupClosed(Exception):
    """The instance has its owner already; first-run setup made nothing."""


def set_password(user: User, password: str, keep_session: str | None = None) -> None:
    """Change the password; end every other login and revoke every API token.

    keep_session is the key of the login that made the change (it stays).
    The caller commits.
    """
    if not password or len(password) < MIN_PASSWORD:
        raise ValidationError(
            f"Use at least {MIN_PASSWORD} characters.",
            {"password": f"Use at least {MIN_PASSWORD} characters."},
        )
    user.password_hash = hash_password(password)
    ended = db.delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep_session:
        ended = ended.where(LoginSession.key_hash != hash_token(keep_session))
    db.session.execute(ended)
    db.session.execute(
        db.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


def start_session(user: User, remember: bool = False) -> None:
    """Log this browser in under a new login key and a new CSRF token.

    Whatever the session held before (a visitor's CSRF token, a planted
    session) is dropped, so nothing from before the login is trusted after it.
    Logins older than the remember-me cookie's lifetime are swept on the way.
    """
    key = secrets.token_urlsafe(32)
    lifetime = current_app.config["REMEMBER_COOKIE_DURATION"]
    if not isinstance(lifetime, int | float):
        lifetime = lifetime.total_seconds()
    cutoff = clock.now() - dt.timedelta(seconds=lifetime)
    db.session.execute(
        db.delete(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.created_at < cutoff
        )
    )
    db.session.add(
        LoginSession(key_hash=hash_token(key), user_id=user.id, created_at=clock.now())
    )
    db.session.flush()
    session.clear()
    user.session_key = key
    login_user(user, remember=remember)


def end_session() -> None:
    """Log this browser out and delete its login, so no copy of it works."""
    key = getattr(current_user, "session_key", None)
    if key:
        db.session.execute(
            db.delete(LoginSession).where(LoginSession.key_hash == hash_token(key))
        )
    session.clear()
    logout_user()  # after clear: it leaves the order to delete the remember cookie


def create_token(user: User, name: str = "") -> str:
    """Create a personal API token and return it; only its hash is stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user_id=user.id,
            name=(name or "API token")[:80],
            token_hash=hash_token(raw),
            prefix=raw[:12],
        )
    )
    db.session.flush()
    return raw


def revoke_token(user: User, token_id: int) -> bool:
    token = db.session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    if token is None or token.user_id != user.id or token.revoked_at:
        return False
    token.revoked_at = clock.now()
    db.session.flush()
    return True


def _unknown_user_hash() -> str:
    hashes = current_app.extensions.setdefault("morrow_dummy_hash", {})
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in hashes:
        hashes[method] = hash_password(secrets.token_urlsafe(16))
    return hashes[method]


def safe_next(target: str | None) -> str | None:
    """Allow only same-site paths after login, never another host.

    A path with a line break or any other control character is refused too:
    it could not be sent in a Location header.
    """
    if not target:
        return None
    target = target.strip()
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    if target.startswith("//") or "\\" in target:
        return None
    return target


def setup_code() -> str:
    """The one-time code the first-run setup page asks for, like ABCD-EFGH-JKLM.

    Derived from SECRET_KEY, so every worker and every restart agrees on it;
    `make run` and `flask --app wsgi setup-code` print it on the server.
    """
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(),
        b"morrow first-run setup code",
        hashlib.sha256,
    ).digest()
    letters = base64.b32encode(digest).decode()[:12]
    return "-".join(letters[i : i + 4] for i in range(0, 12, 4))


def setup_code_matches(typed: str) -> bool:
    """Compare in constant time, forgiving case, spaces and dashes."""
    cleaned = "".join(typed.split()).replace("-", "").upper()
    return hmac.compare_digest(cleaned.encode(), setup_code().replace("-", "").encode())


# --- loading the current user -----------------------------------------------------


# The owner of a live login, looked up by its key's hash (the primary key).
_SESSION_OWNER = (
    db.select(User)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(LoginSession.key_hash == db.bindparam("key_hash"))
)

# The owner of a live (unrevoked) token, looked up by the token's hash.
_TOKEN_OWNER = (
    db.select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == db.bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
    )
)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_key: str) -> User | None:
        # One indexed lookup: a login that was logged out, ended by a password
        # change or deleted with its account has no row, and loads no one.
        if not session_key or len(session_key) > 100:
            return None
        user = db.session.execute(
            _SESSION_OWNER, {"key_hash": hash_token(session_key)}
        ).scalar_one_or_none()
        if user is not None:
            user.session_key = session_key
        return user

    @login_manager.request_loader
    def load_user_from_token(req) -> User | None:
        header = req.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return None
        # One query for the token and its owner: it runs on every API call.
        user = db.session.execute(
            _TOKEN_OWNER, {"token_hash": hash_token(raw.strip())}
        ).scalar_one_or_none()
        if user is not None:
            g.token_authenticated = True
        return user

    @app.before_request
    def note_bearer_token():
        # Resolve a bearer token before the CSRF check decides anything.
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            _ = current_user.is_authenticated

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            return error_response(401, "Log in or send an API token.")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
