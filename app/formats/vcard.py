"""Writing vCards: the owner's card, its QR payload, and exports.

Building uses vobject for the owner's card and a small writer of our own for
exports. Reading lives in vcard_read.py. Everything here is a pure function: no
Flask request globals.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# QR version 10 at error level M holds 213 octets: a code that scans at arm's
# length from a phone screen in a dim hall (larger versions decode far less often).
QR_MAX_OCTETS = 213
# What a QR carries, most important first; the public page holds the rest.
QR_PRIORITY = (
    "phone",
    "email",
    "public_url",
    "linkedin",
    "company",
    "headline",
    "website",
)
FIELD_KEYS = (
    "name first_name last_name email phone company title website linkedin notes"
).split()

# C0 and C1 controls and DEL; newline and tab are handled per field.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Line and paragraph separators, written as plain newlines.
UNICODE_BREAKS = {0x2028: "\n", 0x2029: "\n"}


@dataclass
class ParsedCard:
    """One card of an imported file: its fields, or why it could not be read."""

    index: int  # 1-based position in the file
    fields: dict[str, Any] | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# Building


def clean_text(value: object, *, multiline: bool = False) -> str:
    """Strip control characters; fold newlines to spaces unless multiline.

    The Unicode line and paragraph separators (U+2028, U+2029) count as
    newlines: left in, they end a line for some readers and not for others.
    """
    text = unicodedata.normalize("NFC", str(value or ""))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = text.translate(UNICODE_BREAKS)
    text = CONTROL_CHARS.sub("", text)
    if not multiline:
        text = " ".join(text.split("\n"))
    return text.strip()


def _url_value(url: str) -> str:
    """Percent-encode what vCard text escaping would otherwise break in a URL."""
    url = clean_text(url).replace(" ", "%20")
    return url.replace("\\", "%5C").replace(",", "%2C").replace(";", "%3B")


def _plain_url(url: str) -> str:
    """A URL as vobject takes it for a full card: it escapes , and ; itself."""
    return clean_text(url).replace(" ", "%20")


def _card_entries(
    card: Any, public_only: bool, public_url: str | None, url_value=_url_value
) -> list:
    """List the card's properties, most important first, as (key, name, value)."""
    public = set(getattr(card, "public_fields", None) or [])

    def shown(name: str) -> bool:
        return not public_only or name in public

    def get(name: str) -> str:
        return clean_text(getattr(card, name, "")) if shown(name) else ""

    # The single-valued properties, most important first: (field, vCard name,
    # how the value is written).
    properties: tuple[tuple[str, str, Callable[[str], Any]], ...] = (
        ("phone", "tel", str),
        ("email", "email", str),
        ("linkedin", "url", url_value),
        ("company", "org", lambda value: [value]),
        ("headline", "title", str),
        ("website", "url", url_value),
    )
    entries: list[tuple[str, str, Any]] = [
        (field, key, write(get(field)))
        for field, key, write in properties
        if get(field)
    ]
    if public_url:
        entries.append(("public_url", "url", url_value(public_url)))
    if shown("links"):
        entries.extend(_link_entries(card, url_value))
    pitch = clean_text(getattr(card, "pitch", ""), multiline=True)
    if pitch and shown("pitch"):
        entries.append(("pitch", "note", pitch))
    return entries


def _link_entries(card: Any, url_value=_url_value) -> list[tuple[str, str, Any]]:
    """The card's extra links, as (key, name, value) entries."""
    entries: list[tuple[str, str, Any]] = []
    for link in getattr(card, "links", None) or []:
        url = link.get("url", "") if isinstance(link, dict) else str(link)
        if clean_text(url):
            entries.append(("links", "url", url_value(url)))
    return entries


def _card_names(
    card: Any, multiline: bool, public_only: bool = False
) -> tuple[str, str, str]:
    public = set(getattr(card, "public_fields", None) or [])

    def name(field: str) -> str:
        if public_only and field not in public:
            return ""
        return clean_text(getattr(card, field, ""), multiline=multiline)

    first, last = name("first_name"), name("last_name")
    full = " ".join(p for p in (first, last) if p)
    if full:
        return first, last, full
    # FN is required; a public card never falls back to a private detail.
    fallback = "Contact" if public_only else clean_text(getattr(card, "email", ""))
    return first, last, fallback or "Morrow"


def _vobject_serialize(
    card: Any,
    entries: list,
    *,
    multiline: bool = True,
    public_only: bool = False,
    names: tuple[str, str, str] | None = None,
) -> str:
    # vobject escapes a newline as \n, so it never starts a new property; the
    # QR payload still gets spaces, which every scanner shows the same way.
    import vobject  # here, not at the top: the server's workers rarely write a vCard

    first, last, full = names or _card_names(card, multiline, public_only)
    vc = vobject.vCard()
    vc.add("n").value = vobject.vcard.Name(family=last, given=first)
    vc.add("fn").value = full
    for _key, name, value in entries:
        prop = vc.add(name)
        prop.value = value
        if name == "tel":
            prop.type_param = "CELL"
    return vc.serialize(lineLength=10**6)


def fold_line(line: str, limit: int = 75) -> str:
    """Fold one content line at `limit` octets without splitting a character."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += width
    out.append("".join(current))
    return "\r\n".join(out)


def _fold_all(text: str) -> str:
    lines = text.split("\r\n")
    return "\r\n".join(fold_line(line) for line in lines if line) + "\r\n"


def card_vcard(card: Any, *, public_only: bool, public_url: str | None) -> str:
    """Return the owner's full card as vCard 3.0 text, CRLF, folded by octets.

    URLs keep their commas and semicolons, backslash-escaped (RFC 6350 §3.4).
    """
    entries = _card_entries(card, public_only, public_url, _plain_url)
    return _fold_all(_vobject_serialize(card, entries, public_only=public_only))


def compact_qr_payload(
    card: Any, public_url: str | None = None, *, public_only: bool = False
) -> str:
    """Return the small unfolded vCard 3.0 a QR code carries (≤ 213 octets).

    The name always comes first, then one phone, one email and the public page,
    then LinkedIn, company, title and website while they fit; a field that does
    not fit is left out whole, never cut, and a smaller one after it may still
    get in. Only a name too long to fit with the public page beside it is
    shortened (ending in "…"), so the code stays small enough to scan and the
    page it links to shows the name in full.
    """
    by_key = {
        e[0]: e
        for e in _card_entries(card, public_only, public_url)
        if e[0] not in ("pitch", "links")  # no NOTE, only the main URLs
    }
    wanted = [by_key[key] for key in QR_PRIORITY if key in by_key]

    def serialize(entries: list, names: tuple[str, str, str]) -> str:
        return _vobject_serialize(
            card, entries, multiline=False, public_only=public_only, names=names
        )

    def fits(payload: str) -> bool:
        return len(payload.encode("utf-8")) <= QR_MAX_OCTETS

    names = _card_names(card, False, public_only)
    page = [by_key["public_url"]] if "public_url" in by_key else []
    kept: list = []
    if not fits(serialize(page, names)):
        names = _shortened_names(names[2], lambda n: fits(serialize(page, n)))
        kept = page  # the room the name left was kept for the page
    for entry in wanted:
        if entry not in kept and fits(serialize([*kept, entry], names)):
            kept.append(entry)
    return serialize(kept, names)


def _shortened_names(full: str, fits: Any) -> tuple[str, str, str]:
    """Cut `full` to the longest prefix + "…" that `fits`; never to nothing.

    The shortened name goes in N's given-name part as well as in FN, so a phone
    that builds the display name from N shows the same text.
    """

    def names(length: int) -> tuple[str, str, str]:
        short = full[:length].rstrip() + "…"
        return short, "", short

    low, high = 1, len(full)  # the longest length that fits lies in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if fits(names(middle)):
            low = middle
        else:
            high = middle - 1
    return names(low)


def _url_text(url: str) -> str:
    """Write a URL in a full vCard: its commas and semicolons backslash-escaped.

    RFC 6350 §3.4 escapes a comma in every value and allows it for a semicolon;
    readers (ours, vobject) give the URL back as it was. Only a space, which no
    URL holds, is percent-encoded.
    """
    return escape_text(clean_text(url).replace(" ", "%20"))


def escape_text(value: str) -> str:
    """Escape a vCard 3.0 text value."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\n", "\\n")


def _extra_lines(extras: dict) -> list[str]:
    """Values a merge kept beside the fields: other names, emails, phones, links."""

    def also(field: str) -> list[str]:
        return [v for v in (clean_text(x) for x in extras.get(field) or []) if v]

    lines = []
    if also("name"):
        lines.append("NICKNAME:" + ",".join(escape_text(n) for n in also("name")))
    lines.extend(f"EMAIL:{escape_text(e)}" for e in also("email"))
    lines.extend(f"TEL;TYPE=CELL:{escape_text(p)}" for p in also("phone"))
    lines.extend(f"URL:{_url_text(u)}" for u in also("linkedin") + also("website"))
    return lines


def contact_vcard(contact: Any) -> str:
    """Return one person as vCard 3.0 text (our own writer, CRLF, folded)."""

    def val(name: str, *, multiline: bool = False) -> str:
        return clean_text(getattr(contact, name, ""), multiline=multiline)

    first = val("first_name", multiline=True)
    last = val("last_name", multiline=True)
    name = (
        val("name", multiline=True)
        or " ".join(p for p in (first, last) if p)
        or "Unnamed"
    )
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"FN:{escape_text(name)}",
        f"N:{escape_text(last)};{escape_text(first)};;;",
    ]
    if val("company"):
        lines.append(f"ORG:{escape_text(val('company'))}")
    if val("title"):
        lines.append(f"TITLE:{escape_text(val('title'))}")
    if val("email"):
        lines.append(f"EMAIL:{escape_text(val('email'))}")
    if val("phone"):
        lines.append(f"TEL;TYPE=CELL:{escape_text(val('phone'))}")
    for key in ("linkedin", "website"):
        if val(key):
            lines.append(f"URL:{_url_text(val(key))}")
    lines.extend(_extra_lines(getattr(contact, "extras", None) or {}))
    note = "\n\n".join(
        v for k in ("talked_about", "promise", "notes") if (v := val(k, multiline=True))
    )
    if note:
        lines.append(f"NOTE:{escape_text(note)}")
    tags = [clean_text(t) for t in getattr(contact, "tags", None) or []]
    if any(tags):
        lines.append("CATEGORIES:" + ",".join(escape_text(t) for t in tags if t))
    uid = clean_text(getattr(contact, "vcard_uid", "") or getattr(contact, "id", ""))
    if uid:
        lines.append(f"UID:{escape_text(uid)}")
    lines.append("END:VCARD")
    return "".join(fold_line(line) + "\r\n" for line in lines)


def contacts_vcf(contacts: Iterable[Any]) -> str:
    """Return every person as one .vcf text."""
    return "".join(contact_vcard(c) for c in contacts)


def vcf_filename(name: str) -> str:
    """Return an ASCII file name ending in .vcf for a person's name."""
    ascii_name = (
        unicodedata.normalize("NFKD", name.replace("Ł", "L").replace("ł", "l"))
        .encode("ascii", "ignore")
        .decode()
    )
    stem = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-")[:60].strip("-")
    return f"{stem or 'contact'}.vcf"
