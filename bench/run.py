"""Morrow's benchmarks against its budgets (DESIGN §9): one table, also as JSON.

Run with `make bench` (or `python -m bench.run [--quick] [--pg]`). Every
server listens on 127.0.0.1 only and every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import card_reading  # noqa: E402
from bench.pages import first_load  # noqa: E402
from bench.seed import seed  # noqa: E402
from tests.load.server import Server, free_port  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "latest.json"
EMAIL = "load@example.com"
PASSWORD = "load test password"
# The gunicorn settings of `make run`, for Morrow and the floor alike.
WORKERS, THREADS = 2, 4
CLIENTS = 8
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
PG_GROWTH = ("bench_small", "bench_large")  # one database per account size
KB = 1024


class FloorServer(Server):
    """The floor app under the same gunicorn settings as Morrow."""

    def __init__(self, tmp_path: Path, database_url: str | None = None) -> None:
        self.tmp_path = tmp_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "floor.log"
        self.workers, self.threads = WORKERS, THREADS
        self.wsgi = "bench.floor_app:app"
        self.token = ""
        self.process = None
        url = database_url or f"sqlite:///{tmp_path / 'floor.sqlite3'}"
        self.env = {**os.environ, "FLOOR_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from bench.floor_app import create_tables as c; c()",
            ],
            cwd=ROOT,
            env=self.env,
            check=True,
            timeout=60,
        )


BATCH = 25  # captures per batch in the batch benchmark


def capture_payload(client: int, n: int) -> bytes:
    """A capture as the phone sends it: client UUID and the usual fields."""
    return json.dumps(capture_fields(client, n)).encode()


def batch_payload(client: int, n: int) -> bytes:
    """BATCH captures in one body, as the outbox sends what it kept offline."""
    items = [capture_fields(client, n * BATCH + k) for k in range(BATCH)]
    return json.dumps({"items": items}).encode()


def capture_fields(client: int, n: int) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "name": f"Person {client}-{n} Müller",
        "email": f"p{client}.{n}.{uuid.uuid4().hex[:6]}@example.com",
        "phone": f"+4930{client:02d}{n:06d}",
        "talked_about": "Moving from teaching into UX research; loves maps.",
        "promise": "Send the article about card sorting" if n % 3 == 0 else "",
        "tags": ["meetup", "ux"],
        # Met just now: follow-ups due tomorrow, so the queue keeps its 50.
        "met_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def burst(
    server: Server, path: str, per_client: int, batch: bool = False
) -> tuple[list[float], float, int]:
    """Post per_client requests from each client: (latencies, wall, errors).

    batch: each request carries BATCH captures (an error is a request that
    isn't a 200 of which every item was created).
    """
    headers = {"Content-Type": "application/json"}
    if server.token:
        headers["Authorization"] = f"Bearer {server.token}"
    # Bodies are made before the clock starts, so the client spends less CPU in it.
    payload = batch_payload if batch else capture_payload
    bodies = [[payload(c, n) for n in range(per_client)] for c in range(CLIENTS)]

    def failed(response, body: bytes) -> bool:
        if not batch:
            return response.status != 201
        if response.status != 200:
            return True
        return any(r["status"] != 201 for r in json.loads(body)["results"])

    def client(c: int) -> tuple[list[float], int]:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        latencies, errors = [], 0
        for body in bodies[c]:
            began = time.perf_counter()
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            answer = response.read()
            latencies.append(time.perf_counter() - began)
            errors += failed(response, answer)
        conn.close()
        return latencies, errors

    began = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        done = list(pool.map(client, range(CLIENTS)))
    wall = time.perf_counter() - began
    return [x for lat, _ in done for x in lat], wall, sum(e for _, e in done)


def percentile(values: list[float], share: float) -> float:
    """Return the value below which `share` of the values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def rss_mb(pids: list[int]) -> float:
    """Return the largest resident set among the processes, in MB."""
    sizes = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / KB)
    return max(sizes)


def bench_capture(tmp: Path, rounds: int, per_client: int, pg: bool) -> dict:
    """Floor and Morrow in alternate rounds, so machine noise hits both."""
    label = "pg" if pg else "sqlite"
    (tmp / f"morrow-{label}").mkdir()
    (tmp / f"floor-{label}").mkdir()
    morrow = Server(tmp / f"morrow-{label}", PG_URL if pg else None, WORKERS, THREADS)
    # After Morrow's reset of the schema, which would drop the floor's table.
    floor = FloorServer(tmp / f"floor-{label}", PG_URL if pg else None)
    # name: (server, path, batch); a batch round sends as many captures as a
    # single one, BATCH to a request.
    targets = {
        "floor": (floor, "/captures", False),
        "morrow": (morrow, "/api/v1/contacts", False),
        "batch": (morrow, "/api/v1/contacts/batch", True),
    }
    stats = {name: {"lat": [], "wall": 0.0, "errors": 0} for name in targets}
    # At least 4 batches per client and round: one would time mostly the start.
    batches = max(4, per_client // BATCH)
    try:
        floor.start()
        morrow.start()
        for server, path, batch in targets.values():  # warm-up, not counted
            burst(server, path, 1 if batch else max(5, per_client // 5), batch)
        for _ in range(rounds):
            for name, (server, path, batch) in targets.items():
                count = batches if batch else per_client
                lat, wall, errors = burst(server, path, count, batch)
                stats[name]["lat"] += lat
                stats[name]["wall"] += wall
                stats[name]["errors"] += errors
        result = {
            name: {
                "requests": len(s["lat"]),
                "rps": len(s["lat"]) / s["wall"],
                "p50_ms": percentile(s["lat"], 0.50) * 1000,
                "p99_ms": percentile(s["lat"], 0.99) * 1000,
                "errors": s["errors"],
            }
            for name, s in stats.items()
        }
        result["batch"]["captures_per_s"] = result["batch"]["rps"] * BATCH
        result["morrow"]["rss_mb"] = rss_mb(morrow.worker_pids())
        result["floor"]["rss_mb"] = rss_mb(floor.worker_pids())
        return result
    finally:
        floor.stop()
        morrow.stop()


def login(server: Server) -> requests.Session:
    """Return a session logged in through the real login form."""
    session = requests.Session()
    page = session.get(server.url + "/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    form = {"email": EMAIL, "password": PASSWORD, "remember": "1"}
    if token:
        form["csrf_token"] = token.group(1)
    answer = session.post(server.url + "/login", data=form, timeout=30)
    assert answer.ok and "/login" not in answer.url, "login failed"
    return session


# Searches ask for pages of 20, which both sizes fill ("müller" matches ~30 of
# 1,000 people), so the two times compare the same amount of answer.
GROWTH = {
    "queue API": ("/api/v1/followups", "token"),
    "people list": ("/api/v1/contacts", "token"),
    "search, common name": ("/api/v1/contacts?q=m%C3%BCller&limit=20", "token"),
    "search, one person": ("/api/v1/contacts?q=brandtner&limit=20", "token"),
    "tag filter": ("/api/v1/contacts?tag=mentor&limit=20", "token"),
    "queue page": ("/queue", "session"),
}


def timed_get(server: Server, session: requests.Session, path: str, kind: str) -> float:
    """Return the seconds one GET takes, with a token or the session."""
    headers = server.headers() if kind == "token" else {}
    began = time.perf_counter()
    response = session.get(server.url + path, headers=headers, timeout=60)
    elapsed = time.perf_counter() - began
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def timed_capture(server: Server, n: int) -> float:
    """Return the seconds one capture POST takes (token only: no CSRF)."""
    body = capture_payload(99, n)
    headers = {**server.headers(), "Content-Type": "application/json"}
    url = server.url + "/api/v1/contacts"
    began = time.perf_counter()
    response = requests.post(url, data=body, headers=headers, timeout=60)
    elapsed = time.perf_counter() - began
    assert response.status_code == 201, response.text
    return elapsed


def bench_growth(small: Server, large: Server, repeats: int) -> dict:
    """Median time of each read with few and with many people, interleaved."""
    sessions = {id(small): login(small), id(large): login(large)}
    names = [*GROWTH, "capture POST"]
    times: dict[str, dict[str, list[float]]] = {
        name: {"small": [], "large": []} for name in names
    }
    for n in range(repeats + 2):
        for name, (path, kind) in GROWTH.items():
            for size, server in (("small", small), ("large", large)):
                elapsed = timed_get(server, sessions[id(server)], path, kind)
                if n >= 2:  # the first two warm the caches
                    times[name][size].append(elapsed)
        # A capture into a big account: the duplicate check must not read it all.
        for size, server in (("small", small), ("large", large)):
            elapsed = timed_capture(server, n)
            if n >= 2:
                times["capture POST"][size].append(elapsed)
    return {
        name: {size: statistics.median(v) * 1000 for size, v in t.items()}
        for name, t in times.items()
    }


CARD = {
    "first_name": "Robin",
    "last_name": "Okafor-Lindqvist",
    "headline": "UX researcher, former teacher",
    "company": "Meridian Labs",
    "email": "robin.okafor@example.com",
    "phone": "+49 30 12345678",
    "website": "https://robin.example.com",
    "linkedin": "https://www.linkedin.com/in/robin-okafor",
    "links": ["https://github.com/robin-example"],
    "pitch": "I help teams learn what their users need. Ask me about card sorting.",
    "public_fields": [
        "headline",
        "company",
        "email",
        "phone",
        "website",
        "linkedin",
        "links",
        "pitch",
    ],
}


def put_card(server: Server, **changes: str) -> dict:
    """Save the owner's card (publishing it), with some fields changed."""
    answer = requests.put(
        server.url + "/api/v1/card",
        json={**CARD, **changes},
        headers=server.headers(),
        timeout=30,
    )
    assert answer.ok, answer.text
    return answer.json()


def bench_bytes(server: Server) -> dict:
    """First-load bytes of the public card, Capture and Queue, and the QR sizes."""
    card = put_card(server)
    session = login(server)
    pages = {
        "public card": first_load(
            requests.Session(), server.url + f"/c/{card['slug']}"
        ),
        "capture page": first_load(session, server.url + "/capture"),
        "queue page": first_load(session, server.url + "/queue"),
    }
    for mode in ("url", "vcard"):
        answer = session.get(
            server.url + f"/card/qr.svg?mode={mode}",
            stream=True,
            headers={"Accept-Encoding": "gzip"},
            timeout=30,
        )
        raw = answer.raw.read(decode_content=False)
        pages[f"QR SVG, {mode}"] = {"bytes": len(raw), "files": {}, "foreign": []}
    return pages


def bench_qr(server: Server, samples: int) -> dict:
    """A QR drawn for the first time, against a repeat answered 304."""
    session = login(server)
    url = server.url + "/card/qr.svg?mode=vcard"
    cold, repeat = [], []
    for n in range(samples):
        # A new headline is a payload no worker has drawn before.
        put_card(server, headline=f"UX researcher, talk {n} {uuid.uuid4().hex[:8]}")
        began = time.perf_counter()
        first = session.get(url, timeout=30)
        cold.append(time.perf_counter() - began)
        assert first.status_code == 200
        etag = first.headers["ETag"]
        for _ in range(4):
            began = time.perf_counter()
            again = session.get(url, headers={"If-None-Match": etag}, timeout=30)
            repeat.append(time.perf_counter() - began)
            assert again.status_code == 304, again.status_code
    return {
        "cold_ms": statistics.median(cold) * 1000,
        "repeat_ms": statistics.median(repeat) * 1000,
    }


def row(
    what: str,
    figure: float,
    unit: str,
    baseline: float | None = None,
    budget: str = "",
    ok: bool | None = None,
) -> dict:
    """Return one row of the table, with its ratio and verdict."""
    ratio = figure / baseline if baseline else None
    return {
        "what": what,
        "figure": figure,
        "unit": unit,
        "baseline": baseline,
        "ratio": ratio,
        "budget": budget,
        "result": "" if ok is None else ("PASS" if ok else "MISS"),
    }


def growth_rows(growth: dict, label: str, sizes: tuple[int, int]) -> list[dict]:
    small, large = sizes
    suffix = f" ({label})" if label else ""
    return [
        row(
            f"{name}{suffix}, {large:,} vs {small:,} people",
            t["large"],
            "ms",
            t["small"],
            "≤ 1.5 × 1k",
            t["large"] / t["small"] <= 1.5,
        )
        for name, t in growth.items()
    ]


def build_rows(results: dict) -> list[dict]:
    rows = []
    for label, cap in results["capture"].items():
        morrow, floor = cap["morrow"], cap["floor"]
        ratio = morrow["rps"] / floor["rps"]
        rows.append(
            row(
                f"capture POST/s ({label}) vs floor",
                morrow["rps"],
                "req/s",
                floor["rps"],
                "≥ 0.40 × floor",
                ratio >= 0.4,
            )
        )
        batch = cap["batch"]
        rows.append(
            row(
                f"captures/s in batches of {BATCH} ({label}) vs floor",
                batch["captures_per_s"],
                "/s",
                floor["rps"],
                "≥ 2 × floor",
                batch["captures_per_s"] >= 2 * floor["rps"] and not batch["errors"],
            )
        )
        rows.append(
            row(f"capture p50 ({label})", morrow["p50_ms"], "ms", floor["p50_ms"])
        )
        rows.append(
            row(f"capture p99 ({label})", morrow["p99_ms"], "ms", floor["p99_ms"])
        )
        if label == "sqlite":
            rows.append(
                row(
                    "worker RSS after load",
                    morrow["rss_mb"],
                    "MB",
                    floor["rss_mb"],
                    "≤ 80 MB",
                    morrow["rss_mb"] <= 80,
                )
            )
    small, large = results["people"]
    several = len(results["growth"]) > 1
    for label, growth in results["growth"].items():
        rows += growth_rows(growth, label if several else "", (small, large))
    for name, page in results["bytes"].items():
        if name.startswith("QR"):
            rows.append(row(name, page["bytes"] / KB, "KB"))
            continue
        ok = page["bytes"] <= 30 * KB and not page["foreign"]
        rows.append(
            row(
                f"{name} first load, gzip",
                page["bytes"] / KB,
                "KB",
                budget="≤ 30 KB, same origin",
                ok=ok,
            )
        )
    offline = results.get("offline")
    if offline is not None:
        rows.append(
            row(
                "50 offline captures, 400 ms, 1.6 Mbit/s: on the server",
                offline["seconds"],
                "s",
                budget="≤ 5 s",
                ok=offline["seconds"] <= 5,
            )
        )
    qr = results["qr"]
    rows.append(
        row("QR repeat (304) vs first draw", qr["repeat_ms"], "ms", qr["cold_ms"])
    )
    if results.get("cards"):
        rows += card_reading.rows(results["cards"], row)
    return rows


def render(rows: list[dict]) -> str:
    """Return the rows as a Markdown table."""
    head = ("what", "figure", "baseline", "ratio", "budget", "result")
    lines = []
    for r in rows:
        base = f"{r['baseline']:,.1f} {r['unit']}" if r["baseline"] is not None else "—"
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "—"
        lines.append(
            (
                r["what"],
                f"{r['figure']:,.1f} {r['unit']}",
                base,
                ratio,
                r["budget"] or "—",
                r["result"] or "—",
            )
        )
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]
    out = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    out += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)) + " |"
        for x in lines
    ]
    return "\n".join(out)


OFFLINE_TEST = (
    "tests/browser/test_outbox_network.py"
    "::test_fifty_offline_captures_arrive_within_5_s_over_400_ms"
)


def bench_offline() -> dict | None:
    """The browser test's figure: 50 offline captures over an emulated 400 ms network.

    None when the browser tests can't run here (no Chromium).
    """
    run = subprocess.run(
        [sys.executable, "-m", "pytest", OFFLINE_TEST, "-q", "-s"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = re.search(
        r"on the server in ([0-9.]+) s.*?(\d+) capture request", run.stdout
    )
    if not found:
        print(run.stdout[-2000:], run.stderr[-2000:], sep="\n")
        return None
    return {"seconds": float(found.group(1)), "requests": int(found.group(2))}


def machine() -> dict:
    """Describe the machine the figures were measured on."""
    memory = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(int(memory) / KB / KB, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def ensure_pg_database(*names: str) -> None:
    """Create the benchmark databases that are missing."""
    import psycopg

    with psycopg.connect(
        "host=127.0.0.1 user=postgres dbname=postgres", autocommit=True
    ) as conn:
        for name in names:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            )
            if not found.fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')


def growth_servers(
    tmp: Path, label: str, sizes: tuple[int, int], urls: tuple[str | None, ...]
) -> tuple[list[Server], dict]:
    """Two accounts, seeded with the two sizes, each on its own database."""
    servers, seeded = [], {}
    for count, url in zip(sizes, urls, strict=True):
        (tmp / f"grow-{label}-{count}").mkdir()
        server = Server(tmp / f"grow-{label}-{count}", url, WORKERS, THREADS)
        seconds = seed(server.env["DATABASE_URL"], EMAIL, count)
        print(f"seeded {count:,} people ({label}) in {seconds:.1f} s", flush=True)
        seeded[f"seed_{label}_{count}_s"] = seconds
        servers.append(server)
    return servers, seeded


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark, print the table, write bench/results/latest.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smaller run")
    parser.add_argument("--pg", action="store_true", help="also capture on PostgreSQL")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a budget is missed"
    )
    args = parser.parse_args(argv)
    rounds, per_client = (2, 25) if args.quick else (8, 80)
    small, large = 1_000, 10_000 if args.quick else 100_000
    repeats = 5 if args.quick else 25
    tmp = Path(tempfile.mkdtemp(prefix="morrow-bench-"))
    started = time.monotonic()
    results: dict = {"machine": machine(), "quick": args.quick, "capture": {}}
    try:
        print("capture: floor and Morrow, interleaved …", flush=True)
        results["capture"]["sqlite"] = bench_capture(tmp, rounds, per_client, False)
        if args.pg:
            ensure_pg_database("bench", *PG_GROWTH)
            results["capture"]["pg"] = bench_capture(tmp, rounds, per_client, True)
        results["people"] = [small, large]
        results["growth"] = {}
        databases = {"sqlite": (None, None)}
        if args.pg:
            databases["pg"] = tuple(
                PG_URL.rsplit("/", 1)[0] + "/" + n for n in PG_GROWTH
            )
        for label, urls in databases.items():
            servers, seeded = growth_servers(tmp, label, (small, large), urls)
            results.update(seeded)
            try:
                for server in servers:
                    server.start()
                print(f"growth ({label}) …", flush=True)
                results["growth"][label] = bench_growth(*servers, repeats)
                if label == "sqlite":
                    print("bytes and QR …", flush=True)
                    results["bytes"] = bench_bytes(servers[0])
                    results["qr"] = bench_qr(servers[0], 3 if args.quick else 6)
            finally:
                for server in servers:
                    server.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("50 offline captures over an emulated conference network …", flush=True)
    results["offline"] = bench_offline()
    print("reading paper cards …", flush=True)
    results["cards"] = card_reading.bench()
    results["seconds"] = time.monotonic() - started
    rows = build_rows(results)
    results["rows"] = rows
    print()
    print(render(rows))
    print(f"\n{results['machine']} · {results['seconds']:.0f} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    missed = any(r["result"] == "MISS" for r in rows)
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
