"""The OCR engines, used only inside the OCR process (server.py).

Importing this module pulls in Pillow; the engines (numpy, onnxruntime,
OpenCV) load when `Engines` is made. A web worker never imports it.

Each engine answers lines as dicts: {"text", "x", "y", "w", "h"} in pixels of
the prepared image, where "h" is the height of the text (its font size, near
enough), which is what tells a name from the rest of the card.
"""

from __future__ import annotations

import ctypes
import io
import math
import re
import resource
import shutil
import subprocess  # nosec B404  # runs Debian's tesseract, arguments fixed here
import time
from typing import Any

from PIL import Image, ImageFilter, ImageOps, ImageStat

# Longest side of the picture handed to the engines: enough for small print on
# a card that fills a phone photo, small enough to stay under a second.
OCR_SIDE = 1600
# A bigger picture is refused before decoding (a "decompression bomb").
MAX_PIXELS = 60_000_000
# Pixels actually decoded: a JPEG decodes at 1/2, 1/4 or 1/8 of its size (a
# 48-megapixel photo decodes to 12), PNG and WebP at full size. A few kilobytes
# of PNG or WebP can describe 60 megapixels, which took 0.7 to 1.1 GB to decode;
# at this size the worst (WebP) takes about 200 MB.
MAX_DECODED_PIXELS = 4096 * 3072
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
            # Decode at 1/2, 1/4... scale while the longest side stays ≥ OCR_SIDE:
            # a phone's 4000 px photo costs a quarter of the memory and time.
            shrink = min(1.0, OCR_SIDE / max(width, height))
            opened.draft("RGB", (math.ceil(width * shrink), math.ceil(height * shrink)))
    except Exception as error:
        raise BadImage(422, "The photo is damaged or cut short.") from error
    width, height = opened.size  # as decoded
    if width * height > MAX_DECODED_PIXELS:
        raise BadImage(413, too_many)
    try:
        ImageOps.exif_transpose(opened, in_place=True)  # no copy when upright
        image: Image.Image = opened
        if image.mode != "RGB":
            image = image.convert("RGB")
    except Exception as error:
        raise BadImage(422, "The photo is damaged or cut short.") from error
    image.thumbnail((OCR_SIDE, OCR_SIDE), Image.Resampling.LANCZOS)
    return image


# What RapidOCR reads with: no angle classifier (a photo is upright once its
# EXIF orientation is applied), text found on a picture of at most DET_SIDE px.
DET_SIDE = 960
# Lines RapidOCR reads, the tallest: a card has a few dozen, a page of small
# print hundreds, at about 50 ms each, long enough to get the reader restarted.
MAX_LINES = 80
# Lines re-read by tesseract for their spaces and accents: the tallest lines
# of words (names, titles, companies), at most this many.
RE_READ = 8
# The language tesseract re-reads them in, from what the card shows.
_LANGUAGE_HINTS = [
    ("deu", re.compile(r"\+49|\+43|\+41|\.de\b|\.at\b|GmbH|\bAG\b|\beG\b|\bKG\b")),
    ("fra", re.compile(r"\+33|\+32|\.fr\b|\bSARL\b|\bSAS\b|T[ée]l\.|Port\.")),
    ("spa", re.compile(r"\+34|\+52|\+54|\.es\b|\bSL\b|M[óo]vil|Tel[ée]fono")),
]
_REGION_LANGUAGES = {
    "DE": "deu", "AT": "deu", "CH": "deu", "FR": "fra", "BE": "fra", "LU": "fra",
    "ES": "spa", "MX": "spa", "AR": "spa", "CO": "spa", "CL": "spa", "PE": "spa",
}  # fmt: skip


def _less_memory_sessions() -> None:
    """ONNX Runtime keeps a memory plan per input shape; card lines vary, so don't."""
    from rapidocr_onnxruntime.utils import infer_engine

    original = infer_engine.OrtInferSession._init_sess_opts
    if getattr(original, "morrow", False):
        return

    def options(config):
        opts = original(config)
        opts.enable_mem_pattern = False
        # Threads wait without spinning: the CPU is shared with the web workers.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
        return opts

    options.morrow = True  # type: ignore[attr-defined]
    infer_engine.OrtInferSession._init_sess_opts = staticmethod(options)


def _give_back_memory() -> None:
    """Return freed heap to the system after a card (glibc keeps it otherwise)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc
        pass


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def guess_language(texts: list[str], region: str) -> str:
    """tesseract's language for a card: phone codes, domains, legal forms, region."""
    joined = "\n".join(texts)
    scores = {lang: len(pattern.findall(joined)) for lang, pattern in _LANGUAGE_HINTS}
    best = max(scores, key=lambda lang: scores[lang])
    if scores[best]:
        return best
    return _REGION_LANGUAGES.get(region.upper(), "eng")


class Engines:
    """RapidOCR (loaded once) and, when installed, Debian's tesseract."""

    def __init__(self, use_tesseract: bool = True) -> None:
        _less_memory_sessions()
        from rapidocr_onnxruntime import RapidOCR

        self.rapid = RapidOCR(
            use_cls=False, det_limit_type="max", det_limit_side_len=DET_SIDE
        )
        self.rapid.auto_text_det = _tallest(self.rapid.auto_text_det)
        self.tesseract = shutil.which("tesseract") if use_tesseract else None

    def read(self, data: bytes, region: str = "", page: bool = False) -> dict[str, Any]:
        """Every engine's lines for one photo, and the seconds each step took.

        RapidOCR finds and reads the lines; tesseract re-reads the tallest lines
        of words in the card's language ("re-read"), and with `page` reads the
        whole photo too (only to compare the engines; see bench/card_reading.py).
        """
        started = time.perf_counter()
        cpu_started = _cpu_seconds()
        image = prepare(data)
        prepared = time.perf_counter()
        running = self._run_tesseract(image, "3", TESSERACT_LANGS) if page else None
        rapid = self._rapid(image)
        rapid_done = time.perf_counter()
        engines: dict[str, Any] = {"rapidocr": rapid}
        if self.tesseract:
            language = guess_language([line["text"] for line in rapid], region)
            engines["re-read"] = self._re_read(image, rapid, language)
            engines["language"] = language
        if running is not None:
            engines["tesseract"] = _tesseract_lines(running)
        done = time.perf_counter()
        _give_back_memory()
        return {
            "engines": engines,
            "size": list(image.size),
            "seconds": {
                "prepare": round(prepared - started, 3),
                "rapidocr": round(rapid_done - prepared, 3),
                "total": round(done - started, 3),
                # CPU time of this process and tesseract: the cost, whatever
                # else the machine is doing.
                "cpu": round(_cpu_seconds() - cpu_started, 3),
            },
        }

    def _re_read(
        self, image: Image.Image, lines: list[dict[str, Any]], language: str
    ) -> dict[str, str]:
        """tesseract's reading of the chosen lines, by index into `lines`."""
        picks = sorted(
            (i for i, line in enumerate(lines) if _worth_re_reading(line["text"])),
            key=lambda i: -lines[i]["h"],
        )[:RE_READ]
        if not picks:
            return {}
        strip, bands = _stack(image, [lines[i] for i in picks])
        process = self._run_tesseract(strip, "6", language)
        words = _tesseract_words(process)
        texts: dict[str, list[tuple[int, str]]] = {}
        for left, top, height, text in words:
            middle = top + height / 2
            for index, (band_top, band_bottom) in zip(picks, bands, strict=True):
                if band_top <= middle < band_bottom:
                    texts.setdefault(str(index), []).append((left, text))
        return {
            index: " ".join(text for _, text in sorted(found))
            for index, found in texts.items()
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

    def _run_tesseract(
        self, image: Image.Image, psm: str, language: str
    ) -> subprocess.Popen:
        buffer = io.BytesIO()
        image.convert("L").save(buffer, "PPM")  # PGM: no compression to spend on
        process = subprocess.Popen(  # nosec B603  # fixed arguments, no shell
            [
                str(self.tesseract),
                "stdin",
                "stdout",
                "-l",
                language,
                "--psm",
                psm,
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


def _tallest(detect):
    """RapidOCR's text detection, keeping the MAX_LINES tallest boxes, in order."""

    def detect_some(img):
        boxes, elapsed = detect(img)
        if boxes is not None and len(boxes) > MAX_LINES:
            heights = [float(((b[3] - b[0]) ** 2).sum()) for b in boxes]
            tallest = sorted(range(len(boxes)), key=lambda i: -heights[i])
            boxes = [boxes[i] for i in sorted(tallest[:MAX_LINES])]
        return boxes, elapsed

    return detect_some


def _worth_re_reading(text: str) -> bool:
    """A line of words (a name, a title, a company), not an address or a number."""
    digits = sum(ch.isdigit() for ch in text)
    lower = text.lower()
    return (
        digits < 3
        and "@" not in text
        and not lower.startswith(("www", "http", "linkedin"))
        and sum(ch.isalpha() for ch in text) >= 3
    )


# Height of a line's letters in the strip tesseract re-reads: about its best size.
_STRIP_LINE = 44


def _stack(
    image: Image.Image, lines: list[dict[str, Any]]
) -> tuple[Image.Image, list[tuple[int, int]]]:
    """The lines cut out, dark on light, one under the other; each one's band."""
    crops = []
    for line in lines:
        pad = max(4, line["h"] * 0.25)
        box = (
            max(0, line["x"] - pad),
            max(0, line["y"] - pad),
            min(image.width, line["x"] + line["w"] + pad),
            min(image.height, line["y"] + line["h"] + pad),
        )
        crop = image.crop(box).convert("L")
        scale = _STRIP_LINE / max(line["h"], 1)
        crop = crop.resize(
            (max(1, round(crop.width * scale)), max(1, round(crop.height * scale))),
            Image.Resampling.LANCZOS,
        )
        if ImageStat.Stat(crop).mean[0] < 128:  # light text on a dark card
            crop = ImageOps.invert(crop)
        crops.append(ImageOps.autocontrast(_even_light(crop), cutoff=1))
    gap = _STRIP_LINE
    width = max(crop.width for crop in crops) + 2 * gap
    height = sum(crop.height for crop in crops) + gap * (len(crops) + 1)
    strip = Image.new("L", (width, height), 255)
    bands = []
    y = gap
    for crop in crops:
        strip.paste(crop, (gap, y))
        bands.append((y - gap // 2, y + crop.height + gap // 2))
        y += crop.height + gap
    return strip, bands


def _even_light(crop: Image.Image) -> Image.Image:
    """The paper made evenly light: a shadow across a line no longer hides it.

    The paper's brightness around each point (the lightest pixels nearby,
    smoothed) divides the crop, so dark letters stay dark in shade and in light.
    """
    import numpy

    small = crop.resize(
        (max(1, crop.width // 4), max(1, crop.height // 4)),
        Image.Resampling.BILINEAR,
    )
    paper = (
        small.filter(ImageFilter.MaxFilter(5))
        .filter(ImageFilter.GaussianBlur(2))
        .resize(crop.size, Image.Resampling.BILINEAR)
    )
    ink = numpy.asarray(crop, dtype=numpy.float32)
    light = numpy.maximum(numpy.asarray(paper, dtype=numpy.float32), 1)
    return Image.fromarray(numpy.clip(ink / light * 255, 0, 255).astype(numpy.uint8))


def _tesseract_words(process: subprocess.Popen) -> list[tuple[int, int, int, str]]:
    """(left, top, height, text) of each word tesseract read; [] when it failed."""
    try:
        out, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return []
    words = []
    for row in out.decode("utf-8", "replace").splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) >= 12 and cols[0] == "5" and cols[11].strip():
            words.append((int(cols[6]), int(cols[7]), int(cols[9]), cols[11].strip()))
    return words


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
