"""The OCR engines, used only inside the OCR process (server.py).

Importing this module pulls in Pillow; the engines (numpy, onnxruntime,
OpenCV) load when `Engines` is made. A web worker never imports it.

Each engine answers lines as dicts: {"text", "x", "y", "w", "h"} in pixels of
the prepared image, where "h" is the height of the text (its font size, near
enough), which is what tells a name from the rest of the card.
"""

from __future__ import annotations

import io
import shutil
import subprocess  # nosec B404  # runs Debian's tesseract, arguments fixed here
import time
from typing import Any

from PIL import Image, ImageOps

# Longest side of the picture handed to the engines: enough for small print on
# a card that fills a phone photo, small enough to stay under a second.
OCR_SIDE = 1600
# A bigger picture is refused before decoding (a "decompression bomb").
MAX_PIXELS = 60_000_000
FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
TESSERACT_LANGS = "eng+deu+fra+spa"


class BadImage(Exception):
    """The picture cannot be decoded: `.status` (413, 415, 422) and `.message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def prepare(data: bytes) -> Image.Image:
    """Decode a JPEG, PNG or WebP; turn it upright (EXIF); shrink to OCR_SIDE."""
    too_many = "The photo has too many pixels; take it at a lower size."
    try:
        opened = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise BadImage(413, too_many) from error
    except Exception as error:  # Pillow raises many kinds for bad files
        raise BadImage(415, "That file is not a picture Morrow can read.") from error
    if opened.format not in FORMATS:
        raise BadImage(415, "Send the card as a JPEG, PNG or WebP photo.")
    width, height = opened.size
    if width * height > MAX_PIXELS:
        raise BadImage(413, too_many)
    if width < 200 or height < 100:
        raise BadImage(422, "The photo is too small to read a card from.")
    try:
        if opened.format in ("JPEG", "MPO"):
            opened.draft("RGB", (OCR_SIDE, OCR_SIDE))  # decode at 1/2, 1/4... scale
        image: Image.Image = ImageOps.exif_transpose(opened) or opened
        image = image.convert("RGB")
    except Exception as error:
        raise BadImage(422, "The photo is damaged or cut short.") from error
    image.thumbnail((OCR_SIDE, OCR_SIDE), Image.Resampling.LANCZOS)
    return image


class Engines:
    """RapidOCR (loaded once) and, when installed, Debian's tesseract."""

    def __init__(self, use_tesseract: bool = True) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self.rapid = RapidOCR()
        self.tesseract = shutil.which("tesseract") if use_tesseract else None

    def read(self, data: bytes) -> dict[str, Any]:
        started = time.perf_counter()
        image = prepare(data)
        prepared = time.perf_counter()
        # tesseract runs as its own process while RapidOCR reads the same image.
        running = self._start_tesseract(image) if self.tesseract else None
        rapid = self._rapid(image)
        rapid_done = time.perf_counter()
        tess = _tesseract_lines(running) if running else None
        done = time.perf_counter()
        engines: dict[str, Any] = {"rapidocr": rapid}
        if tess is not None:
            engines["tesseract"] = tess
        return {
            "engines": engines,
            "size": list(image.size),
            "seconds": {
                "prepare": round(prepared - started, 3),
                "rapidocr": round(rapid_done - prepared, 3),
                "total": round(done - started, 3),
            },
        }

    def _rapid(self, image: Image.Image) -> list[dict[str, Any]]:
        import numpy

        pixels = numpy.asarray(image)[:, :, ::-1]  # RGB → BGR, as OpenCV reads
        result, _elapsed = self.rapid(pixels)
        lines = []
        for box, text, score in result or []:
            xs = [p[0] for p in box]
            ys = [p[1] for p in box]
            left, top = min(xs), min(ys)
            # The box's left edge is the text's height, even when tilted.
            height = (
                (box[3][0] - box[0][0]) ** 2 + (box[3][1] - box[0][1]) ** 2
            ) ** 0.5
            lines.append(
                {
                    "text": str(text),
                    "x": round(float(left)),
                    "y": round(float(top)),
                    "w": round(float(max(xs) - left)),
                    "h": round(float(height)),
                    "score": round(float(score), 3),
                }
            )
        return lines

    def _start_tesseract(self, image: Image.Image) -> subprocess.Popen:
        buffer = io.BytesIO()
        image.convert("L").save(buffer, "PPM")  # PGM: no compression to spend on
        process = subprocess.Popen(  # nosec B603  # fixed arguments, no shell
            [
                str(self.tesseract),
                "stdin",
                "stdout",
                "-l",
                TESSERACT_LANGS,
                "--psm",
                "3",
                "tsv",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
        )
        assert process.stdin is not None  # nosec B101  # set by stdin=PIPE
        process.stdin.write(buffer.getvalue())
        process.stdin.close()
        process.stdin = None  # written and closed: communicate() only reads
        return process


def _tesseract_lines(process: subprocess.Popen) -> list[dict[str, Any]] | None:
    """Collect tesseract's TSV words into lines; None when it failed."""
    try:
        out, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    if process.returncode != 0:
        return None
    return tsv_lines(out.decode("utf-8", "replace"))


def tsv_lines(tsv: str) -> list[dict[str, Any]]:
    """Group tesseract's TSV words (level 5) by block, paragraph and line."""
    grouped: dict[tuple[str, str, str], list[list[str]]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        grouped.setdefault((cols[2], cols[3], cols[4]), []).append(cols)
    lines = []
    for words in grouped.values():
        left = min(int(w[6]) for w in words)
        top = min(int(w[7]) for w in words)
        right = max(int(w[6]) + int(w[8]) for w in words)
        heights = sorted(int(w[9]) for w in words)
        lines.append(
            {
                "text": " ".join(w[11].strip() for w in words),
                "x": left,
                "y": top,
                "w": right - left,
                "h": heights[len(heights) // 2],
                "score": round(
                    sum(max(float(w[10]), 0.0) for w in words) / (100 * len(words)), 3
                ),
            }
        )
    return lines
