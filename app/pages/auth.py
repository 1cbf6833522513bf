"""Setup, sign-up, login and logout pages (the rules they follow are in app/auth.py)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.security import check_password_hash

from ..auth import (
    SetupClosed,
    _unknown_user_hash,
    create_user,
    end_session,
    find_user_by_email,
    safe_next,
    setup_code_matches,
    start_session,
)
from ..errors import ValidationError
from ..extensions import db, limiter
from ..models import (
    User,
)
from ..transactions import undo_on_error

bp = Blueprint("auth", __name__)


def _wrong_setup_code(response) -> bool:
    return bool(g.get("wrong_setup_code"))


@bp.route("/setup", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SETUP_CODE_RATE_LIMIT"],
    methods=["POST"],
    deduct_when=_wrong_setup_code,
)
def setup():
    """Create the owner account on the first run, for whoever has the setup code."""
    if db.session.execute(db.select(User.id).limit(1)).first():
        return redirect(url_for("home.index"))
    return _account_form("setup.html", first_run=True)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"], methods=["POST"])
def signup():
    """Create another account when the instance allows sign-up."""
    if not current_app.config["ALLOW_SIGNUP"]:
        abort(404)
    return _account_form("signup.html")


WRONG_SETUP_CODE = (
    "That is not the setup code. It is printed where Morrow was started "
    "(make run), or by: .venv/bin/flask --app wsgi setup-code"
)


def _account_form(template: str, first_run: bool = False):
    errors: dict[str, str] = {}
    default_zone = current_app.config["DEFAULT_TIMEZONE"]
    form = {"email": "", "timezone": default_zone, "setup_code": ""}
    if request.method == "POST":
        form = {
            "email": request.form.get("email", ""),
            "timezone": request.form.get("timezone") or default_zone,
            "setup_code": request.form.get("setup_code", "")[:40],
        }
        try:
            if first_run and not setup_code_matches(form["setup_code"]):
                g.wrong_setup_code = True
                raise ValidationError(
                    WRONG_SETUP_CODE, {"setup_code": WRONG_SETUP_CODE}
                )
            with undo_on_error():
                user = create_user(
                    form["email"],
                    request.form.get("password", ""),
                    form["timezone"],
                    first_run=first_run,
                )
        except ValidationError as error:
            errors = error.fields
        except SetupClosed:
            flash("This Morrow has its owner already. Log in.")
            return redirect(url_for("auth.login"))
        else:
            start_session(user, remember=True)
            flash("Welcome to Morrow. Start with your card.")
            return redirect(url_for("settings.card"))
    status = 400 if errors else 200
    return (
        render_template(
            template,
            form=form,
            errors=errors,
            default_zone=default_zone,
            first_run=first_run,
        ),
        status,
    )


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Log in with email and password; remember the phone for weeks if asked."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        password = request.form.get("password", "")
        user = find_user_by_email(email)
        # Hash even for an unknown email, so timing doesn't tell who has an account.
        stored = user.password_hash if user else _unknown_user_hash()
        if check_password_hash(stored, password) and user is not None:
            start_session(user, remember=bool(request.form.get("remember")))
            return redirect(
                safe_next(request.args.get("next")) or url_for("home.index")
            )
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
    """Log out of this browser; its session and remember-me cookie stop working."""
    end_session()
    return redirect(url_for("auth.login"))
