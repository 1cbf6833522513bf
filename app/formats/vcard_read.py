"""Reading vCards, MECARDs and other scanned QR text into contact fields.

A line-level parser of our own, because vobject loses data on real files
(unescaped commas, quoted-printable, charsets, folds inside a UTF-8 character;
see ../shared/notes/vcard-and-qr.md). Pure functions: no Flask request globals.
"""

from __future__ import annotations

import binascii
import codecs
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import Unprocessable, ValidationError
from ..validation import read_phone
from .vcard import CONTROL_CHARS, FIELD_KEYS, ParsedCard


@dataclass
class _Prop:
    lineno: int
    group: str
    name: str
    params: dict[str, list[str]]
    raw: bytes  # the value, still encoded


# KDE writes X-messaging/xmpp-All: extension names get a little more room.
_NAME = re.compile(rb"^(?:([A-Za-z0-9-]+)\.)?([A-Za-z0-9-]+|X-[A-Za-z0-9/_-]+)$", re.I)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")
_QP_HEADER = re.compile(rb"^[^:]*;(?:ENCODING=)?QUOTED-PRINTABLE[;:]", re.I)
_B64_NAMES = {"BASE64", "B"}
_B64_DATA = re.compile(rb"^[A-Za-z0-9+/=\s]*$")


class _CardError(Exception):
    pass


def _physical_lines(data: bytes) -> list[bytes]:
    """Split on LF (any CRs before it belong to the break); old Macs used CR."""
    if b"\n" not in data:
        return data.split(b"\r")
    # Not re.split(rb"\r*\n"): that is quadratic on a long run of CRs.
    return [line.rstrip(b"\r") for line in data.split(b"\n")]


class _Logical:
    """One logical line being unfolded: its pieces, joined once at the end.

    Whether it is quoted-printable and which pieces hold bytes are kept as it
    grows, so each physical line costs the same however long the property
    already is (re-scanning the pieces made a 144 KB note take 37 s).
    """

    __slots__ = ("no", "pieces", "qp", "filled")

    def __init__(self, no: int, line: bytes) -> None:
        self.no = no
        self.pieces: list[bytes] = []
        self.filled: list[int] = []
        self.qp = bool(_QP_HEADER.match(line))
        self.add(line)

    def add(self, piece: bytes) -> None:
        if piece:
            self.filled.append(len(self.pieces))
        self.pieces.append(piece)

    def take_soft_break(self) -> bool:
        """Drop a quoted-printable soft line break ('=' at the end), if any."""
        if not (self.qp and self.filled):
            return False
        last = self.filled[-1]
        if not self.pieces[last].endswith(b"="):
            return False
        self.pieces[last] = self.pieces[last][:-1]
        if not self.pieces[last]:
            self.filled.pop()
        return True


def _logical_lines(
    data: bytes, max_lines: int | None = None
) -> list[tuple[int, bytes]]:
    """Unfold at the byte level, so a fold inside a UTF-8 character heals.

    Raises Unprocessable past `max_lines` logical lines (properties).
    """
    # Each logical line collects its pieces and is joined once: joining as we go
    # is quadratic on a file made of thousands of folds.
    out: list[_Logical] = []
    b64_open = False
    for no, line in enumerate(_physical_lines(data), 1):
        current = out[-1] if out else None
        if current is not None and current.take_soft_break():
            current.add(line)  # the quoted-printable value goes on
        elif not line.strip():
            b64_open = False  # blank lines end 2.1 base64 and are otherwise noise
        elif current is not None and line[:1] in (b" ", b"\t"):
            current.add(line[1:])
        elif current is not None and b64_open and line.strip() and b":" not in line:
            current.add(line.strip())  # 2.1 base64 runs on unindented
        else:
            out.append(_Logical(no, line))
            if max_lines is not None and len(out) > max_lines:
                raise Unprocessable(
                    f"This file has more than {max_lines} vCard lines, more than"
                    " one import takes. Split it and import the parts one after"
                    " another."
                )
            header = line.split(b":", 1)[0].upper()
            b64_open = b"BASE64" in header or b"ENCODING=B" in header
    return [(logical.no, b"".join(logical.pieces)) for logical in out]


def _split_quoted(text: str, sep: str) -> list[str]:
    """Split on `sep` outside double quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _parse_line(no: int, line: bytes) -> _Prop:
    head_end = _value_start(line)
    if head_end < 0:
        raise _CardError(f"line {no} is not a vCard property: {_snippet(line)}")
    header = line[:head_end].decode("utf-8", "replace")
    pieces = _split_quoted(header, ";")
    match = _NAME.match(pieces[0].encode())
    if not match:
        raise _CardError(f"line {no} has an invalid property name: {_snippet(line)}")
    params: dict[str, list[str]] = {}
    for piece in pieces[1:]:
        if "=" in piece:
            key, _, value = piece.partition("=")
            items = [v.strip('"') for v in _split_quoted(value, ",")]
            if not _TOKEN.match(key) or any(not i for i in items):
                raise _CardError(f"line {no} has an invalid parameter {piece!r}")
            params.setdefault(key.upper(), []).extend(items)
        elif _TOKEN.match(piece):  # 2.1 bare parameter such as TEL;CELL
            params.setdefault("TYPE", []).append(piece)
        else:
            raise _CardError(f"line {no} has an invalid parameter {piece!r}")
    group = (match.group(1) or b"").decode().lower()
    name = match.group(2).decode().upper()
    return _Prop(no, group, name, params, line[head_end + 1 :])


def _value_start(line: bytes) -> int:
    """Return the index of the colon that ends the header, outside quotes."""
    quoted = False
    for i, byte in enumerate(line):
        if byte == 0x22:
            quoted = not quoted
        elif byte == 0x3A and not quoted:
            return i
    return -1


def _snippet(line: bytes) -> str:
    text = line.decode("utf-8", "replace")
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


def _types(prop: _Prop) -> set[str]:
    return {t.upper() for t in prop.params.get("TYPE", [])}


def _encoding(prop: _Prop) -> str:
    declared = [e.upper() for e in prop.params.get("ENCODING", [])]
    types = _types(prop)
    if "QUOTED-PRINTABLE" in declared or "QUOTED-PRINTABLE" in types:
        return "qp"
    if _B64_NAMES & (set(declared) | types):
        return "b64"
    return ""


def _decode(prop: _Prop, warnings: list[str]) -> str:
    """Turn a property's raw bytes into text: transfer encoding, then charset."""
    raw = prop.raw
    if _encoding(prop) == "qp":
        # Some Android exports end a soft line break with a bare CR.
        raw = binascii.a2b_qp(raw.replace(b"=\r", b""))
    charsets = prop.params.get("CHARSET")
    if charsets:
        codec = _charset_codec(charsets[0])
        if codec is None:
            raise _CardError(
                f"line {prop.lineno} names an unknown character set {charsets[0]!r}"
            )
        try:
            return raw.decode(codec)
        except UnicodeError:
            warnings.append(f"line {prop.lineno} is not valid {charsets[0]}")
        try:
            return raw.decode(codec, "replace")
        except UnicodeError:  # a codec with no replacement character
            raise _CardError(
                f"line {prop.lineno} cannot be read as {charsets[0]!r}"
            ) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Undeclared 8-bit text from older address books is nearly always cp1252.
        return raw.decode("cp1252", "replace")


# Codecs Python has that are not character sets of text: IDNA and punycode
# encode host names, the escape codecs read backslash sequences.
_NOT_CHARSETS = {
    "punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined",
}  # fmt: skip


def _charset_codec(name: str) -> str | None:
    """Return the codec of a CHARSET parameter, or None for one Morrow can't read."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # CHARSET=base64 and other bytes-to-bytes codecs are no character set either.
    if not info._is_text_encoding or info.name.replace("_", "-") in _NOT_CHARSETS:
        return None
    return info.name


def _unescape(value: str, version: str) -> str:
    if version == "2.1":  # 2.1 escapes only the semicolon
        return value.replace("\\;", ";")
    out, i = [], 0
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append(
                {"n": "\n", "N": "\n"}.get(nxt, nxt if nxt in "\\,;:" else char + nxt)
            )
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _split_unescaped(value: str, sep: str) -> list[str]:
    """Split on `sep` not preceded by an escaping backslash."""
    parts, current, i = [], [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            current.append(value[i : i + 2])
            i += 2
            continue
        if value[i] == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(value[i])
        i += 1
    parts.append("".join(current))
    return parts


def _segment_cards(lines: list[tuple[int, bytes]]) -> list[tuple[list, str | None]]:
    """Group logical lines into cards; a structural fault becomes the card's error."""
    cards: list[tuple[list, str | None]] = []
    current: list | None = None
    error: str | None = None
    depth = 0
    orphans: list = []
    for no, line in lines:
        word = line.strip().upper()
        exact = line.rstrip(b"\r").upper()
        if word == b"BEGIN:VCARD":
            if current is not None:
                depth += 1
                error = error or f"line {no}: a card inside a card is not supported"
                continue
            if orphans:
                cards.append((orphans, "this card has no BEGIN:VCARD line"))
                orphans = []
            current, depth = [], 0
            error = None if exact == word else f"line {no}: text after BEGIN:VCARD"
        elif word == b"END:VCARD":
            if current is None:
                cards.append((orphans, "this card has no BEGIN:VCARD line"))
                orphans = []
            elif depth:
                depth -= 1
            else:
                if exact != word:
                    error = error or f"line {no}: text after END:VCARD"
                cards.append((current, error))
                current = None
        elif current is not None:
            current.append((no, line))
        else:
            orphans.append((no, line))
    if current is not None:
        cards.append((current, "the card ends without END:VCARD"))
    return cards


def _label(text: str) -> str:
    """Strip Apple's _$!<Mobile>!$_ decoration from an X-ABLabel."""
    return text.strip().removeprefix("_$!<").removesuffix(">!$_").lower()


def _is_cjk(text: str) -> bool:
    return any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in text)


def _n_component(raw: str, version: str) -> str:
    """Join a name component's comma-separated values (3.0+) with spaces."""
    if version == "2.1":
        return _unescape(raw, version).strip()
    values = (_unescape(v, version).strip() for v in _split_unescaped(raw, ","))
    return " ".join(v for v in values if v)


def _name_from_n(parts: list[str]) -> str:
    parts = (parts + [""] * 5)[:5]
    family, given, middle, prefix, suffix = parts
    if _is_cjk(family):
        order: tuple[str, ...] = (family, given, middle)
    else:
        order = (prefix, given, middle, family, suffix)
    return " ".join(p for p in order if p)


def normalize_phone(raw: str, region: str | None) -> tuple[str, str | None]:
    """Return (E.164 or the number as typed, a warning when it was kept as typed).

    The rule is capture's (validation.read_phone): a possible but not valid
    number is kept as typed, with a warning, and the import keeps it too. Text
    that can't be a number is kept here, and the import moves it to the notes.
    """
    raw = raw.strip()
    if not region and not raw.startswith("+"):
        return raw, None  # nothing to read a national number against
    try:
        phone, warning = read_phone(raw, (region or "").upper())
    except ValidationError:
        return raw, f"phone {raw!r} is not a phone number"
    if warning:
        return phone, f"phone {raw!r} is kept as typed: it is not a valid number"
    return phone, None


def normalize_url(raw: str) -> str | None:
    """Return an http(s) URL, adding https:// to a bare host; None otherwise."""
    url = raw.strip().replace("\\:", ":")
    if not url or any(ch.isspace() for ch in url):
        return None
    if "://" not in url:
        if url.lower().startswith(("mailto:", "tel:")) or "." not in url.split("/")[0]:
            return None
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed "[" of an IPv6 host: not a link
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def is_linkedin(url: str) -> bool:
    host = urlsplit(url).netloc.lower().split(":")[0]
    return host == "linkedin.com" or host.endswith(".linkedin.com")


# Deliberately loose (Thunderbird writes user@invalid): reject only what cannot
# be one address, such as '"Omega" <omega@example.com>' or a list.
_EMAIL = re.compile(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:\[\]]+")


def valid_email(text: str) -> bool:
    """Return whether `text` is a plausible single email address."""
    return bool(_EMAIL.fullmatch(text))


def _check_binary(prop: _Prop, warnings: list[str]) -> None:
    """Note a base64 value (a photo, a logo) that cannot be decoded.

    Morrow keeps no photos, so the value is dropped either way; a broken one is
    only worth a warning, never the card. Only the alphabet is checked, as
    exporters often write photos truncated. A vCard 4.0 style `data:` URI in a
    3.0 base64 property is named as such.
    """
    if _B64_DATA.match(prop.raw):
        return
    what = "photo" if prop.name == "PHOTO" else f"{prop.name} value"
    why = (
        "is a data: URI, not base64"
        if prop.raw.lstrip().lower().startswith(b"data:")
        else "is not valid base64"
    )
    warnings.append(f"line {prop.lineno}: the {what} {why}; it was left out")


# Google's system group, written by its vCard export; no tag of the owner's.
_SYSTEM_CATEGORIES = {"mycontacts", "my contacts"}


def _categories(texts: list[tuple[_Prop, str]], version: str) -> dict[str, Any]:
    """Return {"tags": [...]} from CATEGORIES lines, or {} when there are none.

    Values are comma separated (2.1 files also use semicolons); an escaped comma
    stays inside its tag, as Morrow's own export writes it.
    """
    tags: list[str] = []
    for _prop, text in texts:
        parts = _split_unescaped(text, ",")
        if version == "2.1":
            parts = [q for p in parts for q in _split_unescaped(p, ";")]
        for part in parts:
            tag = " ".join(_unescape(part, version).split())
            if tag and tag.lower() not in _SYSTEM_CATEGORIES and tag not in tags:
                tags.append(tag)
    return {"tags": tags} if tags else {}


@dataclass
class _CardText:
    """One card's decoded property texts by name, its labels and its version."""

    version: str
    texts: dict[str, list[tuple[_Prop, str]]]
    labels: dict[str, str]

    def all(self, name: str) -> list[tuple[_Prop, str]]:
        return self.texts.get(name, [])

    def value(self, text: str) -> str:
        return _unescape(text, self.version)

    def first(self, name: str) -> str:
        """The first non-blank value of a property, unescaped."""
        for _prop, text in self.all(name):
            value = self.value(text).strip("\n")
            if value.strip():
                return value
        return ""


def _card_version(props: list[_Prop]) -> str:
    versions = [p for p in props if p.name == "VERSION"]
    if not versions:
        raise _CardError("the card has no VERSION line")
    version = versions[0].raw.decode("ascii", "replace").strip()
    if version not in ("2.1", "3.0", "4.0"):
        raise _CardError(f"unsupported vCard version {version!r}")
    return version


def _card_text(props: list[_Prop], warnings: list[str]) -> _CardText:
    """Decode every property; base64 data (photos) is checked, then dropped."""
    card = _CardText(_card_version(props), {}, {})
    for prop in props:
        if _encoding(prop) == "b64":
            _check_binary(prop, warnings)  # photos and other binaries are dropped
            continue
        text = CONTROL_CHARS.sub("", _decode(prop, warnings).replace("\t", " "))
        if prop.name == "X-ABLABEL" and prop.group:
            card.labels[prop.group] = _label(card.value(text))
        card.texts.setdefault(prop.name, []).append((prop, text))
    return card


def _read_names(card: _CardText, fields: dict[str, Any]) -> list[str]:
    """Fill first and last name from N; return N's parts (empty without N)."""
    if not card.all("N"):
        return []
    n_parts = [
        _n_component(p, card.version)
        for p in _split_unescaped(card.all("N")[0][1], ";")
    ]
    fields["last_name"] = n_parts[0]
    if len(n_parts) > 1:
        fields["first_name"] = n_parts[1]
    return n_parts


def _read_work_and_notes(card: _CardText, fields: dict[str, Any]) -> None:
    org = card.all("ORG")
    if org:
        fields["company"] = card.value(_split_unescaped(org[0][1], ";")[0]).strip()
    fields["title"] = card.first("TITLE").strip()
    fields.update(_categories(card.all("CATEGORIES"), card.version))
    fields["notes"] = "\n\n".join(
        v for _p, t in card.all("NOTE") if (v := card.value(t).strip())
    )
    uid = card.first("UID").strip()
    if uid:
        fields["vcard_uid"] = uid[:255]


def _read_email(card: _CardText, warnings: list[str]) -> str:
    """The preferred email address, else the first."""
    emails = []
    for prop, text in card.all("EMAIL"):
        value = card.value(text).strip()
        if value.lower().startswith("mailto:"):
            value = value[7:]
        if not value:
            continue
        if "@" not in value:  # a note typed into the wrong field: skip it
            warnings.append(f"line {prop.lineno}: {value!r} is not an email address")
            continue
        if not valid_email(value):
            # An @ in a broken address means the line itself was mangled (an
            # unfolded wrap, a stray escape): better refuse than guess.
            raise _CardError(f"line {prop.lineno}: {value!r} is not an email address")
        emails.append((("PREF" in _types(prop) or "PREF" in prop.params), value))
    return sorted(emails, key=lambda e: not e[0])[0][1] if emails else ""


def _phone_rank(card: _CardText, prop: _Prop) -> int:
    """Mobile first, then preferred, then others; fax and pager last."""
    types = _types(prop) | {card.labels.get(prop.group, "").upper()}
    if types & {"FAX", "PAGER"}:
        return 3
    return 0 if types & {"CELL", "MOBILE", "IPHONE"} else 1 if "PREF" in types else 2


def _read_phone(card: _CardText, region: str | None, warnings: list[str]) -> str:
    """The best-ranked number, read by the phone rule (normalize_phone)."""
    phones = []
    for prop, text in card.all("TEL"):
        value = card.value(text).strip()
        value = re.sub(r"^tel:", "", value, flags=re.I).split(";")[0]
        if re.search(r"\d", value):
            phones.append((_phone_rank(card, prop), value))
    if not phones:
        return ""
    phone, warning = normalize_phone(sorted(phones, key=lambda p: p[0])[0][1], region)
    if warning:
        warnings.append(warning)
    return phone


def _read_links(card: _CardText, fields: dict[str, Any]) -> None:
    """The first LinkedIn profile and the first other web address."""
    urls = []
    for prop, text in card.all("URL") + card.all("X-SOCIALPROFILE"):
        url = normalize_url(card.value(text))
        if url:
            label = card.labels.get(prop.group, "")
            social = "linkedin" in label or "LINKEDIN" in _types(prop)
            urls.append((social or is_linkedin(url), url))
    fields["linkedin"] = next((u for li, u in urls if li), "")
    fields["website"] = next((u for li, u in urls if not li), "")


def _read_display_name(
    card: _CardText, fields: dict[str, Any], n_parts: list[str]
) -> None:
    """FN, else N, else the company, email or phone; a card needs one of them."""
    fn = card.first("FN")
    if not n_parts:
        fields["first_name"], fields["last_name"] = guess_split(fn)
    fields["name"] = (
        fn
        if fn.strip()
        else _name_from_n(n_parts)
        or fields["company"]
        or fields["email"]
        or fields["phone"]
    )
    if not fields["name"].strip():
        raise _CardError("the card has no name, email or phone number")


def _card_fields(
    raw_lines: list, region: str | None, warnings: list[str]
) -> dict[str, Any]:
    """Read one card's lines into Morrow's fields, in named steps."""
    card = _card_text([_parse_line(no, line) for no, line in raw_lines], warnings)
    fields: dict[str, Any] = dict.fromkeys(FIELD_KEYS, "")
    n_parts = _read_names(card, fields)
    _read_work_and_notes(card, fields)
    if email := _read_email(card, warnings):
        fields["email"] = email
    if phone := _read_phone(card, region, warnings):
        fields["phone"] = phone
    _read_links(card, fields)
    _read_display_name(card, fields, n_parts)
    return fields


def _decode_file(data: bytes) -> bytes:
    """Return the file as bytes without a BOM; UTF-16 files become UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise Unprocessable(
                "This file says it is UTF-16 but isn't readable as UTF-16."
            ) from None
    return data.removeprefix(codecs.BOM_UTF8)


_BEGIN = re.compile(rb"(?:^|[\r\n])[ \t]*BEGIN:VCARD", re.I)


def _check_card_count(cards: int, max_cards: int) -> None:
    if cards > max_cards:
        raise Unprocessable(
            f"This file holds {cards} cards; one import takes at most"
            f" {max_cards}. Split it and import the parts one after another."
        )


def parse_vcard_file(
    data: bytes,
    default_region: str | None = None,
    *,
    max_cards: int | None = None,
    max_lines: int | None = None,
) -> list[ParsedCard]:
    """Read every card of a .vcf file; a bad card becomes an error, not a stop.

    Phone numbers become E.164 where `default_region` (or a leading +) allows,
    and are kept as typed otherwise, with a warning. A file of more than
    `max_cards` cards or `max_lines` properties is refused (Unprocessable)
    before any card is read.
    """
    data = _decode_file(data)
    if max_cards is not None:
        # Counted before anything is unfolded, so a file over the cap is
        # refused in a fraction of a second.
        _check_card_count(len(_BEGIN.findall(data)), max_cards)
    segments = _segment_cards(_logical_lines(data, max_lines))
    if not segments:
        raise Unprocessable("This file holds no vCard: no BEGIN:VCARD line was found.")
    if max_cards is not None:
        _check_card_count(len(segments), max_cards)
    results = []
    for index, (raw_lines, error) in enumerate(segments, 1):
        card = ParsedCard(index)
        try:
            if error:
                raise _CardError(error)
            card.fields = _card_fields(raw_lines, default_region, card.warnings)
        except _CardError as exc:
            card.error = f"Card {index}: {exc}."
        results.append(card)
    return results


# --------------------------------------------------------------------------
# Decoded QR text


def _mecard_unescape(raw: str) -> str:
    return re.sub(r"\\(.)", r"\1", raw).strip()


def _mecard_fields(text: str, region: str) -> tuple[dict[str, Any], list[str]]:
    """Read a MECARD: KEY:value pairs split on unescaped ';', backslash escapes."""
    body = text.strip()[len("MECARD:") :]
    fields: dict[str, Any] = dict.fromkeys(FIELD_KEYS, "")
    warnings: list[str] = []
    pairs = [p for p in _split_unescaped(body, ";") if p]
    for pair in pairs:
        key, sep, raw = pair.partition(":")
        if not sep:
            continue
        value = _mecard_unescape(raw)
        key = key.strip().upper()
        if key == "N" and not fields["name"]:
            names = [_mecard_unescape(p) for p in _split_unescaped(raw, ",")]
            if len(names) > 1:  # the documented "Last,First" form
                fields["last_name"], fields["first_name"] = names[:2]
                fields["name"] = " ".join(p for p in names[1::-1] if p)
            else:
                fields["name"] = names[0]
                fields["first_name"], fields["last_name"] = guess_split(names[0])
        elif key == "TEL" and not fields["phone"] and re.search(r"\d", value):
            fields["phone"], warning = normalize_phone(value, region)
            warnings += [warning] if warning else []
        elif key == "EMAIL" and not fields["email"] and valid_email(value):
            fields["email"] = value
        elif key == "URL" and (url := normalize_url(value)):
            slot = "linkedin" if is_linkedin(url) else "website"
            fields[slot] = fields[slot] or url
        elif key == "ORG" and not fields["company"]:
            fields["company"] = value
        elif key == "NOTE":
            fields["notes"] = value
    if not any(fields[k] for k in ("name", "email", "phone")):
        raise Unprocessable("This MECARD holds no name, email or phone number.")
    fields["name"] = fields["name"] or fields["email"] or fields["phone"]
    return fields, warnings


def guess_split(name: str) -> tuple[str, str]:
    """Split a two-word Latin name into (first, last); otherwise guess nothing."""
    words = name.split()
    if len(words) == 2 and not _is_cjk(name):
        return words[0], words[1]
    return "", ""


_LINKEDIN_PROFILE = re.compile(r"^/(?:in|pub)/([^/?#]+)", re.I)


def _linkedin_fields(url: str) -> tuple[dict[str, Any], list[str]]:
    """Read a LinkedIn profile URL; guess the name from a slug like jane-doe-1a2b."""
    fields: dict[str, Any] = dict.fromkeys(FIELD_KEYS, "")
    parts = urlsplit(url)
    fields["linkedin"] = f"https://www.linkedin.com{parts.path.rstrip('/')}"
    warnings: list[str] = []
    match = _LINKEDIN_PROFILE.match(parts.path)
    if match:
        words = unquote(match.group(1)).split("-")
        while words and any(ch.isdigit() for ch in words[-1]):
            words.pop()  # LinkedIn's de-duplicating suffix, e.g. -1a2b3c
        if 2 <= len(words) <= 4 and all(w.isalpha() for w in words):
            names = [w[:1].upper() + w[1:] for w in words]
            fields["name"] = " ".join(names)
            fields["first_name"], fields["last_name"] = names[0], " ".join(names[1:])
            warnings.append("The name was guessed from the LinkedIn address.")
    return fields, warnings


def parse_qr_text(text: str, default_region: str) -> dict[str, Any]:
    """Turn decoded QR text into contact fields, with `kind` and `warnings`.

    Phone numbers become E.164 using `default_region`; one that cannot be read
    is kept as typed, and a warning says so. Raises Unprocessable when the text
    holds nothing a contact can be made of.
    """
    # Trailing spaces stay: "END:VCARD " must get the same verdict as in a file.
    text = (text or "").replace("\x00", "").lstrip().rstrip("\r\n")
    if not text:
        raise Unprocessable("The code is empty.")
    upper = text[:12].upper()
    warnings: list[str] = []
    if upper.startswith("BEGIN:VCARD") or "\nBEGIN:VCARD" in text[:200].upper():
        kind = "vcard"
        cards = parse_vcard_file(text.encode("utf-8"), default_region)
        card = cards[0]
        if card.error:
            raise Unprocessable(f"This vCard cannot be read: {card.error}")
        if len(cards) > 1:
            warnings.append(f"{len(cards)} cards found; the first was used.")
        fields, warnings = card.fields or {}, warnings + card.warnings
    elif upper.startswith("MECARD:"):
        kind = "mecard"
        fields, warnings = _mecard_fields(text, default_region)
    elif upper.startswith("MAILTO:") or (valid_email(text) and "/" not in text):
        kind = "email"
        address = unquote(text[7:] if upper.startswith("MAILTO:") else text)
        address = address.split("?")[0]
        if not valid_email(address):
            raise Unprocessable(f"{address!r} is not an email address.")
        fields = dict.fromkeys(FIELD_KEYS, "") | {"email": address}
    elif (url := normalize_url(text)) and (
        "://" in text or text.lower().startswith("www.") or is_linkedin(url)
    ):
        if is_linkedin(url):
            kind = "linkedin"
            fields, warnings = _linkedin_fields(url)
        else:
            kind = "url"
            fields = dict.fromkeys(FIELD_KEYS, "") | {"website": url}
    elif re.fullmatch(r"(?i:tel:)?\+?[\d\s().\-/]{6,}", text) and (
        sum(ch.isdigit() for ch in text) >= 6
    ):
        kind = "phone"
        phone, warning = normalize_phone(re.sub(r"(?i)^tel:", "", text), default_region)
        warnings += [warning] if warning else []
        fields = dict.fromkeys(FIELD_KEYS, "") | {"phone": phone}
    else:
        raise Unprocessable(
            "This code holds no contact details Morrow can read "
            "(expected a vCard, a MECARD, a web address, an email or a phone number)."
        )
    return {**fields, "kind": kind, "warnings": warnings}
