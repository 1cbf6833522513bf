"""Configuration: defaults, then the environment, checked before the app starts."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import available_timezones


class ConfigError(RuntimeError):
    """A setting has a value Morrow cannot run with."""


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _int(name: str, value: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {number}")
    return number


def normalise_database_url(url: str) -> str:
    """Accept the URL forms hosting providers hand out; use psycopg 3 for PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in {"sqlite", "postgresql+psycopg"}:
        raise ConfigError(
            "DATABASE_URL must start with sqlite:/// or postgresql://, "
            f"not {url.split('://', 1)[0]!r}"
        )
    return url


def secret_key_from_instance(instance_path: str) -> str:
    """Read the generated secret key, creating it on the first start."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


MAX_CONTENT_LENGTH = 6 * 1024 * 1024
UPLOAD_FRAMING = 64 * 1024  # multipart headers and boundaries around an import file


def _secret_key(value: str) -> str:
    if len(value) < 16:
        raise ConfigError("SECRET_KEY must be at least 16 characters long")
    return value


def _public_url(value: str) -> str:
    public_url = value.rstrip("/")
    parts = urlsplit(public_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(
            f"PUBLIC_URL must be an absolute http(s) URL, not {public_url!r}"
        )
    return public_url


def from_environment(environ: dict[str, str], instance_path: str) -> dict:
    """Build the settings from environment variables, failing loudly on bad values."""
    config: dict = {}
    if environ.get("SECRET_KEY"):
        config["SECRET_KEY"] = _secret_key(environ["SECRET_KEY"])
    if environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
            environ["DATABASE_URL"]
        )
    if environ.get("PUBLIC_URL"):
        config["PUBLIC_URL"] = _public_url(environ["PUBLIC_URL"])
    if "ALLOW_SIGNUP" in environ:
        config["ALLOW_SIGNUP"] = _bool("ALLOW_SIGNUP", environ["ALLOW_SIGNUP"])
    if environ.get("RATELIMIT_STORAGE_URI"):
        config["RATELIMIT_STORAGE_URI"] = environ["RATELIMIT_STORAGE_URI"]
    if environ.get("MAX_IMPORT_BYTES"):
        config["MAX_IMPORT_BYTES"] = _int(
            "MAX_IMPORT_BYTES", environ["MAX_IMPORT_BYTES"], 1024
        )
        # The request that carries the file, multipart framing included.
        config["MAX_CONTENT_LENGTH"] = max(
            MAX_CONTENT_LENGTH, config["MAX_IMPORT_BYTES"] + UPLOAD_FRAMING
        )
    if environ.get("CARD_PHOTO_MAX_BYTES"):
        config["CARD_PHOTO_MAX_BYTES"] = _int(
            "CARD_PHOTO_MAX_BYTES", environ["CARD_PHOTO_MAX_BYTES"], 64 * 1024
        )
    if "PROXY_FIX" in environ:
        config["PROXY_FIX"] = _int("PROXY_FIX", environ["PROXY_FIX"])
    if "SESSION_COOKIE_SECURE" in environ:
        config["SESSION_COOKIE_SECURE"] = _bool(
            "SESSION_COOKIE_SECURE", environ["SESSION_COOKIE_SECURE"]
        )
        config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]
    if environ.get("DEFAULT_TIMEZONE"):
        if environ["DEFAULT_TIMEZONE"] not in available_timezones():
            raise ConfigError(
                f"DEFAULT_TIMEZONE {environ['DEFAULT_TIMEZONE']!r} is not an IANA zone"
            )
        config["DEFAULT_TIMEZONE"] = environ["DEFAULT_TIMEZONE"]
    config.update(_drafts_llm(environ))
    config.update(_nudge_settings(environ))
    return config


def _drafts_llm(environ: dict[str, str]) -> dict:
    """The owner's own OpenAI-compatible model that polishes drafts (optional)."""
    config: dict = {}
    url = environ.get("DRAFTS_LLM_URL", "").strip().rstrip("/")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(
                f"DRAFTS_LLM_URL must be an absolute http(s) URL, not {url!r}"
            )
        if not environ.get("DRAFTS_LLM_MODEL", "").strip():
            raise ConfigError("DRAFTS_LLM_URL needs DRAFTS_LLM_MODEL (the model name)")
        config["DRAFTS_LLM_URL"] = url
        config["DRAFTS_LLM_MODEL"] = environ["DRAFTS_LLM_MODEL"].strip()
    if environ.get("DRAFTS_LLM_KEY"):
        config["DRAFTS_LLM_KEY"] = environ["DRAFTS_LLM_KEY"]
    if environ.get("DRAFTS_LLM_TIMEOUT"):
        config["DRAFTS_LLM_TIMEOUT"] = _int(
            "DRAFTS_LLM_TIMEOUT", environ["DRAFTS_LLM_TIMEOUT"], 1
        )
    return config


MAIL_SCHEMES = {"smtp", "smtps"}


def _nudge_settings(environ: dict[str, str]) -> dict:
    """Mail, Web Push and the nudge scheduler's settings."""
    config: dict = {}
    if environ.get("MAIL_URL"):
        parts = urlsplit(environ["MAIL_URL"])
        if parts.scheme not in MAIL_SCHEMES or not parts.hostname:
            raise ConfigError(
                "MAIL_URL must look like smtp://user:password@host:587 "
                f"(or smtps://), not a {parts.scheme or 'schemeless'} URL"
            )
        try:
            parts.port  # noqa: B018 - a bad port raises here
        except ValueError:
            raise ConfigError("MAIL_URL has a port that is not a number") from None
        config["MAIL_URL"] = environ["MAIL_URL"]
    if environ.get("MAIL_FROM"):
        if "@" not in environ["MAIL_FROM"]:
            raise ConfigError(
                f"MAIL_FROM must be an e-mail address, not {environ['MAIL_FROM']!r}"
            )
        config["MAIL_FROM"] = environ["MAIL_FROM"]
    if environ.get("VAPID_PRIVATE_KEY"):
        config["VAPID_PRIVATE_KEY"] = environ["VAPID_PRIVATE_KEY"]
    if "PUSH_ALLOWED_HOSTS" in environ:
        config["PUSH_ALLOWED_HOSTS"] = [
            host.strip().lower()
            for host in environ["PUSH_ALLOWED_HOSTS"].split(",")
            if host.strip()
        ]
    if "NUDGE_INTERVAL" in environ:
        config["NUDGE_INTERVAL"] = _int("NUDGE_INTERVAL", environ["NUDGE_INTERVAL"])
    return config


def defaults(instance_path: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": "sqlite:///"
        + str(Path(instance_path) / "morrow.sqlite3"),
        "PUBLIC_URL": None,
        "ALLOW_SIGNUP": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": "10 per minute",
        "EXCHANGE_RATE_LIMIT": "5 per minute;30 per hour",
        "SIGNUP_RATE_LIMIT": "5 per minute;20 per hour",
        # Wrong first-run setup codes only; the right one always goes through.
        "SETUP_CODE_RATE_LIMIT": "5 per minute;20 per hour",
        # Wrong or right, each check of the current password (per account).
        "PASSWORD_CHECK_RATE_LIMIT": "5 per minute;20 per hour",
        "DELETE_ACCOUNT_RATE_LIMIT": "5 per minute;20 per hour",
        # Every request body, uploads included; JSON and forms are far smaller.
        "MAX_CONTENT_LENGTH": MAX_CONTENT_LENGTH,
        "MAX_IMPORT_BYTES": 5 * 1024 * 1024,
        # Seconds a SQLite writer waits for another before a 503 (Retry-After).
        "SQLITE_BUSY_TIMEOUT": 10,
        "MAX_JSON_BYTES": 64 * 1024,
        # POST /api/v1/contacts/batch: up to 100 captures of ~10 KB each.
        "MAX_BATCH_JSON_BYTES": 1024 * 1024,
        # Forms and JSON bodies of every other write (a capture is ~2 KB).
        "MAX_FORM_BYTES": 256 * 1024,
        # A card photo (scan-card, or a capture's card_photo); see photo_limits.
        "CARD_PHOTO_MAX_BYTES": 10 * 1024 * 1024,
        # Reading a card takes about a second of the server's CPU.
        "CARD_SCAN_RATE_LIMIT": "20 per minute;300 per hour",
        "PROXY_FIX": 0,
        "PASSWORD_HASH_METHOD": "scrypt",
        "DEFAULT_TIMEZONE": "UTC",
        # Polishing drafts with the owner's model (app/polish.py): off unless set.
        "DRAFTS_LLM_URL": None,
        "DRAFTS_LLM_MODEL": None,
        "DRAFTS_LLM_KEY": None,
        "DRAFTS_LLM_TIMEOUT": 10,
        # Nudges (app/nudges.py): mail is off until MAIL_URL is set.
        "MAIL_URL": None,
        "MAIL_FROM": None,
        "VAPID_PRIVATE_KEY": None,
        "PUSH_ALLOWED_HOSTS": [],
        # Seconds between the server's looks for due nudges; 0 turns it off.
        "NUDGE_INTERVAL": 60,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 90,
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": True,
            "json_serializer": json_text,
        },
    }


def photo_limits(config) -> None:
    """The body limits a card photo needs, from CARD_PHOTO_MAX_BYTES.

    POST /api/v1/contacts/scan-card takes the photo as a multipart file; a
    capture (the API, the Capture page) may carry one as base64 (4/3 larger)
    beside its fields. The request limit grows to hold both.
    """
    photo = int(config["CARD_PHOTO_MAX_BYTES"])
    config["MAX_CARD_UPLOAD_BYTES"] = photo + UPLOAD_FRAMING
    config["MAX_CAPTURE_BYTES"] = (
        (photo + 2) // 3 * 4 + config["MAX_JSON_BYTES"] + UPLOAD_FRAMING
    )
    config["MAX_CONTENT_LENGTH"] = max(
        config["MAX_CONTENT_LENGTH"],
        config["MAX_CARD_UPLOAD_BYTES"],
        config["MAX_CAPTURE_BYTES"],
    )


def json_text(value) -> str:
    """Store JSON (tags) as readable text, so "café" is searchable as typed."""
    return json.dumps(value, ensure_ascii=False)
