"""Accounts, login, tokens, CSRF and who may see what."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import ApiToken, User
from tests.conftest import PASSWORD, assert_api_error, csrf_from


def login_form(client, email, password, **extra):
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            **extra,
        },
    )


def test_login_with_remember_me_sets_long_lived_cookie(client, user):
    response = login_form(client, "owner@example.com", PASSWORD, remember="1")
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember, cookies
    assert "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]
    assert "Expires=" in remember[0]


def test_wrong_password_is_refused_with_a_message(client, user):
    response = login_form(client, "owner@example.com", "wrong password")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "don&#39;t match" in html
    # The email is kept; the cursor waits in the password field.
    assert re.search(r'<input id="f-password"[^>]* autofocus', html)
    assert not re.search(r'<input id="f-email"[^>]* autofocus', html)
    assert client.get("/").status_code == 302


def test_login_is_rate_limited_with_a_clear_message(app, client, user):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        login_form(client, "owner@example.com", "wrong")
    response = login_form(client, "owner@example.com", PASSWORD)
    assert response.status_code == 429
    assert "Too many tries" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/settings", "/settings"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_after_login_stays_on_this_site(client, user, target, expected):
    page = client.get("/login")
    response = client.post(
        "/login?next=" + target,
        data={
            "email": "owner@example.com",
            "password": PASSWORD,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_logout_needs_post_and_ends_the_session(owner):
    assert owner.get("/logout").status_code == 405
    response = owner.form("/logout", {})
    assert response.status_code == 302
    assert owner.get("/").status_code == 302


def test_anonymous_page_redirects_to_login_with_next(client, user):
    response = client.get("/settings/account")
    assert response.status_code == 302
    assert "/login?next=/settings/account" in response.headers["Location"]


def test_anonymous_api_gets_401_json(client, user):
    assert_api_error(client.get("/api/v1/me"), 401, "unauthorized")
    assert_api_error(client.patch("/api/v1/me", json={}), 401, "unauthorized")


def test_cookie_write_without_csrf_token_is_refused(owner):
    response = owner.client.patch("/api/v1/me", json={"weekly_goal": 3})
    assert_api_error(response, 400, "csrf_failed")
    response = owner.client.post("/settings/account", data={"weekly_goal": "3"})
    assert response.status_code == 400


def test_cookie_write_with_csrf_header_works(owner):
    response = owner.patch("/api/v1/me", json={"weekly_goal": 3})
    assert response.status_code == 200, response.data
    assert response.get_json()["weekly_goal"] == 3


def test_bearer_token_needs_no_csrf(api):
    response = api.patch("/api/v1/me", json={"followup_hour": 8})
    assert response.status_code == 200
    assert response.get_json()["followup_hour"] == 8


def test_token_is_stored_hashed(app, api):
    with app.app_context():
        stored = db.session.execute(db.select(ApiToken)).scalar_one()
        assert stored.token_hash != api.token
        assert api.token not in stored.token_hash


def test_revoked_token_is_refused(app, client, user, token_for, owner):
    token = token_for(user)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        token_id = db.session.execute(db.select(ApiToken.id)).scalar_one()
    response = owner.form("/settings/tokens", {"revoke": str(token_id)})
    assert response.status_code == 302
    assert_api_error(client.get("/api/v1/me", headers=headers), 401)


def test_tokens_page_creates_token_shown_once(owner, client):
    response = owner.form("/settings/tokens", {"name": "laptop"})
    html = response.get_data(as_text=True)
    assert "laptop" in html
    import re

    token = re.search(r"data-new-token>([^<]+)<", html).group(1)
    check = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert check.status_code == 200
    assert token not in owner.get("/settings/tokens").get_data(as_text=True)


def test_another_accounts_token_cannot_be_revoked(app, make_user, token_for, owner):
    other = make_user("other@example.com")
    token_for(other)
    with app.app_context():
        token_id = db.session.execute(
            db.select(ApiToken.id).filter_by(user_id=other)
        ).scalar_one()
    assert owner.form("/settings/tokens", {"revoke": str(token_id)}).status_code == 404


def test_cli_creates_user_and_token(app, runner, client):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "cli@example.com",
            "--password",
            "long password",
            "--timezone",
            "Asia/Tokyo",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.execute(
            db.select(User).filter_by(email="cli@example.com")
        ).scalar_one()
        assert user.timezone == "Asia/Tokyo"
        assert user.default_region == "JP"
    result = runner.invoke(args=["token", "create", "cli@example.com"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.get_json()["email"] == "cli@example.com"


def test_cli_user_create_reports_bad_input(runner):
    result = runner.invoke(
        args=["user", "create", "nope", "--password", "x", "--timezone", "Bad/Zone"]
    )
    assert result.exit_code != 0
    assert "email" in result.output and "password" in result.output


def test_cli_token_for_unknown_email_fails(runner):
    result = runner.invoke(args=["token", "create", "ghost@example.com"])
    assert result.exit_code != 0
    assert "No account" in result.output


def test_signup_is_closed_unless_allowed(app, client, user):
    assert client.get("/signup").status_code == 404
    app.config["ALLOW_SIGNUP"] = True
    page = client.get("/signup")
    assert page.status_code == 200
    response = client.post(
        "/signup",
        data={
            "email": "second@example.com",
            "password": "another long pw",
            "timezone": "UTC",
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302


def test_password_change_ends_other_sessions(app, login, user):
    phone = login(user)
    laptop = login(user)
    response = laptop.form(
        "/settings/account",
        {"action": "password", "current": PASSWORD, "password": "a brand new pw"},
    )
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    phone.client.delete_cookie("session")  # the remember cookie must not revive it
    assert phone.get("/").status_code == 302


def test_password_change_needs_current_password(owner):
    response = owner.form(
        "/settings/account",
        {"action": "password", "current": "wrong", "password": "a brand new pw"},
    )
    assert response.status_code == 400
    assert "not your current password" in response.get_data(as_text=True)


def test_me_patch_validates_each_field(api):
    response = api.patch(
        "/api/v1/me",
        json={"timezone": "Mars/Base", "followup_hour": 25, "default_region": "XX"},
    )
    body = assert_api_error(response, 400, "validation_error")
    assert set(body["error"]["fields"]) == {
        "timezone",
        "followup_hour",
        "default_region",
    }


def test_me_patch_rejects_unknown_and_non_object_bodies(api):
    assert_api_error(
        api.patch("/api/v1/me", json={"colour": "red"}), 400, field="colour"
    )
    assert_api_error(api.patch("/api/v1/me", json=[1, 2]), 400)
    assert_api_error(
        api.patch("/api/v1/me", data="{", content_type="application/json"), 400
    )
    assert_api_error(api.patch("/api/v1/me", data="x=1"), 415)


def test_me_shows_settings(api):
    body = api.get("/api/v1/me").get_json()
    assert body["email"] == "owner@example.com"
    assert body["timezone"] == "Europe/Berlin"
    assert body["followup_hour"] == 9
    assert body["default_region"] == "DE"
    assert body["weekly_goal"] == 1
    assert "calendar_feed_url" in body


def test_settings_page_saves_and_shows_errors(owner):
    bad = owner.form(
        "/settings/account",
        {
            "timezone": "Europe/Paris",
            "followup_hour": "30",
            "default_region": "FR",
            "weekly_goal": "2",
        },
    )
    assert bad.status_code == 400
    assert "Use a whole number from 0 to 23." in bad.get_data(as_text=True)
    good = owner.form(
        "/settings/account",
        {
            "timezone": "Europe/Paris",
            "followup_hour": "8",
            "default_region": "FR",
            "weekly_goal": "2",
        },
    )
    assert good.status_code == 302
    assert owner.get("/api/v1/me").get_json()["followup_hour"] == 8


def test_passwords_are_hashed_with_scrypt_by_default(tmp_path):
    from app import create_app
    from app.auth import hash_password

    app = create_app(
        {
            "SECRET_KEY": "x" * 32,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'h.db'}",
        }
    )
    with app.app_context():
        hashed = hash_password("correct horse battery")
    assert hashed.startswith("scrypt:")
    assert "correct horse" not in hashed


def test_cli_password_reset_ends_every_session(app, runner, login, user, client):
    phone = login(user)
    result = runner.invoke(
        args=["user", "password", "owner@example.com", "--password", "a new long pw"]
    )
    assert result.exit_code == 0, result.output
    assert phone.get("/").status_code == 302
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": "owner@example.com",
            "password": "a new long pw",
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302


def test_cli_password_reset_refuses_a_short_password(runner, user):
    result = runner.invoke(
        args=["user", "password", "owner@example.com", "--password", "short"]
    )
    assert result.exit_code != 0 and "at least 8" in result.output
