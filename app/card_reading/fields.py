"""Lines read from a card → contact fields. Pure Python, no OCR: tested alone.

Two engines read the same photo and fail differently (see README, "Reading a
paper card"): RapidOCR keeps an e-mail's punctuation but glues Latin words
("JonasWeber") and drops accents; tesseract keeps spaces and accents but
misreads punctuation at a word's edge. So a line both engines read alike (once
spaces, accents and case are set aside) is taken in tesseract's spelling, and
e-mails prefer RapidOCR's. Then:

- phones: phonenumbers' matcher in the owner's region on each line; a label
  before the number ranks it (mobile, then phone, then none; fax last);
- e-mail and web addresses: patterns that forgive OCR slips (a space next to
  "@" or ".", "(at)", trailing punctuation);
- the name: a line that looks like a person's name, the tallest such line,
  helped by the e-mail's local part ("jonas.weber" confirms "Jonas Weber");
- company and title: a legal form (GmbH, Ltd, SL ...) marks the company, a
  job word the title; otherwise the lines next to the name.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import phonenumbers

from ..formats.vcard_read import guess_split
from ..shapes import CardFieldsJSON, CardReading


@dataclass
class Line:
    text: str
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    engine: str = ""
    other: str = ""  # the other engine's reading of the same line, if any
    parts: tuple[str, ...] = ()  # a name joined from lines: the lines it took


def fold(text: str) -> str:
    """Lowercase, no accents, letters and digits only: how lines are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("ß", "ss").replace("ø", "o").replace("ł", "l")
    return re.sub(r"[^0-9a-z]", "", plain)


def _lines(raw: Iterable[dict[str, Any]], engine: str) -> list[Line]:
    lines = []
    for item in raw:
        text = " ".join(unicodedata.normalize("NFC", str(item.get("text", ""))).split())
        if text:
            lines.append(
                Line(
                    text,
                    float(item.get("x", 0)),
                    float(item.get("y", 0)),
                    float(item.get("w", 0)),
                    float(item.get("h", 0)),
                    engine,
                )
            )
    return lines


def _base(ch: str) -> str:
    """A letter without its accent, lowercase; "" for spaces and punctuation."""
    if ch == "ß":
        return "s"
    plain = unicodedata.normalize("NFKD", ch.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return plain[:1] if plain[:1].isalnum() else ""


def combine(rapid: str, tess: str) -> str:
    """RapidOCR's letters with tesseract's spaces and accents where they agree.

    The two readings are aligned letter by letter, accents and case set aside.
    Where they agree, tesseract's letter is taken (it keeps "é", "ü", "ñ"), and a
    space tesseract saw between two agreeing letters is put back ("JonasWeber"
    → "Jonas Weber"); where they disagree, RapidOCR's letter stays, as it misreads
    letters less often.
    """
    r_at = [i for i, ch in enumerate(rapid) if _base(ch)]
    t_at = [j for j, ch in enumerate(tess) if _base(ch)]
    matcher = difflib.SequenceMatcher(
        None,
        [_base(rapid[i]) for i in r_at],
        [_base(tess[j]) for j in t_at],
        autojunk=False,
    )
    twin: dict[int, int] = {}
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(a1 - a0):
                twin[r_at[a0 + k]] = t_at[b0 + k]
        elif tag == "replace" and a1 - a0 == b1 - b0:
            # RapidOCR drops accents: an accented letter tesseract read in the
            # same place ("Kriger" / "Krüger") is the better reading.
            for k in range(a1 - a0):
                if not tess[t_at[b0 + k]].isascii():
                    twin[r_at[a0 + k]] = t_at[b0 + k]
    out: list[str] = []
    previous: int | None = None  # tesseract's index of the last agreeing letter
    for i, ch in enumerate(rapid):
        j = twin.get(i)
        if j is None:
            out.append(ch)
            continue
        gap = tess[previous + 1 : j] if previous is not None else ""
        if previous is not None and " " in gap and out and not out[-1].isspace():
            if (
                not rapid[i - 1 : i].isspace()
                and _base(rapid[i - 1 : i] or " ")
                and _glued_here(rapid, i)
            ):
                out.append(" ")
        out.append(tess[j] if tess[j].lower() != ch.lower() or tess[j] == ch else ch)
        previous = j
    return "".join(out)


def _glued_here(rapid: str, i: int) -> bool:
    """Whether RapidOCR glued two words at `rapid[i]`, where tesseract saw a gap.

    RapidOCR glues words at a capital ("JonasWeber") or a whole line without
    spaces; tesseract, on a soft photo, splits a word ("Nuag e", "Sol uciones").
    """
    return rapid[i].isupper() or " " not in rapid.strip()


def _better_spelling(rapid: str, tess: str) -> str:
    """Of two readings of one line, the one with spaces and accents."""
    if fold(rapid) != fold(tess):
        return rapid
    # Same letters: tesseract's keeps the spaces and accents RapidOCR drops.
    return tess


def merge_engines(ocr: dict[str, Any]) -> list[Line]:
    """One list of lines in reading order, each in its best spelling.

    RapidOCR finds the lines; tesseract's re-reading of a line ("re-read", by
    the line's index) gives it spaces and accents (see `combine`). A whole-page
    tesseract reading ("tesseract", used to compare the engines) replaces the
    spelling of a line with the same letters, and adds lines RapidOCR missed.
    """
    engines = ocr.get("engines") or {}
    rapid = _lines(engines.get("rapidocr") or [], "rapidocr")
    re_read = engines.get("re-read") or {}
    for index, line in enumerate(rapid):
        alt = " ".join(
            unicodedata.normalize("NFC", str(re_read.get(str(index)) or "")).split()
        )
        if alt:
            line.other, line.text = line.text, combine(line.text, alt)
            line.engine = "both"
    tess = _lines(engines.get("tesseract") or [], "tesseract")
    if not rapid:
        return _reading_order(tess)
    by_fold: dict[str, list[Line]] = {}
    for line in tess:
        by_fold.setdefault(fold(line.text), []).append(line)
    used: set[int] = set()
    merged = []
    for line in rapid:
        twins = [t for t in by_fold.get(fold(line.text), []) if id(t) not in used]
        if twins and fold(line.text):
            used.add(id(twins[0]))
            line.other = line.other or line.text
            line.text = _better_spelling(line.text, twins[0].text)
            line.engine = "both"
        merged.append(line)
    for line in tess:
        if id(line) not in used and not _covered(line, merged):
            merged.append(line)
    return _reading_order(merged)


def _covered(line: Line, lines: list[Line]) -> bool:
    """Whether `line`'s letters are already inside one line of `lines`."""
    key = fold(line.text)
    if len(key) < 3:
        return True
    return any(key in fold(other.text) or fold(other.text) in key for other in lines)


def _reading_order(lines: list[Line]) -> list[Line]:
    return sorted(lines, key=lambda line: (round(line.y / max(line.h, 8)), line.x))


# --- e-mail and web addresses ---------------------------------------------------

_AT = re.compile(r"\s*(?:\(at\)|\[at\]|\{at\}|\s@\s|@)\s*", re.I)
_DOT = re.compile(r"\s*(?:\(dot\)|\[dot\])\s*", re.I)
_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9-]+(?:\s?\.\s?[A-Za-z0-9-]+)*\s?\.\s?[A-Za-z]{2,}"
)
_URL = re.compile(
    r"(?:https?://)?(?:www\.)?[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*"
    r"\.[A-Za-z]{2,}(?:/[A-Za-z0-9._~%/-]*)?",
    re.I,
)
_LINKEDIN = re.compile(
    r"linked\s?in\.com\s?/\s?(?:in|pub)\s?/\s?([A-Za-z0-9%_-]+)", re.I
)


def emails_in(text: str) -> list[str]:
    """E-mail addresses in one OCR line, mended (spaces, "(at)", punctuation)."""
    text = _DOT.sub(".", _AT.sub("@", text))
    found = []
    for match in _EMAIL.finditer(text):
        address = re.sub(r"\s", "", match.group(0)).strip(".-_'")
        if (
            re.match(r"E[a-z0-9]", address)
            and address[: address.index("@")][1:].islower()
        ):
            address = address[1:]  # an "E" label glued on: "Eanna@…" is "E anna@…"
        local, _, domain = address.partition("@")
        found.append(f"{local}@{domain.lower()}")
    return found


def _email_score(address: str, engines: set[str]) -> float:
    local, _, domain = address.partition("@")
    score = 2.0 if engines >= {"rapidocr", "tesseract"} or "both" in engines else 0.0
    score += 1.0 if "rapidocr" in engines else 0.0
    tld = domain.rsplit(".", 1)[-1]
    score += 0.5 if tld.islower() and tld.isalpha() else -1.0
    return score - 0.1 * sum(not ch.isalnum() for ch in local)


def find_email(lines: list[Line], raw: dict[str, list[Line]]) -> str:
    """The card's e-mail: the address both engines read, else RapidOCR's."""
    seen: dict[str, set[str]] = {}
    for engine, engine_lines in raw.items():
        for line in engine_lines:
            for address in emails_in(line.text):
                seen.setdefault(address.lower(), set()).add(engine)
    for line in lines:
        for address in emails_in(line.text):
            seen.setdefault(address.lower(), set()).add(line.engine)
    if not seen:
        return ""
    best = max(seen, key=lambda a: _email_score(a, seen[a]))
    return best


def find_linkedin(lines: list[Line]) -> str:
    for line in lines:
        match = _LINKEDIN.search(line.text.replace(" ", ""))
        if match:
            return f"https://www.linkedin.com/in/{match.group(1).strip('-_')}"
    return ""


def find_website(lines: list[Line]) -> str:
    """A web address that is not LinkedIn and not part of an e-mail.

    The e-mail's domain alone is not taken for a web site: it may be a mailer's.
    """
    for line in lines:
        text = line.text
        if "@" in text or "linkedin" in text.lower():
            continue
        for match in _URL.finditer(text):
            url = match.group(0).rstrip("./-")
            host = url.split("://")[-1].split("/")[0].lower()
            if not (url.lower().startswith(("http", "www.")) or _has_site_tld(host)):
                continue
            if not url.lower().startswith("http"):
                url = "https://" + url
            return url[:8] + url[8:].replace("://", "")
    return ""


_SITE_TLDS = {
    "com",
    "de",
    "fr",
    "es",
    "uk",
    "io",
    "org",
    "net",
    "eu",
    "at",
    "ch",
    "it",
    "nl",
    "be",
    "dev",
    "ai",
    "co",
    "jp",
    "app",
    "info",
    "tech",
}


def _has_site_tld(host: str) -> bool:
    parts = host.split(".")
    return len(parts) >= 2 and parts[-1] in _SITE_TLDS and len(parts[-2]) >= 2


# --- phones ------------------------------------------------------------------

_FAX = re.compile(r"\b(?:fax|telefax|f)\b\W*$", re.I)
_MOBILE = re.compile(
    r"\b(?:mobile?|mobil|mob|cell|handy|m|c|m[óo6ò0]vil|port|portable|cel|celular)\b\W*$",
    re.I,
)
_PHONE = re.compile(
    r"\b(?:t|tel|phone|telefon|téléphone|telephone|teléfono|telefono|fon|office|direct)\b\W*$",
    re.I,
)


def _phone_rank(before: str) -> int:
    before = before[-14:]
    if _FAX.search(before):
        return 0
    if _MOBILE.search(before):
        return 3
    if _PHONE.search(before):
        return 2
    return 1


def _phone_text(text: str) -> str:
    """Separate labels glued to a number ("T+49", "Mobile:+44") for the matcher."""
    text = re.sub(r"(?i)\bm[6o0ò]vil", "Móvil", text)  # a digit read for "ó"
    text = re.sub(r"(?i)\btel[eé]fon[o0]", "Teléfono", text)
    text = re.sub(r"(?<=[A-Za-z:.])(?=[+(\d])", " ", text)
    return text.replace("O", "0") if re.fullmatch(r"[+\d\sO()./-]+", text) else text


def find_phone(lines: list[Line], region: str) -> str:
    """The best-labelled valid phone number on the card, in E.164."""
    best: tuple[int, int, str] | None = None
    order = 0
    for line in lines:
        texts = [line.text] + ([line.other] if line.other else [])
        for text in texts:
            prepared = _phone_text(text)
            for match in phonenumbers.PhoneNumberMatcher(prepared, region or "US"):
                order += 1
                number = match.number
                e164 = phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.E164
                )
                rank = _phone_rank(prepared[: match.start])
                key = (rank, -order, e164)
                if best is None or key[:2] > best[:2]:
                    best = key
    return best[2] if best else ""


# --- name, title, company ----------------------------------------------------

LEGAL_FORMS = re.compile(
    r"(?:\b(?:GmbH|mbH|AG|KG|eG|e\.\s?V\.|OHG|UG|GbR|Ltd|Limited|LLP|LLC|Inc|PLC|"
    r"Corp|SARL|SAS|SA|SASU|SL|SLU|S\.L\.|S\.A\.|S\.A\.S\.|SCOP|BV|NV|Oy|AB|"
    r"Co\.|& Co|Coop)\b\.?)",
)
_TITLE_WORDS = re.compile(
    r"(?i)\b(?:engineer|manager|director|head|lead|chief|officer|ceo|cto|cfo|coo|"
    r"founder|co-?founder|partner|consultant|developer|designer|architect|analyst|"
    r"scientist|researcher|advocate|specialist|sales|marketing|product|owner|"
    r"president|vice|vp|editor|professor|student|intern|teacher|"
    r"geschäftsführer|geschaftsfuhrer|leiter|leiterin|entwickler|entwicklerin|"
    r"berater|beraterin|ingenieur|ingenieurin|vertrieb|inhaber|inhaberin|"
    r"referent|referentin|projekt|directeur|directrice|responsable|chef|"
    r"chargée?|ingénieure?|développeuse|développeur|commercial|commerciale|"
    r"gérante?|fondateur|fondatrice|jefe|jefa|directora?|ingeniera?|gerente|"
    r"responsable|desarrollador|desarrolladora|consultora?|fundador|fundadora|"
    r"coordinador|coordinadora|analista|diseñador|diseñadora)\b"
)
_NAME_WORD = re.compile(
    r"^(?:[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’]+(?:-[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’]+)?|"
    r"[A-ZÀ-ÖØ-Þ]{2,}(?:-[A-ZÀ-ÖØ-Þ]{2,})?|de|del|la|van|von|der|den|di|da|du|le|y|"
    r"[A-Z]\.)$"
)
_GLUED = re.compile(r"(?<=[a-zß-öø-ÿ])(?=[A-ZÀ-ÖØ-Þ])")


def split_glued(text: str, email: str = "") -> str:
    """Put back the spaces OCR lost between words: "JonasWeber" → "Jonas Weber".

    A case change inside a word marks the gap; "McDonald" stays whole when the
    e-mail's local part spells it whole.
    """
    local = fold(email.partition("@")[0]) if email else ""
    words = []
    for word in text.split():
        parts = _GLUED.split(word)
        if (
            len(parts) > 1
            and all(len(p) >= 2 for p in parts)
            and not (
                local
                and fold(word) in local
                and not any(fold(p) == local for p in parts)
                and _whole_in_local(word, local)
            )
        ):
            words.extend(parts)
        else:
            words.append(word)
    return " ".join(words)


def _whole_in_local(word: str, local: str) -> bool:
    """Whether the local part holds `word` glued while its parts split elsewhere."""
    return fold(word) in re.split(r"[^a-z0-9]", local) and len(fold(word)) > 6


def looks_like_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 5 or any(ch.isdigit() for ch in text):
        return False
    if "@" in text or "/" in text or LEGAL_FORMS.search(mend_legal_forms(text)):
        return False
    if _TITLE_WORDS.search(text):
        return False
    capitals = [w for w in words if w[:1].isupper()]
    return len(capitals) >= 2 and all(_NAME_WORD.match(w) for w in words)


def _is_contact_line(text: str) -> bool:
    """A line of phone, e-mail or address details, never a name or a company."""
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 4 or "@" in text or bool(_URL.search(text) and "." in text)


def _local_match(name: str, email: str) -> float:
    """How well a name agrees with the e-mail's local part (0..1)."""
    local = email.partition("@")[0].lower()
    if not local:
        return 0.0
    pieces = [fold(p) for p in re.split(r"[._-]", local) if fold(p)]
    words = [fold(w) for w in name.split() if fold(w)]
    if not pieces or not words:
        return 0.0
    hits = sum(
        1
        for p in pieces
        if any(w == p or (len(p) == 1 and w.startswith(p)) for w in words)
    )
    if fold(name) == fold(local):
        return 1.0
    return hits / len(pieces)


def _name_text(text: str, email: str) -> str:
    text = split_glued(text, email)
    # "l" read for a capital "I" ("lsabella"): no name starts "ls", "lv"...
    return re.sub(r"\bl(?=[b-df-hj-np-tv-z][a-z])", "I", text)


def _name_part(line: Line) -> bool:
    """A line that may be half of a name set in two lines: one or two words."""
    return 1 <= len(line.text.split()) <= 2 and not _is_contact_line(line.text)


def _one_name(first: Line, second: Line) -> bool:
    """Whether two lines sit as a name's two halves: same size, side by side on
    one row, or stacked with the same left edge or centre."""
    high, low = max(first.h, second.h), min(first.h, second.h)
    if low <= 0 or low / high < 0.8:
        return False
    if abs(first.y - second.y) < 0.5 * high:  # one row, split by a wide gap
        gap = second.x - (first.x + first.w)
        return -0.2 * high <= gap < 2.5 * high
    gap = second.y - (first.y + first.h)
    if not -0.2 * high <= gap < 1.0 * high:
        return False
    centres = abs((first.x + first.w / 2) - (second.x + second.w / 2))
    return abs(first.x - second.x) < 0.6 * high or centres < 0.6 * high


def _two_line_names(lines: list[Line], email: str) -> list[Line]:
    """Names set in two lines ("Amara" over "Okafor"), joined into one line.

    Read by OCR as two lines, either half alone is no name; joined, they are
    one when they look like a name. The e-mail's local part decides between a
    joined name and a one-line name (see find_name).
    """
    parts = [line for line in lines if _name_part(line)]
    joined = []
    for first in parts:
        for second in parts:
            if second is first or not _one_name(first, second):
                continue
            if len(first.text.split()) + len(second.text.split()) > 3:
                continue  # one half is a single word: "María" / "Núñez García"
            text = _name_text(f"{first.text} {second.text}", email)
            if len(text.split()) <= 4 and looks_like_name(text):
                joined.append(
                    Line(
                        text,
                        min(first.x, second.x),
                        second.y,  # the lower half: a title follows it
                        max(first.x + first.w, second.x + second.w)
                        - min(first.x, second.x),
                        max(first.h, second.h),
                        first.engine,
                        parts=(first.text, second.text),
                    )
                )
    return joined


def find_name(lines: list[Line], email: str) -> Line | None:
    """The tallest line that looks like a person's name (helped by the e-mail).

    A name set in two lines counts too, a little behind a one-line name unless
    the e-mail agrees with it better ("maria.nunez" for "María" / "Núñez").
    """
    tallest = max((line.h for line in lines), default=1.0) or 1.0
    best: tuple[float, Line] | None = None
    for line in lines:
        text = _name_text(line.text, email)
        if _is_contact_line(text) or not looks_like_name(text):
            continue
        score = line.h / tallest + 0.8 * _local_match(text, email)
        if best is None or score > best[0]:
            best = (score, Line(text, line.x, line.y, line.w, line.h, line.engine))
    for line in _two_line_names(lines, email):
        score = line.h / tallest + 0.8 * _local_match(line.text, email) - 0.05
        if best is None or score > best[0]:
            best = (score, line)
    return best[1] if best else None


def _company_score(line: Line, name: Line | None, email: str) -> float:
    text = _company_text(line.text)
    score = 0.0
    if LEGAL_FORMS.search(text):
        score += 3
    domain = email.partition("@")[2].split(".")[0]
    if domain and len(domain) >= 3 and fold(domain)[:5] in fold(text):
        score += 2
    if _TITLE_WORDS.search(text):
        score -= 2
    if name is not None:
        score += min(line.h / max(name.h, 1), 1.5) * 0.5
    return score


def find_title_company(
    lines: list[Line], name: Line | None, email: str
) -> tuple[str, str]:
    """Company: a legal form, the e-mail's domain or a tall line; title: job words."""
    taken = {fold(text) for text in name.parts + (name.text,)} if name else set()
    rest = [
        line
        for line in lines
        if not _is_contact_line(line.text)
        and fold(line.text) not in taken
        and len(fold(line.text)) >= 2
    ]
    company = max(
        rest, key=lambda line: _company_score(line, name, email), default=None
    )
    if company is not None and _company_score(company, name, email) < 0.5:
        company = None
    others = [line for line in rest if line is not company]
    titled = [line for line in others if _TITLE_WORDS.search(line.text)]
    title = titled[0] if titled else None
    if title is None and name is not None:
        below = [
            line
            for line in others
            if line.y > name.y and line.y - name.y < name.h * 3 and line.h <= name.h
        ]
        title = min(below, key=lambda line: line.y, default=None)
    return (
        split_glued(title.text) if title else "",
        _company_text(company.text) if company else "",
    )


_FORMS = ["GmbH", "eG", "KG", "AG", "Ltd", "Inc.", "LLC", "SARL", "SAS", "SA", "SL"]
_FORM_ENDINGS = [
    (form, re.compile(r"\s?" + r"\s?".join(map(re.escape, form.rstrip("."))) + r"\.?$"))
    for form in _FORMS
]


# Legal forms OCR split with a space ("Gmb H", "G mbH", "Lt d", "I nc.") or read
# with "l" for "I" ("lnc."): mended wherever they stand in a line.
_SPLIT_FORMS = [
    (form, re.compile(r"(?<![\w&-])" + pattern + r"(?!\w)"))
    for form, pattern in [
        ("GmbH", r"G\s?m\s?b\s?H"),
        ("Ltd", r"L\s?t\s?d"),
        ("Inc.", r"[Il1]\s?n\s?c\s?\."),
        ("Inc", r"(?:I\s?n\s?c|[l1]\s?n\s?c$)"),
        ("LLC", r"L\s?L\s?C"),
        ("LLP", r"L\s?L\s?P"),
        ("PLC", r"P\s?L\s?C"),
        ("SARL", r"S\s?A\s?R\s?L"),
        ("GbR", r"G\s?b\s?R"),
        ("Corp", r"C\s?o\s?r\s?p"),
    ]
]


def mend_legal_forms(text: str) -> str:
    """Legal forms as usually spelled: "Solarcoop Gmb H" → "Solarcoop GmbH"."""
    for form, pattern in _SPLIT_FORMS:
        text = pattern.sub(form, text)
    return text


def _company_text(text: str) -> str:
    """Mend a company line: its legal form spelled as usual ("Gmb H", "SAs")."""
    text = mend_legal_forms(text)
    text = re.sub(r"(?<=\s)SAs$", "SAS", text)
    for form, ending in _FORM_ENDINGS:
        match = ending.search(text)
        if match and not text[: match.start()].endswith(("&", "-")):
            text = text[: match.start()].rstrip() + " " + form
            break
    text = re.sub(r"(?<=\w)&", " &", re.sub(r"&(?=\w)", "& ", text))
    return split_glued(text)


# --- all together ------------------------------------------------------------


def fields_from_lines(lines: list[Line], region: str, raw=None) -> CardFieldsJSON:
    email = find_email(lines, raw or {})
    name_line = find_name(lines, email)
    name = name_line.text if name_line else ""
    title, company = find_title_company(lines, name_line, email)
    first, last = guess_split(name) if name else ("", "")
    return {
        "name": name,
        "first_name": first,
        "last_name": last,
        "title": title,
        "company": company,
        "email": email,
        "phone": find_phone(lines, region),
        "website": find_website(lines),
        "linkedin": find_linkedin(lines),
    }


def fields_from_ocr(ocr: dict[str, Any], region: str) -> CardReading:
    """The OCR process's answer (lines per engine) → the card's fields and lines."""
    engines = ocr.get("engines") or {}
    raw = {
        name: _lines(engines.get(name) or [], name)
        for name in ("rapidocr", "tesseract")
    }
    lines = merge_engines(ocr)
    return {
        "fields": fields_from_lines(lines, region, raw),
        "lines": [line.text for line in lines],
    }


def fields_from_text(texts: list[str], region: str) -> CardFieldsJSON:
    """Fields from plain lines (no boxes): earlier lines count as taller."""
    lines = [
        Line(text, 0, i * 20, 100, max(30 - i * 2, 10), "text")
        for i, text in enumerate(texts)
    ]
    return fields_from_lines(lines, region)
