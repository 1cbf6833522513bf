"""Accounts: setup, sign-up, login, logout, API tokens and who is asking."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from . import clock
from .errors import ValidationError, error_response, wants_json
from .extensions import db, limiter, login_manager
from .models import MAX_ID, ApiToken, Card, User
from .validation import FieldErrors, clean_email, clean_timezone, region_for_timezone

bp = Blueprint("auth", __name__)

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


def create_user(email: str, password: str, timezone: str | None = None) -> User:
    """Create an account with an empty card; raise ValidationError on bad input.

    Without a time zone the account gets the instance's DEFAULT_TIMEZONE.
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
    if db.session.execute(db.select(User.id).filter_by(email=email)).first():
        raise ValidationError(
            "An account with that email already exists.",
            {"email": "An account with that email already exists."},
        )
    user = User(
        email=email,
        password_hash=hash_password(password),
        timezone=timezone,
        default_region=region_for_timezone(timezone),
    )
    user.card = Card(public_fields=["first_name", "last_name", "headline", "company"])
    db.session.add(user)
    db.session.commit()
    current_app.extensions["morrow_has_users"] = True
    return user


def set_password(user: User, password: str) -> None:
    """Change the password and end every other session of the account."""
    if not password or len(password) < MIN_PASSWORD:
        raise ValidationError(
            f"Use at least {MIN_PASSWORD} characters.",
            {"password": f"Use at least {MIN_PASSWORD} characters."},
        )
    user.password_hash = hash_password(password)
    user.session_version += 1


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
    db.session.commit()
    return raw


def revoke_token(user: User, token_id: int) -> bool:
    token = db.session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    if token is None or token.user_id != user.id or token.revoked_at:
        return False
    token.revoked_at = clock.now()
    db.session.commit()
    return True


def _unknown_user_hash() -> str:
    hashes = current_app.extensions.setdefault("morrow_dummy_hash", {})
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in hashes:
        hashes[method] = hash_password(secrets.token_urlsafe(16))
    return hashes[method]


def safe_next(target: str | None) -> str | None:
    """Allow only same-site paths after login, never another host."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    if target.startswith("//") or "\\" in target:
        return None
    return target


# --- loading the current user -----------------------------------------------------


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
    def load_user(session_id: str) -> User | None:
        user_id = session_id.partition(":")[0]
        if not user_id.isdigit() or not 0 < int(user_id) <= MAX_ID:
            return None
        user = db.session.get(User, int(user_id))
        if user is None or session_id != user.get_id():
            return None
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


# --- pages ------------------------------------------------------------------------


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """Create the owner account on the first run."""
    if db.session.execute(db.select(User.id).limit(1)).first():
        return redirect(url_for("web.home"))
    return _account_form("setup.html")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create another account when the instance allows sign-up."""
    if not current_app.config["ALLOW_SIGNUP"]:
        abort(404)
    return _account_form("signup.html")


def _account_form(template: str):
    errors: dict[str, str] = {}
    default_zone = current_app.config["DEFAULT_TIMEZONE"]
    form = {"email": "", "timezone": default_zone}
    if request.method == "POST":
        form = {
            "email": request.form.get("email", ""),
            "timezone": request.form.get("timezone") or default_zone,
        }
        try:
            user = create_user(
                form["email"], request.form.get("password", ""), form["timezone"]
            )
        except ValidationError as error:
            errors = error.fields
        else:
            login_user(user, remember=True)
            flash("Welcome to Morrow. Start with your card.")
            return redirect(url_for("web.settings_card"))
    status = 400 if errors else 200
    return (
        render_template(template, form=form, errors=errors, default_zone=default_zone),
        status,
    )


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Log in with email and password; remember the phone for weeks if asked."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        password = request.form.get("password", "")
        user = db.session.execute(
            db.select(User).filter(db.func.lower(User.email) == email.lower())
        ).scalar_one_or_none()
        # Hash even for an unknown email, so timing doesn't tell who has an account.
        stored = user.password_hash if user else _unknown_user_hash()
        if check_password_hash(stored, password) and user is not None:
            login_user(user, remember=bool(request.form.get("remember")))
            return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
        error = "That email and password don't match an account."
    return (
        render_template(
            "login.html",
            error=error,
            email=email,
            allow_signup=current_app.config["ALLOW_SIGNUP"],
        ),
        401 if error else 200,
    )


@bp.post("/logout")
def logout():
    """Log out of this browser."""
    logout_user()
    return redirect(url_for("auth.login"))
