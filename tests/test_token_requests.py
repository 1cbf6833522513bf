"""What a bearer-token API call is answered with: every header, no cookie, its limits."""

from __future__ import annotations

import uuid

from flask_limiter import Limit

from app.extensions import UNLIMITED_ENDPOINTS, limiter, note_unlimited_endpoints
from app.security import CONTENT_SECURITY_POLICY, HSTS
from tests.conftest import assert_api_error

URL = "/api/v1/contacts"
SCAN = f"{URL}/scan-card"
LIMITED = {
    "api.scan_card",
    "auth.login",
    "auth.setup",
    "auth.signup",
    "public.exchange",
    "settings.account",
    "settings.delete",
}


def capture(api, **headers):
    body = {"id": str(uuid.uuid4()), "name": "Jane Doe", "email": "j@example.com"}
    return api.post(URL, json=body, headers=headers)


def test_a_token_capture_carries_every_header_and_no_cookie(app, api):
    response = capture(api)
    assert response.status_code == 201
    headers = response.headers
    assert headers["Location"] == f"{URL}/{response.get_json()['id']}"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Permissions-Policy"] == (
        "camera=(self), microphone=(), geolocation=()"
    )
    assert headers["Cache-Control"] == "no-store"
    # The session was read (to look for a login) though none was sent.
    assert headers["Vary"] == "Accept-Encoding, Cookie"
    assert "Set-Cookie" not in headers
    assert "Strict-Transport-Security" not in headers
    names = [name for name, _ in headers]
    assert len(names) == len({name.lower() for name in names}), names

    app.config["SESSION_COOKIE_SECURE"] = True
    assert capture(api).headers["Strict-Transport-Security"] == HSTS


def test_a_batch_by_token_carries_the_same_headers(api):
    item = {"id": str(uuid.uuid4()), "name": "Jane Doe"}
    response = api.post(f"{URL}/batch", json={"items": [item]})
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_a_header_the_view_set_is_kept(app, api, monkeypatch):
    monkeypatch.setitem(app.view_functions, "api.me", lambda: ("{}", 200, {
        "Cache-Control": "private, max-age=5",
        "x-frame-options": "SAMEORIGIN",
    }))  # fmt: skip
    response = api.get("/api/v1/me")
    assert response.headers.getlist("Cache-Control") == ["private, max-age=5"]
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_bad_token_still_gets_401_with_the_headers(client, user):
    response = client.post(
        URL, json={"name": "Jane"}, headers={"Authorization": "Bearer mrw_wrong"}
    )
    assert_api_error(response, 401)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "Set-Cookie" not in response.headers


def test_only_routes_without_a_limit_skip_the_limiter(app):
    unlimited = app.extensions[UNLIMITED_ENDPOINTS]
    assert set(app.view_functions) - unlimited == LIMITED
    assert {"api.create_contact_route", "api.capture_batch"} <= unlimited


def test_scan_card_by_token_keeps_its_limit_of_20_a_minute(app, api):
    assert app.config["CARD_SCAN_RATE_LIMIT"] == "20 per minute;300 per hour"
    for _ in range(20):
        # Refused for its body, but counted: the limit comes first.
        assert api.post(SCAN, json={}).status_code == 415
    assert_api_error(api.post(SCAN, json={}), 429)
    assert capture(api).status_code == 201  # captures have no limit


def test_a_limit_on_every_route_reaches_captures_too(app, api):
    manager = limiter.limit_manager
    manager.set_default_limits([Limit("2 per minute").bind(limiter)])
    try:
        note_unlimited_endpoints(app)
        assert UNLIMITED_ENDPOINTS not in app.extensions
        assert [capture(api).status_code for _ in range(3)] == [201, 201, 429]
    finally:
        manager.set_default_limits([])
        note_unlimited_endpoints(app)
    assert capture(api).status_code == 201
