"""Every time in every API answer is UTC with an explicit offset (+00:00).

The test fills an account with a bit of everything, then walks every GET route
of the API (each list page by page, each item by id) and checks every string
that looks like a time. Lists share one cursor format, read by one function.
"""

from __future__ import annotations

import re

from app.api import encode_cursor

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$")


def times_in(value, path="$"):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from times_in(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from times_in(item, f"{path}[{n}]")
    elif isinstance(value, str) and TIME.match(value):
        yield path, value


def walk(api, url):
    """Every page of a list, following `next`."""
    pages = []
    while url:
        body = api.get(url).get_json()
        pages.append(body)
        following = body.get("next")
        base = url.split("?")[0]
        url = f"{base}?limit=1&cursor={following}" if following else None
    return pages


def test_every_time_in_every_get_answer_is_utc(api):
    event = api.post(
        "/api/v1/events", json={"name": "Meetup", "date": "2026-03-10"}
    ).get_json()
    api.post("/api/v1/events", json={"name": "Earlier", "date": "2026-03-01"})
    for name in ("Ann", "Bo"):
        api.post(
            "/api/v1/contacts",
            json={
                "name": name,
                "email": f"{name.lower()}@example.com",
                "promise": "Send the slides",
                "met_at": "2026-03-10T19:30",  # the owner's zone: Berlin
                "keep_in_touch_days": 30,
                "event_id": event["id"],
            },
        )
    answers = []
    for url in ("/api/v1/contacts", "/api/v1/events", "/api/v1/followups?due=all"):
        pages = walk(api, url + ("&" if "?" in url else "?") + "limit=1")
        assert len(pages) > 1  # paged through, cursor and all
        answers += pages
    people = [c for page in answers for c in page.get("items", []) if "met_at" in c]
    followups = [f for page in answers for f in page["items"] if "due_at" in f]
    for url in (
        "/api/v1/me",
        "/api/v1/card",
        f"/api/v1/contacts/{people[0]['id']}",
        f"/api/v1/events/{event['id']}",
        f"/api/v1/followups/{followups[0]['id']}",
        f"/api/v1/events/{event['id']}/score",
        "/api/v1/export.json",
    ):
        response = api.get(url)
        assert response.status_code == 200, url
        answers.append(response.get_json())
    found = [t for answer in answers for t in times_in(answer)]
    assert len(found) > 10
    assert [t for t in found if not UTC_TIME.match(t[1])] == []


def test_every_list_takes_the_same_cursor_format(api):
    """A cursor is an ISO value and a key; one reader refuses a damaged one."""
    for url in ("/api/v1/contacts", "/api/v1/events", "/api/v1/followups"):
        for bad in ("nope", encode_cursor("2026-03-10", "x", 3), encode_cursor(1, 2)):
            response = api.get(f"{url}?cursor={bad}")
            assert response.status_code == 400, (url, bad)
            assert response.get_json()["error"]["fields"] == {"cursor": "Not valid."}
