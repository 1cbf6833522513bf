"""QR images: every code we draw must decode to exactly its payload's bytes."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from werkzeug.http import quote_etag

from app.formats.vcard import QR_MAX_OCTETS, compact_qr_payload
from app.qr import qr_etag, qr_png, qr_svg

CARD = SimpleNamespace(
    first_name="Zoë",
    last_name="Łukasiewicz-Ångström",
    headline="Head of Developer Relations, Europe",
    company="Ünïcode Wörks; GmbH",
    email="zoe.lukasiewicz@example.com",
    phone="+4915112345678",
    website="https://zoe.example/talks?year=2026,2027",
    linkedin="https://www.linkedin.com/in/zoe-lukasiewicz-angstrom",
    links=[],
    pitch="",
    public_fields=[],
)
# Name, phone, email and the public page fill the payload to exactly 213 octets;
# LinkedIn, company, title and website are left to the page.
LONG_PAYLOAD = compact_qr_payload(CARD, "https://m.example/c/zoe-lukasiewicz-a")

PAYLOADS = {
    "ascii": "https://morrow.example/c/jane",
    "accented": "Jürgen Müller, Łódź — café",
    "cjk": "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:山田 太郎\r\nN:山田;太郎;;;\r\n"
    "END:VCARD\r\n",
    "emoji": "Ann 🎉🚀 met at PyCon 👋",
    "vcard_213": LONG_PAYLOAD,
}


def decode(image: Image.Image) -> bytes:
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(results) == 1
    return bytes(results[0].bytes)


def rasterise_svg(svg: bytes, scale: int = 4) -> Image.Image:
    """Draw our own SVG (one run-length path) with Pillow, as a browser would."""
    text = svg.decode()
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', text).group(1))
    path = re.search(r' d="([^"]+)"', text).group(1)
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:  # a 1-unit-wide stroke centred on y
            top = (y - 0.5) * scale
            draw.rectangle(
                [x * scale, top, (x + float(a)) * scale - 1, top + scale - 1], fill=0
            )
            x += float(a)
    return image


def test_the_long_test_payload_is_a_full_213_octet_vcard() -> None:
    assert len(LONG_PAYLOAD.encode()) == QR_MAX_OCTETS == 213
    assert LONG_PAYLOAD.endswith(
        "URL:https://m.example/c/zoe-lukasiewicz-a\r\nEND:VCARD\r\n"
    )


def test_a_full_offline_payload_draws_a_version_10_code() -> None:
    size = Image.open(io.BytesIO(qr_png(LONG_PAYLOAD, scale=1))).width

    assert size == 17 + 4 * 10 + 2 * 4  # modules of version 10 plus the quiet zone


@pytest.mark.parametrize("name", PAYLOADS)
def test_png_decodes_to_exactly_the_payload_bytes(name: str) -> None:
    payload = PAYLOADS[name]

    image = Image.open(io.BytesIO(qr_png(payload)))

    assert decode(image) == payload.encode("utf-8")


@pytest.mark.parametrize("name", PAYLOADS)
def test_svg_rasterised_decodes_to_exactly_the_payload_bytes(name: str) -> None:
    payload = PAYLOADS[name]

    assert decode(rasterise_svg(qr_svg(payload))) == payload.encode("utf-8")


def test_png_has_a_white_quiet_zone_of_four_modules() -> None:
    image = Image.open(io.BytesIO(qr_png("hello", scale=3))).convert("L")

    border = [image.getpixel((x, y)) for x in range(image.width) for y in range(12)]
    assert set(border) == {255}
    assert image.getpixel((12, 12)) == 0  # the finder pattern starts right after


def test_svg_is_small_scalable_and_accessible() -> None:
    svg = qr_svg(LONG_PAYLOAD).decode()

    assert len(svg) < 8_000  # qrcode's stock SvgPathImage is several times larger
    assert svg.count("<path") == 1
    assert 'role="img"' in svg and 'shape-rendering="crispEdges"' in svg
    assert 'fill="#fff"' in svg and 'stroke="#000"' in svg
    assert "width=" not in svg.split("<rect")[0]  # scales to its container


def test_images_are_cached_per_payload() -> None:
    assert qr_svg("cache me") is qr_svg("cache me")
    assert qr_png("cache me") is qr_png("cache me")


def test_etag_is_strong_and_changes_with_payload_and_kind() -> None:
    tag = qr_etag("a", "svg")

    assert re.fullmatch(r"[A-Za-z0-9-]+", tag)  # Werkzeug adds the quotes
    assert quote_etag(tag) == f'"{tag}"'
    assert tag == qr_etag("a", "svg")
    assert len({tag, qr_etag("b", "svg"), qr_etag("a", "png")}) == 3
