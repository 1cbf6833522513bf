"""Field rules shared by the card, captures, imports and the exchange form."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from .errors import ValidationError

# Control characters other than tab and newline; they break vCards and ICS.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TIMEZONES = frozenset(available_timezones())

# The dates Morrow takes anywhere (API, pages, imports). Every date it computes
# stays far from the ends of Python's calendar (years 1 and 9999), so converting
# a moment to any zone or adding days to it never overflows.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2200, 12, 31)
DATE_WINDOW = f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
# The first and last moments a day in the window can name, in any zone from
# UTC+14 to UTC-12: clamping to them never moves an accepted moment.
EARLIEST = dt.datetime.combine(
    FIRST_DAY, dt.time(0), tzinfo=dt.timezone(dt.timedelta(hours=14))
).astimezone(dt.UTC)
LATEST = dt.datetime.combine(
    LAST_DAY, dt.time.max, tzinfo=dt.timezone(dt.timedelta(hours=-12))
).astimezone(dt.UTC)


class Unusable(ValidationError):
    """A well-formed value Morrow can't take (a date outside the window): 422."""

    status = 422
    code = "unprocessable"


class FieldErrors:
    """Collects one message per field, then raises them together."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.kinds: set[type[ValidationError]] = set()

    def add(self, field: str, message: str, kind=ValidationError) -> None:
        if field not in self.fields:
            self.fields[field] = message
            self.kinds.add(kind)

    def check(self, field: str, func, *args, **kwargs):
        """Run a cleaning function; record its error under `field`."""
        try:
            return func(*args, **kwargs)
        except ValidationError as error:
            self.add(field, error.fields.get(field) or error.message, type(error))
            return None

    def raise_if_any(self, message: str = "Some fields need attention.") -> None:
        """Raise every error at once: a 422 when all are, else a 400."""
        if self.fields:
            first = next(iter(self.fields.values()))
            kind = next(iter(self.kinds)) if len(self.kinds) == 1 else ValidationError
            raise kind(message if len(self.fields) > 1 else first, dict(self.fields))


# A field's cleaning rule: (value, field name, context) → the value to store,
# raising ValidationError. The context is what the rule needs to know (the
# owner: their phone region, their people and events), or None.
Rule = Callable[[Any, str, Any], Any]


def text_rule(limit: int, *, multiline: bool = False) -> Rule:
    """The rule of a text field: clean_text with its limit."""

    def rule(value, field: str, _context) -> str:
        return clean_text(value, field, limit, multiline=multiline)

    return rule


def clean_fields(
    rules: Mapping[str, Rule],
    data: Mapping[str, Any],
    context: Any,
    errors: FieldErrors,
    *,
    required: Iterable[str] = (),
) -> dict[str, Any]:
    """Clean every field of `data` that has a rule (required ones even if absent).

    A field table is a dict of field name → Rule, declared once per shape (the
    card, a person). Each error is recorded in `errors` under its field.
    """
    wanted = set(data) | set(required)
    return {
        field: errors.check(field, rule, data.get(field), field, context)
        for field, rule in rules.items()
        if field in wanted
    }


def _fail(field: str, message: str):
    raise ValidationError(message, {field: message})


def without_control(text: str) -> str:
    """Drop control characters (NUL and the like); tabs and newlines stay."""
    return _CONTROL.sub("", text)


def clean_text(value, field: str, max_length: int, *, multiline: bool = False) -> str:
    """Return trimmed text without control characters, or raise if too long."""
    if value is None:
        return ""
    if not isinstance(value, str):
        _fail(field, f"{field} must be text.")
    value = unicodedata.normalize("NFC", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = without_control(value)
    if not multiline:
        value = " ".join(value.split())
    value = value.strip()
    if len(value) > max_length:
        _fail(field, f"{field} must be at most {max_length} characters.")
    return value


def clean_email(value, field: str = "email") -> str:
    """Return a syntactically valid email address (lower-cased domain) or ''."""
    value = clean_text(value, field, 254)
    if not value:
        return ""
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        _fail(field, "That doesn't look like an email address.")
    return result.normalized


# A phone column holds at most this many characters (E.164 needs 16).
PHONE_LENGTH = 32


def read_phone(value, region: str, field: str = "phone") -> tuple[str, str | None]:
    """The phone rule: (the number to store, a warning or None).

    A valid number is stored in E.164, local numbers read in the owner's
    region. A number phonenumbers calls possible but not valid (a new range,
    a typo to fix later) is stored as typed, with a warning: never refused,
    never dropped. Text that can't be a number (letters, too short) is a
    ValidationError naming `field`.
    """
    value = clean_text(value, field, 40)
    if not value:
        return "", None
    try:
        number = phonenumbers.parse(value, region or None)
    except phonenumbers.NumberParseException:
        _fail(field, "That doesn't look like a phone number.")
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != phonenumbers.ValidationResult.IS_POSSIBLE:  # not local-only
        _fail(
            field,
            "That phone number isn't valid. Add the country code (like +44) "
            "if it's from another country.",
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.is_valid_number(number):
        _remember_valid(e164)
        return e164, None
    kept = value if len(value) <= PHONE_LENGTH else e164
    return kept, phone_warning(kept)


def clean_phone(value, region: str, field: str = "phone") -> str:
    """Return the number to store (see read_phone), or raise for a non-number."""
    return read_phone(value, region, field)[0]


# Numbers read_phone just found valid, so the capture's answer can tell at
# once that they need no warning instead of parsing them a second time.
_RECENT_VALID: dict[str, None] = {}
_RECENT_MAX = 256


def _remember_valid(e164: str) -> None:
    if len(_RECENT_VALID) >= _RECENT_MAX:
        _RECENT_VALID.clear()
    _RECENT_VALID[e164] = None


def phone_warning(stored: str | None) -> str | None:
    """The warning a stored number carries: one kept as typed, not valid E.164."""
    if not stored or stored in _RECENT_VALID or _valid_e164(stored) is not None:
        return None
    return (
        f"The phone number {stored} was saved as typed: it isn't a known number "
        "range. Check it, or add the country code."
    )


def _valid_e164(stored: str) -> phonenumbers.PhoneNumber | None:
    if not stored.startswith("+"):
        return None
    try:
        number = phonenumbers.parse(stored, None)
    except phonenumbers.NumberParseException:
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return number if e164 == stored and phonenumbers.is_valid_number(number) else None


def display_phone(stored: str | None) -> str:
    """A stored number as people read it: +49 151 23456789; as typed otherwise."""
    number = _valid_e164(stored or "")
    if number is None:
        return stored or ""
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


def clean_url(value, field: str = "website", max_length: int = 500) -> str:
    """Return an http(s) URL; a bare domain gets https:// in front."""
    value = clean_text(value, field, max_length)
    if not value:
        return ""
    if "://" not in value and re.match(r"^[\w.-]+\.[a-z]{2,}(/|$)", value, re.I):
        value = "https://" + value
    try:
        parts = urlsplit(value)
    except ValueError:  # an unclosed "[" of an IPv6 host
        _fail(field, "That link isn't a valid web address.")
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        _fail(field, "Links must start with http:// or https://.")
    if any(ch.isspace() for ch in value):
        _fail(field, "Links can't contain spaces.")
    return value


def clean_linkedin(value, field: str = "linkedin") -> str:
    """Return a LinkedIn profile URL; a bare handle becomes linkedin.com/in/handle."""
    value = clean_text(value, field, 500)
    if not value:
        return ""
    if re.fullmatch(r"[A-Za-z0-9_-]{3,100}", value):
        return f"https://www.linkedin.com/in/{value}"
    return clean_url(value, field)


def clean_timezone(value, field: str = "timezone") -> str:
    value = clean_text(value, field, 64)
    if value not in _TIMEZONES:
        _fail(field, "Use a time zone name like Europe/Berlin or America/New_York.")
    return value


def clean_region(value, field: str = "default_region") -> str:
    value = clean_text(value, field, 2).upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        _fail(field, "Use a two-letter country code like US, GB or DE.")
    return value


def in_date_window(value: dt.date, field: str) -> dt.date:
    """Return a date or moment whose calendar day is in the window, else a 422.

    A moment is judged by its day as written, before any time zone conversion;
    one at the window's ends converts to every zone (UTC-12 to UTC+14) safely.
    """
    day = value.date() if isinstance(value, dt.datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        message = f"{field} must be a date from {DATE_WINDOW}."
        raise Unusable(message, {field: message})
    return value


def clamp_day(day: dt.date) -> dt.date:
    """Return a stored date moved into the window, for computing with it.

    Rows written before the window was enforced may hold any date; they are
    kept as they are and only computed with as the nearest date in the window.
    """
    return min(max(day, FIRST_DAY), LAST_DAY)


def clamp_moment(moment: dt.datetime) -> dt.datetime:
    """Return an aware stored moment moved into the window (see clamp_day)."""
    return min(max(moment, EARLIEST), LATEST)


def clean_int(value, field: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool):
        _fail(field, "Use a whole number.")
    try:
        number = int(value)
    except (TypeError, ValueError):
        _fail(field, "Use a whole number.")
    if not minimum <= number <= maximum:
        _fail(field, f"Use a whole number from {minimum} to {maximum}.")
    return number


# Deeper than any document Morrow reads or writes; far below Python's limit.
MAX_JSON_DEPTH = 64
SURROGATE = re.compile("[\ud800-\udfff]")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400
        raise ValueError(text)
    return number


def _no_constant(text: str):  # NaN, Infinity, -Infinity
    raise ValueError(text)


def parse_json(raw: bytes, message: str, fields: dict | None = None):
    """Parse strict JSON: finite numbers, text that is Unicode, bounded depth.

    Anything else (NaN, 1e400, a lone surrogate escape like \\ud800, 100,000
    nested brackets) raises ValidationError with `message`, never a 500.
    """
    invalid = ValidationError(message, fields)
    try:
        data = json.loads(raw, parse_float=_finite, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise invalid from None
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise invalid
        if isinstance(value, str):
            if SURROGATE.search(value):
                raise invalid
        elif isinstance(value, dict):
            if any(SURROGATE.search(key) for key in value):
                raise invalid
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return data


def region_for_timezone(tz: str) -> str:
    """Guess the phone region of a time zone (Europe/Berlin → DE)."""
    region = _TZ_REGION.get(tz, "US")
    return region if region in phonenumbers.SUPPORTED_REGIONS else "US"


def _build_tz_region() -> dict[str, str]:
    # Python ships no zone → country table; tzdata's zone1970.tab has it.
    import importlib.resources

    table: dict[str, str] = {}
    for name in ("zone.tab", "zone1970.tab"):
        try:
            text = (importlib.resources.files("tzdata") / "zoneinfo" / name).read_text()
        except (FileNotFoundError, ModuleNotFoundError):
            continue
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            codes, _coords, zone = line.split("\t")[:3]
            table.setdefault(zone, codes.split(",")[0])
    return table


_TZ_REGION = _build_tz_region()
