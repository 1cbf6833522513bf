"""POST /api/v1/contacts/parse: decoded QR text in, contact fields out."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Contact
from tests.conftest import assert_api_error

URL = "/api/v1/contacts/parse"


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        (
            "MECARD:N:Doe,Jane;TEL:+49 30 1234567;EMAIL:jane@example.com;;",
            "mecard",
            {"name": "Jane Doe", "phone": "+49301234567", "email": "jane@example.com"},
        ),
        (
            "https://www.linkedin.com/in/jane-doe-1a2b3c/",
            "linkedin",
            {"linkedin": "https://www.linkedin.com/in/jane-doe-1a2b3c"},
        ),
        ("https://example.com/about", "url", {"website": "https://example.com/about"}),
        ("jane@example.com", "email", {"email": "jane@example.com"}),
        ("mailto:jane@example.com", "email", {"email": "jane@example.com"}),
        ("030 1234567", "phone", {"phone": "+49301234567"}),
        (
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jane Doe\r\nN:Doe;Jane;;;\r\n"
            "TEL:+4930 1234567\r\nEND:VCARD\r\n",
            "vcard",
            {"name": "Jane Doe"},
        ),
    ],
)
def test_parse_reads_common_codes(api, text, kind, expected):
    response = api.post(URL, json={"text": text})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["kind"] == kind
    assert isinstance(body["warnings"], list)
    for key, value in expected.items():
        assert body["fields"][key] == value


def test_parse_saves_nothing(api, app):
    api.post(URL, json={"text": "MECARD:N:Doe,Jane;;"})
    with app.app_context():
        assert db.session.execute(db.select(Contact)).first() is None


@pytest.mark.parametrize("body", [{}, {"text": None}, {"text": 42}, {"text": "  "}])
def test_parse_needs_text(api, body):
    assert_api_error(api.post(URL, json=body), 400, field="text")


def test_parse_rejects_huge_text(api):
    response = api.post(URL, json={"text": "x" * 5000})
    assert response.status_code in (400, 413)
    assert_api_error(response, response.status_code)


@pytest.mark.parametrize("text", ["hello there", "MECARD:;;", "BEGIN:VCARD\nFN:x"])
def test_parse_answers_422_for_unreadable_codes(api, text):
    assert_api_error(api.post(URL, json={"text": text}), 422)


def test_parse_needs_login(client):
    assert_api_error(client.post(URL, json={"text": "jane@example.com"}), 401)
