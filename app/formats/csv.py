"""Contacts as CSV: import from Google, Outlook, LinkedIn and Morrow; export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import Unprocessable
from .vcard import FIELD_KEYS, ParsedCard, clean_text
from .vcard_read import (
    guess_split,
    is_linkedin,
    normalize_phone,
    normalize_url,
    valid_email,
)

# Header names seen in Google, Outlook, LinkedIn and our own exports, by field,
# best column first (Outlook's "Title" is a prefix like "Mr." only when a
# "Job Title" column exists too, which then wins).
_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "display name", "formatted name", "fn"),
    "first_name": ("first name", "given name", "firstname", "first"),
    "last_name": ("last name", "family name", "surname", "lastname", "last"),
    "email": (
        "email",
        "e mail",
        "email address",
        "e mail address",
        "e mail 1 value",
        "email 1 value",
        "primary email",
        "work email",
        "home email",
        "e mail 2 address",
    ),
    "phone": (
        "phone",
        "mobile phone",
        "mobile",
        "cell",
        "cell phone",
        "phone number",
        "phone 1 value",
        "primary phone",
        "business phone",
        "work phone",
        "home phone",
    ),
    "company": (
        "company",
        "organization",
        "organisation",
        "organization 1 name",
        "organization name",
        "company name",
    ),
    "title": ("job title", "title", "position", "organization 1 title", "role"),
    "website": ("website", "web page", "web site", "website 1 value", "homepage"),
    "linkedin": ("linkedin", "linkedin url", "linkedin profile", "profile url"),
    "url": ("url", "urls"),
    "notes": ("notes", "note"),
    "talked_about": ("talked about",),
    "promise": ("promise",),
    "tags": ("tags", "labels", "categories"),
}
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = (",", ";", "\t")
_LINE_END = re.compile(r"\r\n?|\n")  # as the csv module ends rows, old Macs too


def _norm(header: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", header.lower()).split())


def _columns(header: list[str]) -> dict[str, int]:
    """Map each field to the best matching column of a header row."""
    names = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for key, candidates in _HEADERS.items():
        for candidate in candidates:
            if candidate in names:
                found[key] = names.index(candidate)
                break
    return found


def _decode(data: bytes) -> str:
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")  # Outlook on Windows


# Limits checked before any parsing: the header row must be found among the
# first HEADER_SEARCH lines, and a line searched is at most HEADER_BYTES long
# with at most MAX_COLUMNS columns.
HEADER_SEARCH = 20
HEADER_BYTES = 64 * 1024
MAX_COLUMNS = 1000


def _head_lines(text: str) -> list[tuple[int, str]]:
    """Return (offset, line) of the first HEADER_SEARCH lines, without copying more."""
    lines: list[tuple[int, str]] = []
    start = 0
    while start < len(text) and len(lines) < HEADER_SEARCH:
        found = _LINE_END.search(text, start)
        end, after = (found.start(), found.end()) if found else (len(text), len(text))
        lines.append((start, text[start:end]))
        start = after
    return lines


def _find_table(text: str) -> tuple[Iterator[list[str]], dict[str, int]]:
    """Find the header row (LinkedIn puts notes above it) and its delimiter.

    Each line searched is checked for size first, so a header of a million
    columns is refused at once; the file is then read in one pass from the
    header row on. Returns the rows (header first) and the columns it maps.
    """
    best: tuple[int, int, str, dict[str, int]] = (0, 0, ",", {})
    for offset, line in _head_lines(text):
        columns_seen = 1 + max(line.count(d) for d in DELIMITERS)
        if len(line.encode("utf-8", "replace")) > HEADER_BYTES or (
            columns_seen > MAX_COLUMNS
        ):
            if best[0]:
                break  # a long data row after the header is fine
            raise Unprocessable(
                f"The first lines of this CSV file are too large to be a header row"
                f" (at most {HEADER_BYTES // 1024} KB and {MAX_COLUMNS} columns);"
                " is it a contacts file?"
            )
        for delimiter in DELIMITERS:
            try:
                row = next(csv.reader([line], delimiter=delimiter), [])
            except csv.Error:
                continue
            columns = _columns(row)
            if len(columns) >= 2 and len(columns) > best[0]:
                best = (len(columns), offset, delimiter, columns)
    if not best[0]:
        raise Unprocessable(
            "No header row with known column names (such as First Name, Last Name,"
            " Email) was found in this CSV file."
        )
    _count, offset, delimiter, columns = best
    # newline="": rows end at CR, LF or CRLF, as the csv module expects.
    rows = csv.reader(io.StringIO(text[offset:], newline=""), delimiter=delimiter)
    return rows, columns


def _cell(value: str) -> str:
    """Undo our own export's formula guard, then clean the text."""
    if value.startswith("'") and value[1:2] in _DANGEROUS:
        value = value[1:]
    return value


def _row_fields(
    row: list[str], columns: dict[str, int], region: str | None, warnings: list
) -> dict[str, Any]:
    def get(key: str, *, multiline: bool = False) -> str:
        i = columns.get(key)
        raw = _cell(row[i]) if i is not None and i < len(row) else ""
        return clean_text(raw, multiline=multiline)

    fields: dict[str, Any] = {key: get(key) for key in FIELD_KEYS if key != "notes"}
    fields["notes"] = get("notes", multiline=True)
    for key in ("talked_about", "promise"):
        if key in columns:
            fields[key] = get(key, multiline=True)
    if "tags" in columns:
        fields["tags"] = [
            t.strip() for t in re.split(r"[;,]", get("tags")) if t.strip()
        ]
    # LinkedIn's export names its profile column "URL": sort links by host.
    raws = [get("linkedin"), get("website"), get("url")]
    fields["linkedin"] = fields["website"] = ""
    for raw in filter(None, raws):
        url = normalize_url(raw)
        if not url:
            warnings.append(f"{raw!r} is not a web address; it was left out")
            continue
        slot = "linkedin" if is_linkedin(url) else "website"
        fields[slot] = fields[slot] or url
    if fields["email"] and not valid_email(fields["email"]):
        warnings.append(f"{fields['email']!r} is not an email address; it was left out")
        fields["email"] = ""
    if fields["phone"]:
        fields["phone"], warning = normalize_phone(fields["phone"], region)
        warnings += [warning] if warning else []
    if not fields["name"]:
        full = " ".join(p for p in (fields["first_name"], fields["last_name"]) if p)
        fields["name"] = full or fields["email"] or fields["phone"]
    elif not (fields["first_name"] or fields["last_name"]):
        fields["first_name"], fields["last_name"] = guess_split(fields["name"])
    if not fields["name"]:
        raise ValueError("it has no name, email or phone number")
    return fields


def parse_csv_file(
    data: bytes, default_region: str | None = None, *, max_cards: int | None = None
) -> list[ParsedCard]:
    """Read contacts from a CSV file with a header row; one entry per data row.

    UTF-8 with or without BOM, else cp1252; comma, semicolon or tab separated.
    LinkedIn's Connections.csv is read as is (its notes above the header are
    skipped). Raises Unprocessable when no header row is recognised, when the
    lines searched for it are too large, when the file cannot be read as CSV,
    or when it holds more than `max_cards` rows.
    """
    rows, columns = _find_table(_decode(data))
    results = []
    index = 0
    try:
        next(rows)  # the header
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue
            index += 1
            if max_cards is not None and index > max_cards:
                raise Unprocessable(
                    f"This file holds more than {max_cards} rows; one import takes"
                    " at most that many. Split it and import the parts one after"
                    " another."
                )
            card = ParsedCard(index)
            try:
                card.fields = _row_fields(row, columns, default_region, card.warnings)
            except ValueError as exc:
                card.error = f"Row {index}: {exc}."
            card.warnings = [f"Row {index}: {w}." for w in card.warnings]
            results.append(card)
    except csv.Error as exc:  # e.g. an unclosed quote running past the limit
        raise Unprocessable(f"This CSV file cannot be read: {exc}.") from None
    return results


EXPORT_COLUMNS = (
    "id name first_name last_name email phone company title website linkedin "
    "tags talked_about promise notes met_at source"
).split()


def safe_cell(value: object) -> str:
    """Neutralise text a spreadsheet would run as a formula by prefixing '.

    Phone numbers such as +4915… get the prefix too (spreadsheets show the
    number; our own import strips it again).
    """
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_DANGEROUS) else text


def contacts_csv(contacts: Iterable[Any]) -> str:
    """Return people as CSV text, starting with a BOM so spreadsheets read UTF-8.

    The caller encodes the text as UTF-8; the BOM is already in it.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for contact in contacts:
        writer.writerow([safe_cell(getattr(contact, c, "")) for c in EXPORT_COLUMNS])
    return "\ufeff" + buffer.getvalue()
