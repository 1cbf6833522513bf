"""Domain errors and how they reach people: JSON under /api/, pages elsewhere."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule said no. Views turn it into a 4xx; nothing is saved."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationError(DomainError):
    status = 400
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class WrongAccount(Conflict):
    """A write made on this device for another account, sent under this one."""

    code = "wrong_account"


class Unprocessable(DomainError):
    status = 422
    code = "unprocessable"


class UnsupportedMedia(DomainError):
    status = 415
    code = "unsupported_media_type"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "internal_error",
    503: "busy",
}
# Seconds a client is asked to wait when the database was too busy to answer.
BUSY_RETRY_AFTER = 5

FRIENDLY = {
    400: "That request didn't make sense to Morrow.",
    401: "Please log in first.",
    403: "That isn't allowed.",
    404: "There's nothing here.",
    405: "That action isn't available here.",
    413: "That was too large to accept.",
    429: "Too many tries in a short time. Wait a minute and try again.",
    500: "Something went wrong on our side. Nothing you saved was lost.",
    503: "Morrow is busy for a moment. Nothing was saved; try again in a few seconds.",
}


def is_busy(error: OperationalError) -> bool:
    """Whether SQLite gave up waiting for another writer (its busy timeout ran out)."""
    text = str(error.orig).lower()
    return "database is locked" in text or "database is busy" in text


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_body(status: int, message: str, code: str | None = None, fields=None) -> dict:
    """The one error body of the API: what goes under "error" (a batch item's too)."""
    body: dict = {"code": code or HTTP_CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    return body


def error_response(status: int, message: str, code: str | None = None, fields=None):
    """The API's answer for an error: {"error": error_body(…)}."""
    return jsonify({"error": error_body(status, message, code, fields)}), status


def _answer(status: int, message: str, code=None, fields=None, page_message=None):
    """The error as the API's JSON body, or as a page for a browser."""
    if wants_json():
        return error_response(status, message, code, fields)
    page = render_template("error.html", status=status, message=page_message or message)
    return page, status


def _http_message(error: HTTPException, status: int) -> str:
    """What an HTTP error says: a limit's own words, else a friendly default."""
    if status == 429:
        return "Too many requests. Wait a minute and try again."
    if status == 413:
        description = error.description or ""
        return description if "limit" in description else "The request is too large."
    return error.description or FRIENDLY.get(status, "Error")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        # A refusal keeps nothing the request wrote before it.
        from .extensions import db

        db.session.rollback()
        return _answer(error.status, error.message, error.code, error.fields)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        status = error.code or 500
        message = _http_message(error, status)
        code = None
        if error.__class__.__name__ == "CSRFError":
            code = "csrf_failed"
            message = f"{error.description} Reload the page and try again."
        response, status = _answer(
            status, message, code, page_message=FRIENDLY.get(status, message)
        )
        valid_methods = getattr(error, "valid_methods", None)  # MethodNotAllowed
        if wants_json() and status == 405 and valid_methods:
            response.headers["Allow"] = ", ".join(valid_methods)
        return response, status

    @app.errorhandler(DataError)
    def handle_data_error(error: DataError):
        # PostgreSQL refuses NUL characters in text (SQLite stores them): a
        # request carrying one where text is not cleaned first (an id, a
        # cursor) gets a clear 400, and nothing is saved.
        if "NUL" not in str(error.orig):
            return handle_unexpected(error)
        from .extensions import db

        db.session.rollback()
        return _answer(400, "Text can't contain NUL characters.")

    @app.errorhandler(OperationalError)
    def handle_operational_error(error: OperationalError):
        # Another request held SQLite's write lock for longer than the busy
        # timeout: a retry soon will work, so this is a 503, not a 500.
        if not is_busy(error):
            return handle_unexpected(error)
        from .extensions import db

        db.session.rollback()
        app.logger.warning("Database busy on %s %s", request.method, request.path)
        response, status = _answer(
            503,
            "The database is busy. Nothing was saved; try again in a few seconds.",
            page_message=FRIENDLY[503],
        )
        response = app.make_response((response, status))
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return handle_http_error(error)
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _answer(
            500, "Internal error. Nothing was saved.", page_message=FRIENDLY[500]
        )
