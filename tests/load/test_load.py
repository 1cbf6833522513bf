"""Captures under load and crashes: every acknowledged capture kept, none twice.

Each test is bounded (2,000 requests at most) and talks only to 127.0.0.1.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.load.server import Server

pytestmark = pytest.mark.slow

CLIENTS = 8
PER_CLIENT = 250
DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def capture(n: int, client: int) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "name": f"Person {client}-{n} Müller",
        "email": f"p{client}.{n}@example.com",
        "phone": f"+4930{client:02d}{n:05d}",
        "talked_about": "Moving from teaching into UX research; loves maps.",
        "promise": "Send the article about card sorting" if n % 3 == 0 else "",
        "tags": ["meetup", "ux"],
        "met_at": "2026-11-25T19:30:00+01:00",
    }


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path, DATABASE_URL)
    srv.start()
    yield srv
    srv.stop()


def count_people(srv: Server) -> tuple[int, list[str]]:
    ids: list[str] = []
    cursor = None
    with requests.Session() as session:
        while True:
            params = {"limit": 200}
            if cursor:
                params["cursor"] = cursor
            body = session.get(
                srv.url + "/api/v1/contacts",
                params=params,
                headers=srv.headers(),
                timeout=30,
            ).json()
            ids += [item["id"] for item in body["items"]]
            cursor = body["next"]
            if not cursor:
                return len(ids), ids


def test_concurrent_captures_with_random_retries_make_exactly_2000_people(server):
    statuses: list[int] = []
    lock = threading.Lock()
    rng = random.Random(7)
    retry = {
        (c, n) for c in range(CLIENTS) for n in range(PER_CLIENT) if rng.random() < 0.5
    }

    def run(client: int) -> None:
        with requests.Session() as session:
            for n in range(PER_CLIENT):
                payload = capture(n, client)
                sends = 2 if (client, n) in retry else 1
                for _ in range(sends):  # a phone that lost the answer sends again
                    response = session.post(
                        server.url + "/api/v1/contacts",
                        json=payload,
                        headers=server.headers(),
                        timeout=30,
                    )
                    with lock:
                        statuses.append(response.status_code)

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(run, range(CLIENTS)))
    elapsed = time.monotonic() - started
    total, ids = count_people(server)
    print(
        f"\n{len(statuses)} requests in {elapsed:.1f}s "
        f"({len(statuses) / elapsed:.0f}/s): {total} people; "
        f"201={statuses.count(201)} 200={statuses.count(200)} "
        f"5xx={sum(s >= 500 for s in statuses)}"
    )
    assert sum(s >= 500 for s in statuses) == 0
    assert statuses.count(201) == CLIENTS * PER_CLIENT
    assert statuses.count(200) == len(retry)
    assert total == CLIENTS * PER_CLIENT == len(set(ids))
    assert "database is locked" not in server.log()


def test_sigkill_mid_burst_keeps_every_acknowledged_capture_once(tmp_path):
    srv = Server(tmp_path, DATABASE_URL)
    srv.start()
    acknowledged: set[str] = set()
    sent: dict[str, dict] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def burst(client: int) -> None:
        with requests.Session() as session:
            for n in range(150):
                if stop.is_set():
                    return
                payload = capture(n, client)
                with lock:
                    sent[payload["id"]] = payload
                try:
                    response = session.post(
                        srv.url + "/api/v1/contacts",
                        json=payload,
                        headers=srv.headers(),
                        timeout=5,
                    )
                except requests.RequestException:
                    continue  # no answer: the phone keeps it and retries later
                if response.status_code in (200, 201):
                    with lock:
                        acknowledged.add(payload["id"])

    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(burst, c) for c in range(CLIENTS)]
            deadline = time.monotonic() + 20
            while len(acknowledged) < 300 and time.monotonic() < deadline:
                time.sleep(0.01)
            srv.kill()
            stop.set()
            for future in futures:
                future.result()
        killed_with = len(acknowledged)
        srv.start()
        # Every client retries everything it sent, acknowledged or not.
        with requests.Session() as session:
            for payload in list(sent.values()):
                response = session.post(
                    srv.url + "/api/v1/contacts",
                    json=payload,
                    headers=srv.headers(),
                    timeout=30,
                )
                assert response.status_code in (200, 201), response.text
        total, ids = count_people(srv)
    finally:
        srv.stop()
    print(
        f"\nkilled after {killed_with} acknowledged captures; "
        f"{len(sent)} sent in all; {total} people after retries"
    )
    assert killed_with >= 1
    assert acknowledged <= set(ids)
    assert len(ids) == len(set(ids)) == len(sent)
