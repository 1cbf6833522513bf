"""Synthetic photos of paper business cards with known fields, for card reading.

`card_set()` describes CARD_COUNT cards, each from its own fixed seed: German,
French, Spanish and English people and companies (names with accents, legal
forms), titles, phones in national and international formats behind labels
("T", "Tel.", "Mobile:", a "Fax" that must not win), e-mails, web sites and some
LinkedIn addresses, in four layouts (left, centred, two columns, company on
top) on light and dark cards; some set the name in two lines ("Amara" over
"Okafor"). `photo(card)` draws it with the fonts Debian ships (fonts-dejavu-core,
fonts-liberation) and makes it look like a phone's photo: a table around it, a
few degrees of rotation, a slight perspective, uneven light, blur, noise and JPEG
compression, 1000–1600 px. Each card's `look` makes some photos harder, as phones
take them: "big" (3000–4000 px, as a phone's camera saves them), "perspective"
(taken at a slant), "shadow" (a hand's or phone's shadow over part of the card),
"grey" (light grey print on white) and "soft" (slightly out of focus).
`cached_photos()` keeps the JPEGs in a cache directory, so nothing binary is
committed.

    python -m tests.card_photos /tmp/cards   # writes the photos to look at
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import sys
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

import phonenumbers
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

CARD_COUNT = 48
VERSION = 3  # seeds the cards' contents (the cache is keyed on this file's text)
# How each card is photographed, by seed: plain photos and harder ones.
LOOKS = ["plain", "plain", "big", "perspective", "shadow", "grey", "soft", "big"]

DEJAVU = "/usr/share/fonts/truetype/dejavu/"
LIBERATION = "/usr/share/fonts/truetype/liberation/"
FONTS = [  # (regular, bold)
    (DEJAVU + "DejaVuSans.ttf", DEJAVU + "DejaVuSans-Bold.ttf"),
    (DEJAVU + "DejaVuSerif.ttf", DEJAVU + "DejaVuSerif-Bold.ttf"),
    (DEJAVU + "DejaVuSansCondensed.ttf", DEJAVU + "DejaVuSansCondensed-Bold.ttf"),
    (LIBERATION + "LiberationSans-Regular.ttf", LIBERATION + "LiberationSans-Bold.ttf"),
    (
        LIBERATION + "LiberationSerif-Regular.ttf",
        LIBERATION + "LiberationSerif-Bold.ttf",
    ),
    (
        LIBERATION + "LiberationSansNarrow-Regular.ttf",
        LIBERATION + "LiberationSansNarrow-Bold.ttf",
    ),
]
MISSING_FONTS = [path for pair in FONTS for path in pair if not os.path.exists(path)]

FIRST = {
    "DE": ["Jonas", "Hans-Jürgen", "Jörg", "Katharina", "Lukas", "Günter", "Sophie",
           "Tobias", "Björn", "Zoë", "Jürgen", "Anja"],
    "FR": ["Chloé", "Léa", "François", "Émile", "Noémie", "Hélène", "Jérôme",
           "Amélie", "Agnès", "Renée", "Thibault", "Céline"],
    "ES": ["María", "José", "Núria", "Lucía", "Inés", "Álvaro", "Begoña", "Raúl",
           "Mónica", "Sergio", "Pablo", "Íñigo"],
    "GB": ["Olivia", "James", "Emily", "Oliver", "Priya", "Daniel", "Grace",
           "Thomas", "Chidi", "Hannah", "Liam", "Sarah"],
    "US": ["Emma", "Michael", "Ava", "Ethan", "Isabella", "Noah", "Madison",
           "Lucas", "Chloe", "Aiden", "Zoe", "Ryan"],
}  # fmt: skip
LAST = {
    "DE": ["Weber", "Böhm", "Müller", "Schäfer", "Köhler", "Groß", "Brandt",
           "Fischer", "Zimmermann", "Krüger", "Hoffmann", "Wagner"],
    "FR": ["Martin", "Lefèvre", "Dubois", "Moreau", "Girard", "Rousseau",
           "Lambert", "Chevalier", "Fontaine", "Mercier", "Bérard", "Faure"],
    "ES": ["Núñez", "García", "Fernández", "Jiménez", "López", "Martínez",
           "Ortega", "Castaño", "Peña", "Ibáñez", "Romero", "Sánchez"],
    "GB": ["Smith", "Taylor", "Walker", "Hughes", "Bennett", "Okafor", "Patel",
           "Wright", "Evans", "Clarke", "Turner", "Hall"],
    "US": ["Johnson", "Williams", "Brown", "Miller", "Davis", "Wilson",
           "Anderson", "Moore", "Jackson", "Harris", "Thompson", "Garcia"],
}  # fmt: skip
COMPANIES = {
    "DE": ["Wärmepumpe Nord GmbH", "Brandt & Söhne KG", "Volksbank Allgäu eG",
           "Rheinlicht Software GmbH", "Kessler Logistik AG", "Energiegenossenschaft Hessen eG",
           "Holzbau Lindner KG", "Datenwerk Berlin GmbH"],
    "FR": ["Atelier Lumière SARL", "Nuage Conseil SAS", "Boulangerie Moreau SARL",
           "Lyon Données SA", "Vignobles Girard SAS", "Numérique Ouest SARL"],
    "ES": ["Soluciones Abiertas SL", "Cervecería del Puerto SL", "Grupo Ibérica SA",
           "Datos Claros SL", "Energía Verde Andalucía SL", "Talleres Núñez SA"],
    "GB": ["Harbour Analytics Ltd", "Bramble & Oak Ltd", "Kestrel Engineering Ltd",
           "Thames Digital Ltd"],
    "US": ["Northwind Labs Inc.", "Greenfield Robotics LLC", "Blue Mesa Software Inc.",
           "Cedar Health Inc."],
}  # fmt: skip
TITLES = {
    "DE": ["Geschäftsführerin", "Leiter Vertrieb", "Softwareentwickler",
           "Projektleiterin", "Senior Data Engineer", "Technischer Berater"],
    "FR": ["Directrice technique", "Chef de projet", "Responsable marketing",
           "Ingénieure logiciel", "Fondateur", "Consultant senior"],
    "ES": ["Directora comercial", "Jefe de proyecto", "Ingeniero de software",
           "Responsable de ventas", "Fundadora", "Analista de datos"],
    "GB": ["Head of Product", "Developer Advocate", "Sales Director",
           "ML Engineer", "Operations Manager", "Senior Consultant"],
    "US": ["Chief Executive Officer", "Product Designer", "VP Engineering",
           "Account Manager", "Data Scientist", "Co-Founder"],
}  # fmt: skip
LABELS = {
    "DE": (["T", "Tel.", "Telefon:", "Tel:"], ["M", "Mobil:", "Handy", "Mobile:"]),
    "FR": (["T", "Tél.", "Tél. :", "Tel."], ["M", "Mobile :", "Port.", "Mobile:"]),
    "ES": (["T", "Tel.", "Teléfono:", "Tlf."], ["M", "Móvil:", "Móvil", "Mobile:"]),
    "GB": (["T", "Tel:", "Phone:", "Office"], ["M", "Mobile:", "Mob:", "Mobile"]),
    "US": (["T", "Tel:", "Phone:", "Office"], ["M", "Mobile:", "Cell:", "C"]),
}
LAYOUTS = ["left", "centred", "two-column", "company-top"]
LIGHT = [((250, 250, 247), (30, 30, 30)), ((255, 253, 240), (20, 40, 70)),
         ((236, 238, 240), (25, 25, 25)), ((255, 255, 255), (60, 40, 30))]  # fmt: skip
DARK = [((20, 33, 61), (245, 245, 245)), ((35, 35, 38), (235, 230, 215)),
        ((16, 60, 48), (250, 250, 250))]  # fmt: skip
ACCENTS = [(200, 70, 40), (30, 110, 170), (120, 60, 150), (0, 130, 100)]
TABLES = [(120, 86, 60), (170, 140, 105), (70, 70, 75), (190, 185, 175), (95, 60, 40)]


@dataclass
class Card:
    seed: int
    country: str  # the card's country; national numbers are read in it
    region: str  # the owner's region read_card is given
    layout: str
    dark: bool
    look: str  # one of LOOKS
    name: str
    title: str
    company: str
    email: str
    phone: str  # E.164: the number a reader should choose
    website: str
    linkedin: str
    lines: list[tuple[str, str]]  # (role, text) as printed


def ascii_slug(text: str, sep: str = "") -> str:
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = (
        text.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue").replace("ß", "ss")
    )
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    words = ["".join(ch for ch in w if ch.isalnum()) for w in plain.split()]
    return sep.join(w for w in words if w)


def _number(rng: random.Random, region: str, mobile: bool) -> phonenumbers.PhoneNumber:
    kind = (
        phonenumbers.PhoneNumberType.MOBILE
        if mobile
        else (phonenumbers.PhoneNumberType.FIXED_LINE)
    )
    example = phonenumbers.example_number_for_type(region, kind)
    national = str(example.national_number)
    for _ in range(200):
        tail = "".join(rng.choice("0123456789") for _ in range(4))
        candidate = phonenumbers.parse(
            f"+{example.country_code}{national[:-4]}{tail}", None
        )
        if phonenumbers.is_valid_number(candidate):
            return candidate
    return example


def _printed(rng: random.Random, number: phonenumbers.PhoneNumber) -> str:
    fmt = phonenumbers.PhoneNumberFormat
    style = rng.choice(["international", "national", "international", "e164", "dotted"])
    if style == "national":
        return phonenumbers.format_number(number, fmt.NATIONAL)
    if style == "e164":
        return phonenumbers.format_number(number, fmt.E164)
    text = phonenumbers.format_number(number, fmt.INTERNATIONAL)
    if style == "dotted" and number.country_code == 33:
        return text.replace(" ", ".").replace("+33.", "+33 ")
    if style == "dotted" and number.country_code == 49:
        cc, area, rest = text.split(" ", 2)
        return f"{cc} ({'0'}){area} {rest}"
    return text


def make_card(seed: int) -> Card:
    rng = random.Random(seed * 7919 + VERSION)
    country = ["DE", "FR", "ES", "GB", "US"][seed % 5]
    first = rng.choice(FIRST[country])
    last = rng.choice(LAST[country])
    name = f"{first} {last}"
    company = rng.choice(COMPANIES[country])
    title = rng.choice(TITLES[country])
    words = [w for w in company.split() if w not in {"&", "GmbH", "KG", "eG", "AG",
             "SARL", "SAS", "SA", "SL", "Ltd", "Inc.", "LLC", "del"}]  # fmt: skip
    domain_word = ascii_slug(" ".join(words[:2]), rng.choice(["", "-"]))
    tld = {"DE": "de", "FR": "fr", "ES": "es", "GB": "co.uk", "US": "com"}[country]
    if rng.random() < 0.2:
        tld = "com"
    domain = f"{domain_word}.{tld}"
    f_slug, l_slug = ascii_slug(first, "-"), ascii_slug(last, "-")
    local = rng.choice([f"{f_slug}.{l_slug}", f"{f_slug[0]}.{l_slug}", f_slug,
                        f"{f_slug}{l_slug}", f"{f_slug}.{l_slug}"])  # fmt: skip
    email = f"{local}@{domain}"
    # Owners mostly live where the card comes from; some read a foreign card.
    region = country if rng.random() < 0.75 else rng.choice(["DE", "FR", "GB", "US"])
    mobile = _number(rng, country, True)
    landline = _number(rng, country, False)
    fixed_labels, mobile_labels = LABELS[country]
    phones: list[tuple[str, str]] = []
    which = rng.choice(["mobile", "landline", "both", "landline+fax", "mobile+fax"])
    if region != country and which in ("landline",):
        which = "both"
    chosen = mobile if "mobile" in which or which == "both" else landline
    if "landline" in which or which == "both":
        phones.append(
            ("phone", f"{rng.choice(fixed_labels)} {_printed(rng, landline)}")
        )
    if "mobile" in which or which == "both":
        phones.append(("phone", f"{rng.choice(mobile_labels)} {_printed(rng, mobile)}"))
    if "fax" in which:
        fax = _number(rng, country, False)
        phones.insert(
            0, ("fax", f"{rng.choice(['Fax', 'F', 'Fax:'])} {_printed(rng, fax)}")
        )
    if region != country:  # a card read abroad carries its country code
        phones = [(role, _with_country(text, country)) for role, text in phones]
    website = f"www.{domain}" if rng.random() < 0.75 else ""
    linkedin = f"linkedin.com/in/{f_slug}-{l_slug}" if rng.random() < 0.35 else ""
    email_label = rng.choice(["", "", "E-Mail: ", "E ", "Mail: ", "email: "])
    # Some cards set the name in two lines: first name over surname.
    names = [("name", first), ("name", last)] if seed % 6 == 4 else [("name", name)]
    lines = names + [("title", title), ("company", company)]
    lines += phones
    lines.append(("email", email_label + email))
    if website:
        lines.append(("website", website))
    if linkedin:
        lines.append(("linkedin", linkedin))
    return Card(
        seed=seed,
        country=country,
        region=region,
        layout=LAYOUTS[(seed // 5 + seed) % len(LAYOUTS)],
        dark=seed % 3 == 2 and LOOKS[seed % len(LOOKS)] != "grey",
        look=LOOKS[seed % len(LOOKS)],
        name=name,
        title=title,
        company=company,
        email=email,
        phone=phonenumbers.format_number(chosen, phonenumbers.PhoneNumberFormat.E164),
        website=f"https://www.{domain}" if website else "",
        linkedin=f"https://www.linkedin.com/in/{f_slug}-{l_slug}" if linkedin else "",
        lines=lines,
    )


def card_set() -> list[Card]:
    return [make_card(seed) for seed in range(CARD_COUNT)]


def _with_country(text: str, country: str) -> str:
    """A national number printed on a card read abroad gets its country code."""
    for match in phonenumbers.PhoneNumberMatcher(text, country):
        if text[match.start :].startswith("+"):
            return text
        printed = phonenumbers.format_number(
            match.number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        return text[: match.start] + printed + text[match.end :]
    return text


# --- drawing -------------------------------------------------------------------


def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def draw_card(card: Card) -> Image.Image:
    """The card itself, flat, at 1050 × 600 px (3.5 × 2 inches at 300 dpi)."""
    rng = random.Random(card.seed * 31 + VERSION)
    width, height = 1050, 600
    paper, ink = rng.choice(DARK if card.dark else LIGHT)
    accent = rng.choice(ACCENTS) if not card.dark else ink
    if card.look == "grey":  # low contrast: light grey print on white
        paper, ink, accent = (255, 255, 255), (150, 150, 150), (165, 165, 165)
    regular, bold = rng.choice(FONTS)
    image = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    name_size = rng.randint(54, 66)
    small = rng.randint(27, 31)
    fonts = {
        "name": _font(bold, name_size),
        "title": _font(regular, small + 3),
        "company": _font(bold, small + 5),
        "detail": _font(regular, small),
    }
    if card.layout == "company-top":
        fonts["company"] = _font(bold, name_size - 10)
        fonts["name"] = _font(bold, name_size - 14)
    head = [
        (role, text)
        for role, text in card.lines
        if role in {"name", "title", "company"}
    ]
    if card.layout == "company-top":
        head = [item for item in head if item[0] == "company"] + [
            item for item in head if item[0] != "company"
        ]
    details = [
        (role, text)
        for role, text in card.lines
        if role not in {"name", "title", "company"}
    ]

    def font_of(role: str) -> ImageFont.FreeTypeFont:
        return fonts.get(role, fonts["detail"])

    def colour(role: str):
        return accent if role == "company" else ink

    def step(role: str, following: str = "") -> int:
        """Line advance: a name set in two lines keeps its halves close."""
        leading = 1.15 if role == following == "name" else 1.45
        return int(font_of(role).size * leading)

    def block_height(items) -> int:
        roles = [r for r, _ in items]
        return sum(step(r, n) for r, n in zip(roles, roles[1:] + [""], strict=True))

    margin = 70
    if card.layout == "two-column":
        y = (height - block_height(head)) // 2

        def fit(text: str, font: ImageFont.FreeTypeFont, room: float):
            """The font, smaller if needed so the columns never run together."""
            length = draw.textlength(text, font=font)
            if length <= room:
                return font
            return _font(str(font.path), int(font.size * room / length))

        for n, (role, text) in enumerate(head):
            font = fit(text, font_of(role), width * 0.5 - margin)
            draw.text((margin, y), text, font=font, fill=colour(role))
            y += step(role, head[n + 1][0] if n + 1 < len(head) else "")
        x_right = width - margin
        y = (height - block_height(details)) // 2
        draw.line(
            [(width * 0.52, 90), (width * 0.52, height - 90)], fill=accent, width=3
        )
        for role, text in details:
            font = fit(text, font_of(role), width * 0.46 - margin)
            w = draw.textlength(text, font=font)
            draw.text((x_right - w, y), text, font=font, fill=colour(role))
            y += int(font.size * 1.45)
        return image
    items = head + [("gap", "")] + details
    total = block_height([i for i in items if i[0] != "gap"]) + 30
    y = max(40, (height - total) // 2)
    for n, (role, text) in enumerate(items):
        if role == "gap":
            y += 30
            continue
        font = font_of(role)
        if card.layout == "centred":
            x = (width - draw.textlength(text, font=font)) / 2
        else:
            x = margin
        draw.text((x, y), text, font=font, fill=colour(role))
        y += step(role, items[n + 1][0] if n + 1 < len(items) else "")
    if card.layout == "left":
        draw.rectangle([0, 0, 18, height], fill=accent)
    return image


def _table(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A table top: a colour, grain stretched along one direction, and noise."""
    base = Image.new("RGB", size, rng.choice(TABLES))
    grain = Image.effect_noise((size[0] // 8, size[1] // 64 + 1), 60).resize(size)
    grain = grain.filter(ImageFilter.GaussianBlur(2)).convert("RGB")
    return Image.blend(base, grain, 0.18)


def photograph(card_image: Image.Image, seed: int, look: str = "plain") -> bytes:
    """A phone's photo of the card: table, rotation, skew, light, blur, noise, JPEG.

    `look` makes it harder (see LOOKS); its draws come from a second generator,
    so a plain photo stays the same whatever the harder ones do.
    """
    rng = random.Random(seed * 104729 + VERSION)
    hard = random.Random(seed * 7877 + 5)
    long_side = rng.randint(1000, 1600)
    if look == "big":
        long_side = hard.randint(3000, 4000)
    zoom = long_side / 1300  # blur and shadows grow with the photo
    size = (long_side, int(long_side * rng.uniform(0.68, 0.78)))
    photo = _table(rng, size)
    scale = size[0] * rng.uniform(0.72, 0.86) / card_image.width
    card = card_image.resize(
        (int(card_image.width * scale), int(card_image.height * scale)),
        Image.Resampling.LANCZOS,
    )
    # A slight perspective: one side of the card a little shorter than the other.
    w, h = card.size
    squeeze = rng.uniform(0, 0.04) * h
    quad = (
        (0, -squeeze, 0, h + squeeze, w, h, w, 0)
        if rng.random() < 0.5
        else (0, 0, 0, h, w, h + squeeze, w, -squeeze)
    )
    if look == "perspective":  # taken at a slant: far edge shorter, sides too
        squeeze = hard.uniform(0.06, 0.1) * h
        keystone = hard.uniform(0.08, 0.14) * w
        quad = (
            (-keystone, -squeeze, 0, h + squeeze, w, h, w + keystone, 0)
            if hard.random() < 0.5
            else (0, 0, -keystone, h + squeeze, w + keystone, h, w, -squeeze)
        )
    card = card.transform(
        (w, h), Image.Transform.QUAD, quad, Image.Resampling.BICUBIC, fillcolor=None
    )
    mask = Image.new("L", card.size, 255).transform(
        (w, h), Image.Transform.QUAD, quad, Image.Resampling.BICUBIC
    )
    angle = rng.uniform(-4, 4)
    card = card.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    mask = mask.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    x = (size[0] - card.width) // 2 + rng.randint(-30, 30)
    y = (size[1] - card.height) // 2 + rng.randint(-20, 20)
    shadow = Image.new("RGB", card.size, (0, 0, 0))
    photo.paste(
        shadow,
        (x + 8, y + 10),
        mask.filter(ImageFilter.GaussianBlur(10)).point(lambda v: v * 0.45),
    )
    photo.paste(card, (x, y), mask)
    # Uneven light: darker towards one corner.
    turn = rng.choice([0, 90, 180, 270])
    light = Image.linear_gradient("L").rotate(turn).resize(size)
    dim = Image.new("RGB", size, (0, 0, 0))
    photo = Image.composite(photo, dim, light.point(lambda v: 255 - v * 0.25))
    if look == "shadow":
        photo = _cast_shadow(photo, hard)
    photo = ImageEnhance.Contrast(photo).enhance(rng.uniform(0.85, 1.0))
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.2) * zoom))
    if look == "soft":  # out of focus
        photo = photo.filter(ImageFilter.GaussianBlur(hard.uniform(1.8, 2.3)))
    noise = Image.effect_noise(size, rng.uniform(8, 16)).convert("RGB")
    photo = Image.blend(photo, noise, 0.06)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=rng.randint(62, 85))
    return out.getvalue()


def _cast_shadow(photo: Image.Image, rng: random.Random) -> Image.Image:
    """A soft-edged shadow (a hand, the phone) over one side of the card."""
    width, height = photo.size
    shade = Image.new("L", photo.size, 0)
    reach = rng.uniform(0.3, 0.45)
    if rng.random() < 0.5:  # from the left edge, slanted
        top, bottom = width * reach, width * (reach + rng.uniform(-0.15, 0.15))
        corners = [(0, 0), (top, 0), (bottom, height), (0, height)]
    else:  # from the bottom edge
        left, right = height * (1 - reach), height * (1 - reach - rng.uniform(0, 0.2))
        corners = [(0, left), (width, right), (width, height), (0, height)]
    ImageDraw.Draw(shade).polygon(corners, fill=255)
    shade = shade.filter(ImageFilter.GaussianBlur(width * 0.02))
    darkness = rng.uniform(0.4, 0.55)
    dark = Image.new("RGB", photo.size, (0, 0, 0))
    return Image.composite(dark, photo, shade.point(lambda v: v * darkness))


def photo(card: Card) -> bytes:
    return photograph(draw_card(card), card.seed, card.look)


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:10]
    return base / "morrow" / f"card-photos-{digest}"


def cached_photos() -> list[tuple[Card, bytes]]:
    """Every card with its photo; drawn once, then read from the cache."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    result = []
    for card in card_set():
        path = folder / f"card-{card.seed:02d}.jpg"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(photo(card))
            tmp.replace(path)
        result.append((card, path.read_bytes()))
    return result


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/card-photos")
    target.mkdir(parents=True, exist_ok=True)
    for card, data in cached_photos():
        (target / f"card-{card.seed:02d}.jpg").write_bytes(data)
        (target / f"card-{card.seed:02d}.json").write_text(
            json.dumps(asdict(card), ensure_ascii=False, indent=1)
        )
    print(f"{CARD_COUNT} photos in {target}")
