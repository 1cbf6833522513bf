"""Card reading: a photo of a paper business card becomes contact fields.

The photo is read on the owner's own server and nothing is saved. The OCR
engines (and numpy, onnxruntime, OpenCV, Pillow) live in one OCR process of
their own (`server.py`), started on first use and shared by the web workers
through a Unix socket (`client.py`), so a web worker stays small. This module
only checks what kind of file it was given, hands it over, and turns the lines
that come back into fields (`fields.py`, pure Python).
"""

from __future__ import annotations

from ..errors import DomainError
from ..shapes import CardReading

# The largest photo accepted, in bytes (the scanning endpoint may set its own).
MAX_IMAGE_BYTES = 10 * 1024 * 1024

HEIC_MESSAGE = (
    "This photo is in the HEIC format, which Morrow cannot read. Choose JPEG, or "
    'on an iPhone set Settings → Camera → Formats to "Most Compatible", and take '
    "the photo again."
)
NOT_AN_IMAGE = "That file is not a photo. Send a JPEG, PNG or WebP picture of the card."

# Brands of the ISO base media file format that mean HEIF/HEIC/AVIF pictures.
_HEIF_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"hevx",
    b"heim",
    b"heis",
    b"mif1",
    b"msf1",
    b"avif",
    b"avis",
}


class CardImageError(DomainError):
    """The photo cannot be read: `.status` (413, 415, 422 or 503), `.message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message, {"image": message})
        self.status = status
        self.code = {
            413: "too_large",
            415: "unsupported_media_type",
            422: "unprocessable",
            503: "busy",
        }.get(status, "bad_request")


def image_kind(image: bytes) -> str:
    """Name the picture format from its first bytes: jpeg, png, webp, heif or ""."""
    head = image[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and (
        head[8:12] in _HEIF_BRANDS
        or any(head[i : i + 4] in _HEIF_BRANDS for i in range(16, 32, 4))
    ):
        return "heif"
    return ""


def check_image(image: bytes, limit: int = MAX_IMAGE_BYTES) -> str:
    """Refuse what is no JPEG, PNG or WebP photo (CardImageError); return its kind."""
    if len(image) > limit:
        raise CardImageError(
            413,
            f"The photo is larger than {limit // (1024 * 1024) or 1} MB. "
            "Take it again at a lower resolution.",
        )
    if not image:
        raise CardImageError(422, "The photo is empty.")
    kind = image_kind(image)
    if kind == "heif":
        raise CardImageError(415, HEIC_MESSAGE)
    if not kind:
        raise CardImageError(415, NOT_AN_IMAGE)
    return kind


def read_card(
    image: bytes, region: str, *, limit: int = MAX_IMAGE_BYTES
) -> CardReading:
    """Read the photo of a paper card into fields; phone in E.164 for `region`.

    Raises CardImageError: 413 over `limit`, 415 for a HEIC or non-image file,
    422 for a picture that cannot be decoded, 503 when the OCR process is busy,
    crashed or hung (it is restarted; the caller may try again). Nothing is saved.
    """
    from . import client
    from .fields import fields_from_ocr

    check_image(image, limit)
    ocr = client.recognise(image, region)
    return fields_from_ocr(ocr, region)
