"""Reading paper cards: accuracy per field, seconds per card, memory.

    python -m bench.card_reading            # the synthetic photos, as Morrow reads them
    python -m bench.card_reading --compare  # also each engine alone (slower)

A process set up like a web worker (it creates the app, then reads each photo
as the scanning endpoint does) reads the photos of tests/card_photos.py through
a fresh OCR process. It reports how many of each field came out exactly right
(names with their accents; "name, accents aside" compares letters only), the
median and 95th percentile seconds per card as the worker waited for them, the
CPU seconds per card (the OCR process and tesseract together; unlike the wait,
this does not grow when other programs share the CPU), and the resident memory
of the OCR process and of the worker after its scans. `make bench` runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ("email", "phone", "name", "company", "title", "website", "linkedin")
FLOORS = {"email": 0.90, "phone": 0.90, "name": 0.80, "company": 0.70}

# What runs in the worker process: Morrow's app, then each photo read.
WORKER = r"""
import json, sys, time
from app import create_app
from app.card_reading import check_image, client
from app.card_reading.fields import fields_from_ocr

create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench",
            "TESTING": True})
jobs = json.loads(sys.stdin.read())
out = []
for job in jobs:
    data = open(job["path"], "rb").read()
    started = time.perf_counter()
    check_image(data)
    answer = client.recognise(data, job["region"], page=job["page"])
    reading = fields_from_ocr(answer, job["region"])
    seconds = time.perf_counter() - started
    out.append({"seed": job["seed"], "seconds": seconds, "answer": answer,
                "fields": reading["fields"]})
status = open("/proc/self/status").read()
rss = int(status.split("VmRSS:")[1].split()[0]) / 1024
heavy = sorted(m for m in sys.modules
               if m.split(".")[0] in ("numpy", "onnxruntime", "cv2", "PIL"))
print(json.dumps({"cards": out, "rss_mb": rss, "heavy_modules": heavy}))
"""


def _memory_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    now = int(status.split("VmRSS:")[1].split()[0]) / 1024
    peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
    return now, peak


def _same(field: str, got: str, want: str) -> bool:
    if field in ("website", "linkedin"):
        return _site(got) == _site(want)
    return " ".join(unicodedata.normalize("NFC", got).split()) == want


def _site(url: str) -> str:
    return url.lower().split("://")[-1].removeprefix("www.").rstrip("/")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _score(cards, results, keep: set[str] | None = None) -> dict:
    """Share of cards with each field right; `keep` limits the engines used."""
    from app.card_reading.fields import fields_from_ocr, fold

    by_seed = {card.seed: card for card in cards}
    hits = dict.fromkeys(FIELDS, 0)
    loose = 0
    for result in results:
        card = by_seed[result["seed"]]
        fields = result["fields"]
        if keep is not None:
            engines = result["answer"]["engines"]
            answer = {"engines": {k: v for k, v in engines.items() if k in keep}}
            fields = fields_from_ocr(answer, card.region)["fields"]
        for field in FIELDS:
            hits[field] += _same(field, fields[field], getattr(card, field))
        loose += fold(fields["name"]) == fold(card.name)
    count = len(results)
    shares = {field: hits[field] / count for field in FIELDS}
    shares["name, accents aside"] = loose / count
    return shares


def bench(compare: bool = False) -> dict:
    """Read every synthetic photo in a worker-like process; the figures."""
    sys.path.insert(0, str(ROOT))
    from tests.card_photos import cache_dir, cached_photos

    photos = cached_photos()
    folder = tempfile.mkdtemp(prefix="morrow-ocr-bench-")
    socket_path = os.path.join(folder, "ocr.sock")
    env = dict(os.environ, MORROW_OCR_SOCKET=socket_path, PYTHONPATH=str(ROOT))
    jobs = [
        {
            "seed": card.seed,
            "region": card.region,
            "page": compare,
            "path": str(cache_dir() / f"card-{card.seed:02d}.jpg"),
        }
        for card, _ in photos
    ]
    # A first card loads the models; the figures are for cards after it.
    warm = dict(jobs[0], page=compare)
    started = time.monotonic()
    try:
        subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", WORKER],
            input=json.dumps([warm]),
            stdout=subprocess.PIPE,  # not stderr: the OCR process keeps that open
            text=True,
            check=True,
            cwd=ROOT,
            env=env,
        )
        run = subprocess.run(  # noqa: S603
            [sys.executable, "-c", WORKER],
            input=json.dumps(jobs),
            stdout=subprocess.PIPE,
            text=True,
            check=True,
            cwd=ROOT,
            env=env,
        )
        worker = json.loads(run.stdout)
        pid = int(Path(socket_path + ".pid").read_text())
        ocr_rss, ocr_peak = _memory_mb(pid)
    finally:
        pid_file = Path(socket_path + ".pid")
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
    cards = [card for card, _ in photos]
    results = worker["cards"]
    seconds = [r["seconds"] for r in results]
    cpu = [r["answer"]["seconds"]["cpu"] for r in results]
    steps = [r["answer"]["seconds"] for r in results]
    figures = {
        "cards": len(results),
        "accuracy": _score(cards, results, {"rapidocr", "re-read", "language"}),
        "median_s": statistics.median(seconds),
        "p95_s": _percentile(seconds, 0.95),
        "cpu_median_s": statistics.median(cpu),
        "rapidocr_median_s": statistics.median(s["rapidocr"] for s in steps),
        "re_read_median_s": statistics.median(
            s["total"] - s["rapidocr"] - s["prepare"] for s in steps
        ),
        "ocr_rss_mb": ocr_rss,
        "ocr_peak_mb": ocr_peak,
        "worker_rss_mb": worker["rss_mb"],
        "worker_heavy_modules": worker["heavy_modules"],
        "load_average": os.getloadavg(),
        "wall_s": time.monotonic() - started,
    }
    if compare:
        figures["engines"] = {
            "RapidOCR alone": _score(cards, results, {"rapidocr"}),
            "tesseract alone (whole photo)": _score(cards, results, {"tesseract"}),
            "RapidOCR + tesseract (whole photo)": _score(
                cards, results, {"rapidocr", "tesseract"}
            ),
            "RapidOCR + tesseract re-reading lines (Morrow)": figures["accuracy"],
        }
    return figures


def rows(figures: dict, row) -> list[dict]:
    """bench/run.py's table rows for these figures (`row` is its row maker)."""
    out = []
    for field, share in figures["accuracy"].items():
        floor = FLOORS.get(field)
        out.append(
            row(
                f"paper card: {field} right ({figures['cards']} photos)",
                100 * share,
                "%",
                budget=f"≥ {floor:.0%}" if floor else "",
                ok=share >= floor if floor else None,
            )
        )
    out.append(
        row(
            "paper card: seconds per card, median",
            figures["median_s"],
            "s",
            budget="≤ 3 s",
            ok=figures["median_s"] <= 3,
        )
    )
    out.append(row("paper card: seconds per card, p95", figures["p95_s"], "s"))
    out.append(row("paper card: CPU seconds per card", figures["cpu_median_s"], "s"))
    out.append(row("OCR process RSS after the cards", figures["ocr_rss_mb"], "MB"))
    out.append(row("OCR process peak RSS", figures["ocr_peak_mb"], "MB"))
    out.append(
        row(
            "web worker RSS after scanning cards",
            figures["worker_rss_mb"],
            "MB",
            budget="≤ 80 MB, no OCR library",
            ok=figures["worker_rss_mb"] <= 80 and not figures["worker_heavy_modules"],
        )
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--compare", action="store_true", help="also score each engine alone"
    )
    args = parser.parse_args(argv)
    figures = bench(args.compare)
    print(f"{figures['cards']} card photos, load average {figures['load_average']}")
    for field, share in figures["accuracy"].items():
        print(f"  {field:22} {share:6.1%}")
    print(
        f"  seconds per card: median {figures['median_s']:.2f}, "
        f"p95 {figures['p95_s']:.2f}; "
        f"CPU seconds per card {figures['cpu_median_s']:.2f} (RapidOCR "
        f"{figures['rapidocr_median_s']:.2f} s, tesseract's re-reading "
        f"{figures['re_read_median_s']:.2f} s, medians)"
    )
    print(
        f"  OCR process RSS {figures['ocr_rss_mb']:.0f} MB "
        f"(peak {figures['ocr_peak_mb']:.0f} MB); web worker RSS after scanning "
        f"{figures['worker_rss_mb']:.0f} MB, OCR modules in it: "
        f"{figures['worker_heavy_modules'] or 'none'}"
    )
    for name, shares in figures.get("engines", {}).items():
        print(f"  {name}: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
