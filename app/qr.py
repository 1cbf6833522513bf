"""QR codes as small SVG and PNG images, drawn once per payload."""

from __future__ import annotations

import functools
import hashlib
import io

import qrcode
import qrcode.constants
from qrcode.image.pure import PyPNGImage

# Bump when the drawing changes, so cached images and ETags renew.
QR_VERSION = "1"
QUIET_ZONE = 4


def _matrix(text: str) -> list[list[bool]]:
    """Return the module matrix, quiet zone included (error level M, UTF-8)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=1,
        border=QUIET_ZONE,
    )
    # qrcode encodes str as UTF-8 bytes without an ECI marker, as phones expect.
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def svg_path_data(matrix: list[list[bool]]) -> str:
    """Draw each row's dark runs as 1-unit-wide horizontal strokes."""
    parts: list[str] = []
    for y, row in enumerate(matrix):
        x, width = 0, len(row)
        pen_x = None  # where the pen stands on this row, for relative moves
        while x < width:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < width and row[x]:
                x += 1
            if pen_x is None:
                parts.append(f"M{start} {y}.5h{x - start}")
            else:
                parts.append(f"m{start - pen_x} 0h{x - start}")
            pen_x = x
    return "".join(parts)


@functools.lru_cache(maxsize=256)
def qr_svg(text: str) -> bytes:
    """Return the QR code of `text` as a scalable SVG: one path on white."""
    matrix = _matrix(text)
    size = len(matrix)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {size} {size}" role="img" shape-rendering="crispEdges">'
        '<rect width="100%" height="100%" fill="#fff"/>'
        f'<path stroke="#000" d="{svg_path_data(matrix)}"/></svg>'
    ).encode("ascii")


@functools.lru_cache(maxsize=256)
def qr_png(text: str, scale: int = 10) -> bytes:
    """Return the QR code of `text` as a black-on-white PNG (pure Python)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=max(1, min(int(scale), 40)),
        border=QUIET_ZONE,
        image_factory=PyPNGImage,
    )
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


def qr_etag(text: str, kind: str) -> str:
    """Return a strong ETag for the image of `text` in format `kind`.

    Unquoted, as Werkzeug's `response.set_etag` and `request.if_none_match` want.
    """
    digest = hashlib.sha256(f"{QR_VERSION}\0{kind}\0{text}".encode()).hexdigest()
    return f"qr-{digest[:32]}"
