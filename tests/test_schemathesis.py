"""Property-based run of the whole API against its OpenAPI description.

Every operation gets a bounded, derandomized number of generated requests with
a bearer token; no answer may be a 5xx or contradict the documented schema.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

EXAMPLES = 15


def seed(api) -> None:
    """Give the generated requests something to find: an event, people, a queue."""
    event = api.post("/api/v1/events", json={"name": "Meetup", "date": "2026-03-09"})
    assert event.status_code == 201
    for n in range(3):
        person = api.post(
            "/api/v1/contacts",
            json={"name": f"Person {n}", "email": f"p{n}@example.com",
                  "promise": "the slides", "event_id": event.get_json()["id"]},
        )  # fmt: skip
        assert person.status_code == 201


def runner(operation, headers: dict, checks: list, calls: list):
    """Return a Hypothesis test sending generated requests for one operation."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        calls[0] += 1
        case.call_and_validate(headers=headers, checks=checks)

    return run


def test_every_operation_answers_without_5xx_and_as_documented(app, api, capsys):
    seed(api)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [not_a_server_error, response_schema_conformance]
    failures: list[str] = []
    operations = examples = 0
    started = time.perf_counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        calls = [0]
        headers = {**api.headers, "Accept-Encoding": "identity"}
        run = runner(operation, headers, checks, calls)
        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - reported below
            failures.append(f"{operation.label}: {str(error)[:1500]}")
        examples += calls[0]
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(
            f"\nschemathesis: {operations} operations, {examples} examples, "
            f"{elapsed:.1f} s"
        )
    assert operations >= 29
    assert not failures, "\n\n".join(failures)
