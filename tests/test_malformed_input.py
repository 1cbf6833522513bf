"""Malformed input at every route: a 4xx with a message, never a 5xx.

The routes come from the app's URL map, so a new route is covered as soon as
it exists. Each kind of bad input goes to every route that takes it: JSON
bodies to the API's writes, query strings to every GET, path values to every
route with a path argument, form fields to every page that takes a POST.
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import assert_api_error

HUGE = "99999999999999999999999"
SURROGATE = "%ED%A0%80"  # U+D800 as UTF-8 would spell it; no valid text has it
DEEP = b"[" * 100_000
FIELDS = ("id", "name", "date", "met_at", "until", "event_id", "other_id",
          "introduced_by_id", "q", "limit", "when", "also", "text", "timezone",
          "followup_hour", "slug", "tags", "email")  # fmt: skip


def json_fields() -> list[str]:
    """Every field name a JSON route of the API reads."""
    from app.accounts import SETTINGS_FIELDS
    from app.cards import CARD_FIELDS
    from app.contacts import WRITABLE
    from app.events import EVENT_FIELDS

    extra = {"id", "slug", "public_fields", "until", "other_id", "text", "subject",
             "body", "channel", "format", "version", "people", "events"}  # fmt: skip
    return sorted({*WRITABLE, *EVENT_FIELDS, *SETTINGS_FIELDS, *CARD_FIELDS, *extra})


def bodies(*values: bytes) -> list[bytes]:
    """One body per field and value: alone, a bad field is what the route sees."""
    return [b'{"%s": %s}' % (f.encode(), v) for f in json_fields() for v in values]


JSON_BODIES = {
    "deep": [DEEP, b'{"name": ' + DEEP + b"}"],
    "deep-object": [b'{"a":' * 50_000 + b"1" + b"}" * 50_000],
    "infinity": [*bodies(b"Infinity"), b'{"name": -Infinity}'],
    "nan": bodies(b"NaN"),
    "1e400": [*bodies(b"1e400"), b'{"name": -1e400}'],
    "surrogate": [*bodies(b'"\\ud800"'), b'{"tags": ["\\udfff x"]}', b'{"\\ud800": 1}'],
    "huge-ids": [*bodies(HUGE.encode()), b'{"event_id": "' + HUGE.encode() + b'"}'],
}
QUERIES = {
    "unicode-digit-limit": "limit=%C2%B2",  # ²: isdigit() says yes
    "arabic-digit-limit": "limit=%D9%A1%D9%A2",  # ١٢: int() says 12
    "huge-limit": f"limit={HUGE}",
    "huge-event": f"event_id={HUGE}",
    "unicode-event": "event_id=%C2%B2",
    "surrogate": f"q={SURROGATE}&tag={SURROGATE}&status={SURROGATE}&after={SURROGATE}",
    "deep-cursor": "cursor=" + base64.urlsafe_b64encode(DEEP).decode(),
    "nan-cursor": "cursor=" + base64.urlsafe_b64encode(b"[NaN, 1e400]").decode(),
    "surrogate-cursor": "cursor="
    + base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00", "\\ud800"]').decode(),
}
PATH_VALUES = {"huge": HUGE, "negative": "-" + HUGE, "surrogate": SURROGATE,
               "unicode-digit": "%C2%B2"}  # fmt: skip
FORMS = {
    "surrogate": "&".join(f"{f}={SURROGATE}" for f in FIELDS),
    "huge": "&".join(f"{f}={HUGE}" for f in FIELDS),
    "unicode-digits": "&".join(f"{f}=%C2%B2" for f in FIELDS),
}
# Routes that end the session or the account are sent to last, on their own.
ENDING = {"auth.logout", "account.delete", "settings.delete"}


def routes(app, methods: set[str]):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods & methods):
            yield rule, method


def fill(rule, value: str | None = None, known: dict | None = None) -> str:
    """The rule's path with `value` for every argument, else a stored row's id."""
    path = rule.rule
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__
        fallback = "1" if converter == "IntegerConverter" else "x1"
        given_value = value or str((known or {}).get(arg, fallback))
        for spelled in (
            f"<{arg}>",
            *(f"<{c}:{arg}>" for c in ("int", "string", "path")),
        ):
            path = path.replace(spelled, given_value)
    return path


def check(response, method: str, path: str, what: str) -> None:
    label = f"{method} {path[:80]} with {what}"
    assert response.status_code < 500, (label, response.data[:300])
    if path.startswith("/api/") and response.status_code >= 400:
        try:
            assert_api_error(response, response.status_code)
        except AssertionError as error:
            raise AssertionError(label) from error


class Clients:
    """The owner's API token and a logged-in browser, fresh after a logout."""

    def __init__(self, app, api, login, user) -> None:
        self.app, self.api, self.login, self.user = app, api, login, user
        self.browser = login(user)

    def send(self, method: str, path: str, **kwargs):
        if path.startswith("/api/"):
            return getattr(self.api, method.lower())(path, **kwargs)
        response = self.browser.client.open(
            path, method=method, headers={"X-CSRFToken": self.browser.csrf}, **kwargs
        )
        if response.status_code == 302 and "/login" in response.headers["Location"]:
            self.browser = self.login(self.user)
        return response


def seed(api) -> dict:
    """An event, a person and their follow-up, for the routes' path arguments."""
    event = api.post("/api/v1/events", json={"name": "Meetup", "date": "2026-03-09"})
    person = api.post(
        "/api/v1/contacts",
        json={"name": "Ana", "email": "ana@example.com", "promise": "slides",
              "event_id": event.get_json()["id"]},
    )  # fmt: skip
    items = api.get("/api/v1/followups?due=all").get_json()["items"]
    return {
        "event_id": event.get_json()["id"],
        "contact_id": person.get_json()["id"],
        "followup_id": items[0]["id"],
    }


INPUTS = (
    [("json", name) for name in JSON_BODIES]
    + [("query", name) for name in QUERIES]
    + [("path", name) for name in PATH_VALUES]
    + [("form", name) for name in FORMS]
)


@pytest.mark.parametrize(("kind", "name"), INPUTS, ids=[f"{k}-{n}" for k, n in INPUTS])
def test_malformed_input_never_answers_5xx_on_any_route(
    app, api, login, user, kind, name
):
    known = seed(api)
    clients = Clients(app, api, login, user)
    sent = 0
    if kind == "json":
        for rule, method in routes(app, {"POST", "PUT", "PATCH"}):
            if not rule.rule.startswith("/api/"):
                continue
            path = fill(rule, known=known)
            for body in JSON_BODIES[name]:
                response = clients.send(
                    method, path, data=body, content_type="application/json"
                )
                check(response, method, path, body[:60])
                sent += 1
    elif kind == "query":
        for rule, method in routes(app, {"GET"}):
            if rule.endpoint in ENDING:
                continue
            path = f"{fill(rule, known=known)}?{QUERIES[name]}"
            check(clients.send(method, path), method, path, name)
            sent += 1
    elif kind == "path":
        for rule, method in routes(app, {"GET", "POST", "PUT", "PATCH", "DELETE"}):
            if not rule.arguments or rule.endpoint in ENDING:
                continue
            path = fill(rule, PATH_VALUES[name])
            kwargs = (
                {"json": {}} if path.startswith("/api/") and method != "GET" else {}
            )
            check(clients.send(method, path, **kwargs), method, path, name)
            sent += 1
    else:
        for rule, method in routes(app, {"POST"}):
            if rule.rule.startswith("/api/"):
                continue
            path = fill(rule, known=known)
            form = f"csrf_token={clients.browser.csrf}&{FORMS[name]}"
            response = clients.send(
                method, path, data=form,
                content_type="application/x-www-form-urlencoded",
            )  # fmt: skip
            check(response, method, path, name)
            sent += 1
    assert sent >= 5, (kind, name, sent)


# The fuzz pass over the JSON body parser: generated documents, valid or nearly.
JSON_PIECES = st.sampled_from(
    ["[", "]", "{", "}", ",", ":", '"', "\\ud800", "\\u0000", "NaN", "Infinity",
     "-Infinity", "1e400", "-0", "1E-400", HUGE, "true", "null", '"name"', '"id"',
     '"date"', '"met_at"', '"0001-01-01"', '"9999-12-31T23:59:59-12:00"', " "]
)  # fmt: skip
SURROGATES = st.characters(
    min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"]
)
# Values that broke Morrow before, each as likely as all generated values together.
TRICKY = st.sampled_from(
    ["\ud800", "x\udfff", "0001-01-01", "9999-12-31", "0001-01-01T00:00+14:00",
     "9999-12-31T23:59:59-12:00", "2200-12-31T23:59", HUGE, int(HUGE), 2**63,
     -(2**63), float("inf"), float("nan"), 1e308, "\u00b2", ["\ud800"]]
)  # fmt: skip
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters() | SURROGATES, max_size=12)
)
VALUES = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)


def json_routes() -> list[tuple[str, str, dict, list[str]]]:
    """Each route with a body it would accept and the fields the fuzz changes."""
    from app.accounts import SETTINGS_FIELDS
    from app.cards import CARD_FIELDS
    from app.contacts import WRITABLE
    from app.events import EVENT_FIELDS

    person, event = sorted(WRITABLE | {"id"}), sorted(EVENT_FIELDS)
    return [
        ("POST", "/api/v1/contacts", {"name": "Ana"}, person),
        ("PATCH", "/api/v1/contacts/{contact_id}", {}, person),
        ("POST", "/api/v1/events", {"name": "Meetup", "date": "2026-03-10"}, event),
        ("PATCH", "/api/v1/events/{event_id}", {}, event),
        ("PATCH", "/api/v1/me", {}, sorted(SETTINGS_FIELDS)),
        ("PUT", "/api/v1/card", {}, sorted({*CARD_FIELDS, "slug"})),
        ("POST", "/api/v1/contacts/parse", {"text": "BEGIN:VCARD"}, ["text"]),
        ("POST", "/api/v1/followups/{followup_id}/snooze", {}, ["until"]),
    ]


def _document(data) -> bytes:
    return json.dumps(data, allow_nan=True).encode("utf-8", "surrogatepass")


def test_fuzzed_json_bodies_never_answer_5xx(app, api, user):
    known = seed(api)
    routes_and_changes = st.sampled_from(json_routes()).flatmap(
        lambda route: st.tuples(
            st.just(route),
            st.dictionaries(
                st.sampled_from(route[3]), TRICKY | VALUES, min_size=1, max_size=2
            ),
        )
    )
    garbage = st.one_of(
        st.lists(JSON_PIECES, max_size=30).map(lambda p: "".join(p).encode()),
        st.binary(max_size=64),
    )

    @settings(max_examples=500, derandomize=True, deadline=2000, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(route_and_change=routes_and_changes, junk=st.none() | garbage)
    def run(route_and_change, junk):
        (method, path, valid, _fields), change = route_and_change
        path = path.format(**known)
        body = junk if junk is not None else _document({**valid, **change})
        response = getattr(api, method.lower())(
            path, data=body, content_type="application/json"
        )
        check(response, method, path, repr(body[:60]))

    run()


# An unclosed "[" reads as the start of an IPv6 host: urlsplit raises ValueError.
BROKEN_HOST = "https://exa[mple.com"


def test_a_link_with_an_unclosed_bracket_is_a_field_error(api, app):
    from app.extensions import db
    from app.models import Contact

    answer = api.post("/api/v1/contacts", json={"name": "Ada", "website": BROKEN_HOST})
    assert_api_error(answer, 400, field="website")
    card = api.put("/api/v1/card", json={"first_name": "Ada", "website": BROKEN_HOST})
    assert_api_error(card, 400, field="website")
    with app.app_context():
        assert db.session.execute(db.select(Contact)).first() is None


def test_scanned_text_with_an_unclosed_bracket_is_not_a_link():
    from app.errors import Unprocessable
    from app.formats.vcard_read import normalize_url, parse_qr_text

    assert normalize_url("example.com[") is None
    assert normalize_url(BROKEN_HOST) is None
    with pytest.raises(Unprocessable):  # a 422 naming what it can read
        parse_qr_text(BROKEN_HOST, "DE")


def test_a_host_header_that_cannot_be_parsed_counts_as_local():
    from app.cards import is_local_host

    assert is_local_host("[::1")  # links built on it would be dead anyway
    assert not is_local_host("morrow.example.com")
