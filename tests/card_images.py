"""Photos of paper business cards for tests, drawn with Pillow and Debian's fonts."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONTS = Path("/usr/share/fonts/truetype/dejavu")

CARD = {
    "name": "Amara Okafor",
    "title": "Head of Research",
    "company": "Solarcoop GmbH",
    "email": "amara@solarcoop.de",
    "phone": "+49 30 1234567",
    "website": "www.solarcoop.de",
}


def _font(bold: bool, size: int):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def card_image(card: dict | None = None, width: int = 1400) -> Image.Image:
    """A white card with big, clear black text: name, title, company, reach."""
    card = {**CARD, **(card or {})}
    height = width * 55 // 85
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    x, y = width // 14, height // 9
    scale = width / 1400
    lines = [
        (card["name"], True, 84),
        (card["title"], False, 50),
        (card["company"], True, 56),
        (None, False, 40),
        (card["email"], False, 48),
        (card["phone"], False, 48),
        (card["website"], False, 48),
    ]
    for text, bold, size in lines:
        size = int(size * scale)
        if text:
            draw.text((x, y), text, fill="black", font=_font(bold, size))
        y += int(size * 1.45)
    return image


def gps_exif() -> Image.Exif:
    """EXIF naming where a photo was taken (Berlin), a camera and a rotation."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel X"  # Model
    exif[0x0112] = 6  # Orientation: turn 90° clockwise to show
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 31.0, 12.0)
    gps[3] = "E"
    gps[4] = (13.0, 24.0, 36.0)
    return exif


def jpeg(image: Image.Image, *, exif: Image.Exif | None = None, quality=90) -> bytes:
    out = io.BytesIO()
    if exif is not None:
        image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    else:
        image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def heic_like() -> bytes:
    """The first bytes of an iPhone's HEIC photo (an ISO media box, brand heic)."""
    return b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200


def phone_photo(card: dict | None = None, size=(2000, 1500), width=1500) -> Image.Image:
    """The card photographed on a table: tilted a little, a background around it."""
    photo = Image.new("RGB", size, "#cfc8b8")
    tilted = card_image(card, width).rotate(1.5, expand=True, fillcolor="#cfc8b8")
    photo.paste(tilted, ((size[0] - tilted.width) // 2, (size[1] - tilted.height) // 2))
    return photo
