"""Who may reach what: generated from the URL map so no route can escape."""

from __future__ import annotations

import pytest

from tests.conftest import assert_api_error

# Routes anyone may use, each for a reason.
PUBLIC_ENDPOINTS = {
    "static",  # stylesheets, scripts, icons
    "public.healthz",  # for load balancers
    "public.card",
    "public.card_vcf",
    "public.card_qr",  # the public card
    "public.exchange",  # the visitor's form
    "auth.login",
    "auth.setup",
    "auth.signup",
    "auth.logout",
    "pwa.manifest",
    "pwa.service_worker",
    "pwa.offline",  # the app shell
    "public.feed",  # authenticated by its secret token
    "api.openapi",  # the API's description
}


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def fill(rule) -> str:
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__
        values[arg] = 1 if converter == "IntegerConverter" else "x1"
    path = rule.rule
    for arg, value in values.items():
        path = path.replace(f"<{arg}>", str(value))
        for conv in ("int", "string", "path", "uuid"):
            path = path.replace(f"<{conv}:{arg}>", str(value))
    return path


def test_every_private_route_refuses_anonymous(app, client, user):
    checked = 0
    for rule, method in routes(app):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        path = fill(rule)
        response = client.open(path, method=method)
        if path.startswith("/api/"):
            assert_api_error(response, 401)
        else:
            assert response.status_code == 302, (method, path, response.status_code)
            assert "/login" in response.headers["Location"], (method, path)
        checked += 1
    assert checked >= 10


def test_every_listed_public_endpoint_exists(app):
    # A stale entry would let a new private route with that name skip the checks.
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert PUBLIC_ENDPOINTS <= endpoints, sorted(PUBLIC_ENDPOINTS - endpoints)


@pytest.mark.parametrize("path", ["/healthz", "/login"])
def test_public_routes_need_no_login(client, user, path):
    assert client.get(path).status_code == 200
