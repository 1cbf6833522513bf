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

# Header names seen in Google, Outlook (English and German), LinkedIn and our
# own exports, by field, best column first (Outlook's "Title" is a prefix like
# "Mr." only when a "Job Title" column exists too, which then wins). Headers
# are compared case-folded with punctuation as spaces ("E-Mail 2: Adresse" is
# "e mail 2 adresse").
_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "display name", "formatted name", "fn"),
    "first_name": ("first name", "given name", "firstname", "first", "vorname"),
    "middle_name": ("middle name", "additional name", "weitere vornamen"),
    "last_name": (
        "last name", "family name", "surname", "lastname", "last", "nachname",
    ),
    "company": (
        "company", "organization", "organisation", "organization 1 name",
        "organization name", "company name", "firma",
    ),
    "title": (
        "job title", "title", "position", "organization title",
        "organization 1 title", "role",
    ),
    "linkedin": ("linkedin", "linkedin url", "linkedin profile", "profile url"),
    "notes": ("notes", "note", "notizen"),
    "talked_about": ("talked about",),
    "promise": ("promise",),
    "tags": ("tags", "labels", "categories", "group membership", "kategorien"),
}  # fmt: skip
# Fields a person may have several of: every matching column is read, each
# cell may hold Google's "a ::: b", the first value fills the field and the
# others are kept in the notes ("Also: …"). Best column first: Morrow is
# phone-first, so a mobile number wins over an office line.
_MULTI_HEADERS: dict[str, tuple[str, ...]] = {
    "email": (
        "email", "e mail", "email address", "e mail address", "primary email",
        "work email", "home email", "e mail adresse", "e mail 2 address",
        "e mail 3 address", "e mail 2 adresse", "e mail 3 adresse",
        *(f"e mail {n} value" for n in range(1, 10)),
        *(f"email {n} value" for n in range(1, 10)),
    ),
    "phone": (
        "phone", "mobile phone", "mobile", "cell", "cell phone", "mobiltelefon",
        "phone number", *(f"phone {n} value" for n in range(1, 10)),
        "primary phone", "haupttelefon", "mobile phone 2", "mobiltelefon 2",
        "business phone", "work phone", "telefon geschäftlich",
        "business phone 2", "telefon geschäftlich 2", "home phone",
        "telefon privat", "home phone 2", "telefon privat 2",
        "company main phone", "telefon firma", "other phone", "weiteres telefon",
        "car phone", "autotelefon", "assistant s phone", "telefon assistent",
        "callback", "rückmeldung", "radio phone", "funkruf", "isdn",
        "tty tdd phone", "telefon für hörbehinderte", "pager",
        "business fax", "fax geschäftlich", "home fax", "fax privat",
        "other fax", "weiteres fax",
    ),
    "website": (
        "website", "web page", "web site", "homepage", "webseite",
        "personal web page", *(f"website {n} value" for n in range(1, 10)),
    ),
    "url": ("url", "urls"),
}  # fmt: skip
_SPLIT_VALUES = re.compile(r"\s*:::\s*")  # Google's several values in one cell
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = (",", ";", "\t")
_LINE_END = re.compile(r"\r\n?|\n")  # as the csv module ends rows, old Macs too


def _norm(header: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", header.casefold()).split())


def _columns(header: list[str]) -> dict[str, list[int]]:
    """Map each field to its matching columns of a header row, best first.

    A field of _HEADERS gets its best column only; one of _MULTI_HEADERS, all.
    """
    names: dict[str, int] = {}
    for i, name in enumerate(header):
        names.setdefault(_norm(name), i)
    found: dict[str, list[int]] = {}
    for key, candidates in _HEADERS.items():
        for candidate in candidates:
            if candidate in names:
                found[key] = [names[candidate]]
                break
    for key, candidates in _MULTI_HEADERS.items():
        columns = [names[c] for c in candidates if c in names]
        if columns:
            found[key] = columns
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


def _find_table(text: str) -> tuple[Iterator[list[str]], dict[str, list[int]]]:
    """Find the header row (LinkedIn puts notes above it) and its delimiter.

    Each line searched is checked for size first, so a header of a million
    columns is refused at once; the file is then read in one pass from the
    header row on. Returns the rows (header first) and the columns it maps.
    """
    best: tuple[int, int, str, dict[str, list[int]]] = (0, 0, ",", {})
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


def _values(
    row: list[str], header: list[str], columns: list[int]
) -> list[tuple[str, str]]:
    """Return (value, column label) of every non-empty value in these columns."""
    found = []
    for i in columns:
        if i < len(row):
            label = re.sub(r"\s*-\s*value$", "", header[i].strip(), flags=re.I)
            for value in _SPLIT_VALUES.split(clean_text(_cell(row[i]))):
                if value:
                    found.append((value, label))
    return found


def _tags(text: str) -> list[str]:
    """Split a tags cell (Google's ":::", Outlook's ";", ours "; "), no system labels.

    Google marks its own labels ("* myContacts", "* starred") with "* ".
    """
    tags = [t.strip() for t in re.split(r":::|[;,]", text)]
    return [t for t in tags if t and not t.startswith("* ")]


# Morrow's own export: "; " between tags, and in a tag "\;" for ";" and "\\"
# for "\". A tag can hold commas, so the cell is split on ";" alone.
_OWN_COLUMNS = {"id", "tags", "met_at", "source"}  # tell a Morrow export


def _own_tags(text: str) -> list[str]:
    """Split the tags cell of a Morrow export, the way tags_cell writes it.

    An older export reads as it was written too, a comma in a tag included.
    """
    tags: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            current.append(escaped if escaped in ("\\", ";") else char + escaped)
        elif char == ";":
            tags.append("".join(current))
            current = []
        else:
            current.append(char)
    tags.append("".join(current))
    return [t.strip() for t in tags if t.strip()]


def tags_cell(tags: Iterable[str]) -> str:
    """Write tags for the CSV export: "; " between them, ";" and "\\" escaped."""
    return "; ".join(t.replace("\\", "\\\\").replace(";", "\\;") for t in tags)


def _row_fields(
    row: list[str],
    header: list[str],
    columns: dict[str, list[int]],
    region: str | None,
    warnings: list,
) -> dict[str, Any]:
    def get(key: str, *, multiline: bool = False) -> str:
        i = columns[key][0] if key in columns else None
        raw = _cell(row[i]) if i is not None and i < len(row) else ""
        return clean_text(raw, multiline=multiline)

    def every(key: str) -> list[tuple[str, str]]:
        return _values(row, header, columns.get(key, []))

    fields: dict[str, Any] = {key: get(key) for key in FIELD_KEYS if key != "notes"}
    fields["notes"] = get("notes", multiline=True)
    for key in ("talked_about", "promise"):
        if key in columns:
            fields[key] = get(key, multiline=True)
    if "tags" in columns:
        own = _OWN_COLUMNS <= {h.strip().lower() for h in header}
        fields["tags"] = (_own_tags if own else _tags)(get("tags"))
    also: list[str] = []  # further emails, phones and links, for the notes
    fields["email"] = _first_email(every("email"), also, warnings)
    fields["phone"] = _first_phone(every("phone"), region, also, warnings)
    linkedin = [(get("linkedin"), "LinkedIn")] if get("linkedin") else []
    links = linkedin + every("website") + every("url")
    fields.update(_sorted_links(links, also, warnings))
    if also:
        lines = "\n".join(f"Also: {a}" for a in also)
        fields["notes"] = "\n\n".join(p for p in (fields["notes"], lines) if p)

    _fill_name(fields, get("middle_name"))
    return fields


def _first_email(values: list[tuple[str, str]], also: list[str], warnings: list) -> str:
    """The first valid email; the other ones go to `also`, with their labels."""
    emails: list[tuple[str, str]] = []
    for value, label in values:
        if not valid_email(value):
            warnings.append(f"{value!r} is not an email address; it was left out")
        elif value.lower() not in (e.lower() for e, _ in emails):
            emails.append((value, label))
    also += [f"{e} ({label})" for e, label in emails[1:]]
    return emails[0][0] if emails else ""


def _first_phone(
    values: list[tuple[str, str]], region: str | None, also: list[str], warnings: list
) -> str:
    """The first phone number; the other ones go to `also`, with their labels."""
    phones: list[str] = []
    for value, label in values:
        phone, warning = normalize_phone(value, region)
        warnings += [warning] if warning else []
        if phone not in phones:
            also += [f"{phone} ({label})"] if phones else []
            phones.append(phone)
    return phones[0] if phones else ""


def _sorted_links(
    links: list[tuple[str, str]], also: list[str], warnings: list
) -> dict[str, str]:
    """LinkedIn's export names its profile column "URL": sort links by host."""
    found = {"linkedin": "", "website": ""}
    for raw, label in links:
        url = normalize_url(raw)
        if not url:
            warnings.append(f"{raw!r} is not a web address; it was left out")
            continue
        slot = "linkedin" if is_linkedin(url) else "website"
        if not found[slot]:
            found[slot] = url
        elif url != found[slot]:
            also.append(f"{url} ({label})")
    return found


def _fill_name(fields: dict[str, Any], middle_name: str) -> None:
    """A name from its parts, or the parts from the name; refuse a row with neither."""
    if not fields["name"]:
        parts = (fields["first_name"], middle_name, fields["last_name"])
        full = " ".join(p for p in parts if p)
        fields["name"] = full or fields["email"] or fields["phone"]
    elif not (fields["first_name"] or fields["last_name"]):
        fields["first_name"], fields["last_name"] = guess_split(fields["name"])
    if not fields["name"]:
        raise ValueError("it has no name, email or phone number")


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
        header = next(rows)
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
                card.fields = _row_fields(
                    row, header, columns, default_region, card.warnings
                )
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


_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def safe_cell(value: object, *, phone: bool = False) -> str:
    """Neutralise text a spreadsheet would run as a formula by prefixing '.

    A phone column's E.164 number (+4915…) is no formula and is written as is,
    so spreadsheets show no apostrophe; any other phone text is guarded.
    """
    if phone and isinstance(value, str) and _E164.fullmatch(value):
        return value
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
        writer.writerow(
            [
                safe_cell(
                    tags_cell(contact.tags or [])
                    if c == "tags"
                    else getattr(contact, c, ""),
                    phone=c == "phone",
                )
                for c in EXPORT_COLUMNS
            ]
        )
    return "\ufeff" + buffer.getvalue()
