"""The authorization matrix over every route in the URL map.

Generated from the map itself: a new route with an argument this file does not
know fails the test until someone says how to build that argument.
"""

from __future__ import annotations

import datetime as dt

import pytest

from app.extensions import db
from app.models import ApiToken
from tests.conftest import assert_api_error
from tests.test_access import PUBLIC_ENDPOINTS, routes

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def path_for(rule, values: dict) -> str:
    path = rule.rule
    for arg in rule.arguments:
        if arg not in values:
            pytest.fail(
                f"{rule.rule}: no test value for <{arg}>; add one in test_authz.py"
            )
        for form in (f"<{arg}>", f"<int:{arg}>", f"<string:{arg}>", f"<path:{arg}>"):
            path = path.replace(form, str(values[arg]))
    return path


def private_routes_with_objects(app):
    for rule, method in routes(app):
        if rule.endpoint in PUBLIC_ENDPOINTS or not rule.arguments:
            continue
        yield rule, method


def test_another_accounts_objects_are_404_on_every_route(
    app, owner, api, other_objects
):
    checked = []
    for rule, method in private_routes_with_objects(app):
        path = path_for(rule, other_objects)
        if path.startswith("/api/"):
            response = api.open(path, method=method, json={})
            assert_api_error(response, 404)
        else:
            if method in WRITE_METHODS:
                response = owner.client.open(
                    path, method=method, data={"csrf_token": owner.csrf}
                )
            else:
                response = owner.get(path)
            assert response.status_code == 404, (method, path, response.status_code)
        checked.append(f"{method} {rule.rule}")
    assert len(checked) >= 10, checked


def test_revoked_token_is_refused_on_every_api_route(
    app, client, user, token_for, other_objects
):
    token = token_for(user)
    with app.app_context():
        for row in db.session.execute(
            db.select(ApiToken).filter_by(user_id=user)
        ).scalars():
            row.revoked_at = dt.datetime.now(dt.UTC)
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    for rule, method in routes(app):
        if rule.endpoint in PUBLIC_ENDPOINTS or not rule.rule.startswith("/api/"):
            continue
        path = path_for(rule, other_objects)
        assert_api_error(
            client.open(path, method=method, headers=headers, json={}), 401
        )


def test_a_made_up_token_is_refused(client, user):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer mrw_nope"})
    assert_api_error(response, 401)


def test_every_cookie_write_without_csrf_token_is_refused(app, owner, other_objects):
    checked = 0
    for rule, method in routes(app):
        if method not in WRITE_METHODS:
            continue
        path = path_for(rule, other_objects)
        response = owner.client.open(path, method=method, json={})
        assert response.status_code == 400, (method, path, response.status_code)
        if path.startswith("/api/"):
            assert_api_error(response, 400, "csrf_failed")
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/v1/followups/2147483648"),
        ("POST", "/api/v1/followups/800214256376969216/done"),
        ("GET", "/api/v1/events/2147483648"),
        ("GET", "/api/v1/events/800214256376969216/score"),
        ("GET", "/api/v1/contacts?event_id=99999999999"),
    ],
)
def test_ids_beyond_any_database_integer_are_404(api, method, path):
    assert_api_error(api.open(path, method=method, json={}), 404)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/contacts?cursor=WyJub3RhZGF0ZSIsIngiXQ",  # ["notadate","x"]
        "/api/v1/contacts?cursor=WyIyMDIwLTAxLTAxIiwieCJd",  # naive date
        "/api/v1/contacts?cursor=WzEsMl0",  # [1,2]
        "/api/v1/followups?cursor=WyIyMDIwLTAxLTAxIiwxLjVd",  # ["2020-01-01",1.5]
        "/api/v1/followups?cursor=WyIyMDIwLTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwieCJd",
        "/api/v1/followups?cursor=%%%",
    ],
)
def test_crafted_cursors_are_400_not_500(api, path):
    assert_api_error(api.get(path), 400, field="cursor")
