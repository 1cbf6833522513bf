"""Where a capture's time goes, against the floor, in one process (no gunicorn).

`python -m bench.capture_profile [N]` posts N captures to Morrow (one a request,
and in batches of 25) and N inserts to the floor through Flask's test client,
alternating in chunks, and prints the median CPU time per capture of each, how
much of it SQLite itself took (statements and commits, from cProfile), and the
floor's time over each. It also times the people table's
search index: the same inserts on a copy of Morrow's schema with and without
its triggers.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.search_text import searchable_text  # noqa: E402
from bench.run import BATCH, batch_payload, capture_payload  # noqa: E402

CHUNKS = 20
TAGS = ["meetup", "ux"]


def cpu_ms_per_request(client, path: str, headers: dict, count: int) -> float:
    """CPU ms per capture: per request, or per item of a batch of BATCH."""
    if path.endswith("/batch"):
        bodies = [batch_payload(1, n) for n in range(max(1, count // BATCH))]
    else:
        bodies = [capture_payload(1, n) for n in range(count)]
    began = time.process_time()
    for body in bodies:
        response = client.post(path, data=body, headers=headers)
        assert response.status_code == (200 if path.endswith("/batch") else 201)
    captures = len(bodies) * (BATCH if path.endswith("/batch") else 1)
    return (time.process_time() - began) / captures * 1000


def sqlite_ms_per_request(client, path: str, headers: dict, count: int) -> float:
    profile = cProfile.Profile()
    profile.enable()
    cpu_ms_per_request(client, path, headers, count)
    profile.disable()
    stats = pstats.Stats(profile).stats
    seconds = sum(
        row[2]
        for (_, _, name), row in stats.items()
        if name in ("<method 'execute' of 'sqlite3.Cursor' objects>",
                    "<method 'executemany' of 'sqlite3.Cursor' objects>",
                    "<method 'commit' of 'sqlite3.Connection' objects>")
    )  # fmt: skip
    return seconds / count * 1000


def search_index_ms(database: Path, count: int = 1500) -> tuple[float, float]:
    """Per-capture SQLite time of one person's row, with and without the index."""
    times = []
    for keep_index in (True, False):
        copy = database.with_suffix(f".{keep_index}.sqlite3")
        copy.write_bytes(database.read_bytes())
        conn = sqlite3.connect(copy, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        if not keep_index:
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            ).fetchall():
                conn.execute(f'DROP TRIGGER "{name}"')
        user_id = conn.execute("SELECT id FROM users").fetchone()[0]
        began = time.perf_counter()
        for n in range(count):
            values = {
                "id": str(uuid.uuid4()),
                "user_id": user_id,
                "name": f"Person {n} Müller",
                "email": f"p{n}@example.com",
                "talked_about": "Moving from teaching into UX research; loves maps.",
                "promise": "Send the article about card sorting",
            }
            conn.execute("BEGIN")
            conn.execute(
                "INSERT INTO contacts (id, user_id, name, first_name, last_name, "
                "email, phone, company, title, website, linkedin, talked_about, "
                "promise, notes, tags, met_at, source, unread, created_at, "
                "updated_at, search_text) VALUES (?, ?, ?, '', '', ?, '', '', '', "
                "'', '', ?, ?, '', '[\"meetup\", \"ux\"]', '2026-01-01 10:00:00', "
                "'capture', 0, '2026-01-01 10:00:00', '2026-01-01 10:00:00', ?)",
                (*values.values(), searchable_text({**values, "tags": TAGS})),
            )
            conn.execute("COMMIT")
        times.append((time.perf_counter() - began) / count * 1000)
        conn.close()
    return times[0], times[1]


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    tmp = Path(tempfile.mkdtemp(prefix="morrow-profile-"))
    database = tmp / "morrow.sqlite3"
    env = {
        **os.environ,
        "SECRET_KEY": "capture-profile-secret-key-0123456789",
        "DATABASE_URL": f"sqlite:///{database}",
        "RATELIMIT_STORAGE_URI": "memory://",
        "FLOOR_DATABASE_URL": f"sqlite:///{tmp / 'floor.sqlite3'}",
    }
    os.environ.update(env)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run(
        [*flask, "user", "create", "profile@example.com", "--password",
         "profile password", "--timezone", "Europe/Berlin"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    search_with, search_without = search_index_ms(database)

    from app import create_app
    from app.auth import create_token
    from app.extensions import db
    from app.models import User
    from bench import floor_app

    floor_app.create_tables()
    morrow = create_app()
    with morrow.app_context():
        token = create_token(db.session.execute(db.select(User)).scalar_one())
        db.session.commit()
    targets = {
        "floor": (floor_app.app.test_client(), "/captures", {}),
        "morrow": (
            morrow.test_client(),
            "/api/v1/contacts",
            {"Authorization": f"Bearer {token}"},
        ),
        f"batch of {BATCH}": (
            morrow.test_client(),
            "/api/v1/contacts/batch",
            {"Authorization": f"Bearer {token}"},
        ),
    }
    for client, path, headers in targets.values():
        headers["Content-Type"] = "application/json"
        cpu_ms_per_request(client, path, headers, 50)  # warm-up
    cpu = {name: [] for name in targets}
    for _ in range(CHUNKS):
        for name, (client, path, headers) in targets.items():
            cpu[name].append(cpu_ms_per_request(client, path, headers, count // CHUNKS))
    in_sqlite = {
        name: sqlite_ms_per_request(client, path, headers, count // 2)
        for name, (client, path, headers) in targets.items()
    }
    print(f"{'per capture':12} {'CPU ms':>8} {'in SQLite ms':>13} {'floor/this':>11}")
    floor = statistics.median(cpu["floor"])
    for name in targets:
        median = statistics.median(cpu[name])
        print(f"{name:12} {median:8.2f} {in_sqlite[name]:13.2f} {floor / median:11.2f}")
    print(
        f"one person's row: {search_with:.2f} ms with the search index, "
        f"{search_without:.2f} ms without"
    )
    client, path, headers = targets[f"batch of {BATCH}"]
    with morrow.app_context():
        engine = db.engine
    print(f"\nwhere a batch of {BATCH} spends its time, ms per capture:")
    for phase, ms in batch_phases(client, path, headers, engine, count).items():
        print(f"  {phase:44} {ms:6.3f}")
    return 0


def batch_phases(client, path: str, headers: dict, engine, count: int) -> dict:
    """Wall time per capture of a batch's phases, timed around their functions.

    Nested phases are told apart: the SQL of the duplicate query counts as the
    duplicate query, not as SQL.
    """
    from sqlalchemy import event

    from app import capture_batch, contacts
    from app.api import contacts as api_contacts

    spent: dict[str, float] = {}
    inside: list[str] = []

    def timed(module, name: str, phase: str) -> None:
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            inside.append(phase)
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                took = time.perf_counter() - began
                inside.pop()
                spent[phase] = spent.get(phase, 0.0) + took
                if inside:  # not the enclosing phase's own time
                    spent[inside[-1]] = spent.get(inside[-1], 0.0) - took

        setattr(module, name, wrapper)

    timed(contacts, "clean_contact", "validation (email, phone, fields)")
    timed(capture_batch, "new_person_rows", "rows: scheduling, search text, dicts")
    timed(capture_batch, "create_contact", "person object (models.unsaved)")
    timed(capture_batch, "_stored_among", "lookup of stored ids (1 query)")
    timed(api_contacts, "batch_duplicates", "duplicate check (1 query)")
    timed(api_contacts, "contact_to_dict", "answer: person to JSON shape")
    statements: dict[int, float] = {}

    def before(conn, cursor, statement, parameters, context, executemany):
        statements[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - statements.pop(id(cursor))
        if not inside:
            key = "SQL: " + " ".join(statement.split()[:3]).split("(")[0]
            spent[key] = spent.get(key, 0.0) + took

    commit = engine.dialect.do_commit

    def timed_commit(dbapi_connection):
        began = time.perf_counter()
        commit(dbapi_connection)
        took = time.perf_counter() - began
        spent["SQL: COMMIT"] = spent.get("SQL: COMMIT", 0.0) + took

    engine.dialect.do_commit = timed_commit
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    bodies = [batch_payload(2, n) for n in range(max(1, count // BATCH))]
    began = time.perf_counter()
    for body in bodies:
        assert client.post(path, data=body, headers=headers).status_code == 200
    total = time.perf_counter() - began
    captures = len(bodies) * BATCH
    rest = total - sum(spent.values())
    phases = {k: v / captures * 1000 for k, v in sorted(spent.items())}
    phases["rest: request, token, JSON, SQLAlchemy parameters"] = rest / captures * 1000
    phases["total"] = total / captures * 1000
    return phases


if __name__ == "__main__":
    sys.exit(main())
