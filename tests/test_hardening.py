"""Security headers, cookies, body limits and escaping of what people typed."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, assert_api_error, csrf_from
from tests.test_access import routes
from tests.test_authz import WRITE_METHODS, path_for


@pytest.mark.parametrize("path", ["/", "/card", "/settings", "/api/v1/me", "/login"])
def test_answers_carry_security_headers(owner, path):
    response = owner.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in csp.split(";"))
    )
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp and "http" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_static_files_carry_only_the_headers_that_apply_to_them(client):
    with client.get("/static/js/app.js") as response:
        headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    for document_only in ("Content-Security-Policy", "X-Frame-Options"):
        assert document_only not in headers
    # The service worker is a script whose CSP applies to it: it keeps it.
    worker = client.get("/sw.js")
    assert "script-src 'self'" in worker.headers["Content-Security-Policy"]


def test_https_only_instances_send_hsts_on_every_answer(app, client, user, api):
    paths = ["/login", "/static/js/app.js", "/sw.js", "/healthz", "/api/v1/me", "/x"]
    for path in paths:
        with client.get(path, headers=api.headers) as plain:
            assert "Strict-Transport-Security" not in plain.headers, path
    app.config["SESSION_COOKIE_SECURE"] = True
    for path in paths:
        with client.get(path, headers=api.headers) as response:
            hsts = response.headers.get("Strict-Transport-Security", "")
            assert hsts.startswith("max-age=31536000"), (path, hsts)


def test_public_card_has_the_same_policy(client, api):
    api.put("/api/v1/card", json={"first_name": "Ana", "slug": "ana"})
    response = client.get("/c/ana")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def login_cookies(client, base_url="http://localhost", headers=None):
    # Over HTTPS the CSRF check also wants a same-site Referer, as browsers send.
    headers = {**(headers or {}), "Referer": "https://localhost/login"}
    page = client.get("/login", base_url=base_url, headers=headers)
    response = client.post(
        "/login",
        base_url=base_url,
        headers=headers,
        data={
            "email": "owner@example.com",
            "password": PASSWORD,
            "remember": "1",
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    return response.headers.getlist("Set-Cookie")


def test_cookies_are_httponly_and_lax(client, user):
    cookies = login_cookies(client)
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"session", "remember_token"} <= names
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # plain http on a laptop must still work


def test_cookies_are_secure_over_https(client, user):
    for cookie in login_cookies(client, base_url="https://localhost"):
        assert "; Secure" in cookie


def test_cookies_are_secure_behind_a_trusted_https_proxy(app, user):
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)
    cookies = login_cookies(app.test_client(), headers={"X-Forwarded-Proto": "https"})
    for cookie in cookies:
        assert "; Secure" in cookie


def test_every_write_refuses_an_oversized_body_with_413(app, owner, api, other_objects):
    app.config["MAX_FORM_BYTES"] = 10_000
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    big = "x" * 60_000
    for rule, method in routes(app):
        if method not in WRITE_METHODS:
            continue
        path = path_for(rule, other_objects)
        if path.startswith("/api/"):
            response = api.open(
                path, method=method, data=big, content_type="application/json"
            )
            body = assert_api_error(response, 413)
            assert (
                "limit" in body["error"]["message"]
                or "large" in body["error"]["message"]
            )
        else:
            response = owner.client.open(
                path, method=method, data={"csrf_token": owner.csrf, "x": big}
            )
            assert response.status_code == 413, (method, path, response.status_code)


def test_script_in_card_fields_is_shown_as_text(api, client):
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    api.put(
        "/api/v1/card",
        json={
            "first_name": payload,
            "headline": payload,
            "pitch": payload,
            "slug": "xss",
            "public_fields": ["first_name", "headline", "pitch"],
        },
    )
    html = client.get("/c/xss").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_newline_in_a_card_field_cannot_add_a_vcard_property(api, client):
    api.put(
        "/api/v1/card",
        json={
            "first_name": "Ana",
            "headline": "CEO\r\nEMAIL:evil@example.com",
            "pitch": "line one\nTEL:+1555\nline two",
            "slug": "nl",
            "public_fields": ["first_name", "headline", "pitch"],
        },
    )
    text = client.get("/c/nl.vcf").get_data(as_text=True)
    lines = text.split("\r\n")
    assert not any(line.startswith(("EMAIL", "TEL")) for line in lines), text


def test_uploads_may_be_larger_than_forms(app, api, owner):
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana {n}\r\nEMAIL:ana{n}@example.com\r\nEND:VCARD\r\n"
    body = "".join(card.format(n=n) for n in range(6000)).encode()
    assert len(body) > app.config["MAX_FORM_BYTES"]
    response = api.post("/api/v1/contacts/import", data=body, content_type="text/vcard")
    assert response.status_code == 200, response.data[:300]
    assert response.get_json()["imported"] == 6000
    import io

    page = owner.form(
        "/settings/import-export",
        {"file": (io.BytesIO(body), "people.vcf")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 200
    assert "6000" in page.get_data(as_text=True)


def test_an_import_over_the_limit_is_a_form_error_on_the_page(app, owner):
    import io

    app.config["MAX_IMPORT_BYTES"] = 2_000
    card = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Big\r\nNOTE:"
        + "x" * 5_000
        + "\r\nEND:VCARD\r\n"
    )
    page = owner.form(
        "/settings/import-export",
        {"file": (io.BytesIO(card.encode()), "big.vcf")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 413
    html = page.get_data(as_text=True)
    assert "larger than" in html and "Import" in html


def test_nul_characters_get_a_clear_answer_never_a_500(api, owner):
    import uuid

    from app.api import encode_cursor

    made = api.post(
        "/api/v1/contacts",
        json={"id": str(uuid.uuid4()), "name": "Jo Nul", "tags": ["a\x00b"]},
    )
    assert made.status_code == 201
    assert made.get_json()["tags"] == ["ab"]
    for query in ({"q": "nul\x00"}, {"q": "\x00\x00\x00"}, {"tag": "a\x00b"}):
        answer = api.get("/api/v1/contacts", query_string=query)
        assert answer.status_code == 200, query
    found = api.get("/api/v1/contacts", query_string={"q": "n\x00ul"}).get_json()
    assert [c["name"] for c in found["items"]] == ["Jo Nul"]
    assert owner.get("/people", query_string={"q": "jo\x00 nul"}).status_code == 200
    # An id nobody cleans: PostgreSQL refuses NUL in text, SQLite finds nothing.
    cursor = encode_cursor("2026-03-10T12:00:00+00:00", "a\x00b")
    answer = api.get("/api/v1/contacts", query_string={"cursor": cursor})
    assert answer.status_code in (200, 400)
    if answer.status_code == 400:
        assert_api_error(answer, 400)
    refused = api.post(
        "/api/v1/contacts", json={"name": "Who", "introduced_by_id": "x\x00y"}
    )
    assert_api_error(refused, 400)
