"""Account safety: one account per address, logins that end, first-run setup."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import ApiToken, LoginSession, User
from tests.conftest import PASSWORD, assert_api_error, csrf_from


def login_form(client, email, password=PASSWORD, next_=None, **extra):
    page = client.get("/login")
    url = "/login" if next_ is None else "/login?next=" + next_
    return client.post(
        url,
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            **extra,
        },
    )


def signup_form(client, email, password="another long pw"):
    page = client.get("/signup")
    return client.post(
        "/signup",
        data={
            "email": email,
            "password": password,
            "timezone": "UTC",
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )


def user_count(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count(User.id))).scalar()


# --- one account per address, whatever its case ----------------------------------


def test_signing_up_with_an_existing_email_in_other_case_is_a_form_error(
    app, client, make_user
):
    app.config["ALLOW_SIGNUP"] = True
    make_user("alice@example.com")
    response = signup_form(client, "ALICE@Example.com")
    assert response.status_code == 400
    assert "An account with this email already exists." in response.get_data(
        as_text=True
    )
    assert user_count(app) == 1


def test_the_owner_finds_their_account_in_any_case(app, client, runner, make_user):
    make_user("Alice@Example.COM")
    with app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        # Kept as typed but for the domain; compared casefolded.
        assert (user.email, user.email_folded) == (
            "Alice@example.com",
            "alice@example.com",
        )
    assert login_form(client, "aLICE@EXAMPLE.com").status_code == 302
    result = runner.invoke(
        args=["user", "password", "ALICE@example.com", "--password", "new long pw"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["token", "create", "alice@EXAMPLE.com"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("mrw_")


def test_the_cli_refuses_a_second_account_for_an_email_in_other_case(runner, user):
    result = runner.invoke(
        args=["user", "create", "OWNER@example.com", "--password", "long enough pw"]
    )
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert "Traceback" not in result.output


def test_the_database_refuses_two_accounts_with_one_email_in_other_case(app, user):
    with app.app_context():
        db.session.add(
            User(email="Owner@EXAMPLE.com", password_hash="x", timezone="UTC")
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_an_address_taken_between_check_and_save_is_a_form_error(
    app, client, make_user, monkeypatch
):
    """Two sign-ups at once: the database's unique index answers the second."""
    from app import auth

    app.config["ALLOW_SIGNUP"] = True
    make_user("alice@example.com")
    monkeypatch.setattr(auth, "find_user_by_email", lambda email: None)
    response = signup_form(client, "Alice@example.com")
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)
    assert user_count(app) == 1


# --- logins end on the server -------------------------------------------------------


def copy_cookie(source, target, name) -> None:
    cookie = source.get_cookie(name)
    assert cookie is not None, name
    target.set_cookie(name, cookie.value, domain=cookie.domain)


def test_logout_ends_a_copied_session_cookie_and_remember_cookie(app, user):
    browser = app.test_client()
    assert login_form(browser, "owner@example.com", remember="1").status_code == 302
    session_copy, remember_copy = app.test_client(), app.test_client()
    copy_cookie(browser, session_copy, "session")
    copy_cookie(browser, remember_copy, "remember_token")
    assert session_copy.get("/").status_code == 200
    assert remember_copy.get("/").status_code == 200
    page = browser.get("/settings").get_data(as_text=True)
    browser.post("/logout", data={"csrf_token": csrf_from(page)})
    assert browser.get("/").status_code == 302
    assert session_copy.get("/").status_code == 302
    assert remember_copy.get("/").status_code == 302
    with app.app_context():
        assert db.session.execute(db.select(LoginSession)).first() is None


def test_logging_in_gives_a_new_session_and_csrf_token(app, client, user):
    before = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"email": "owner@example.com", "password": PASSWORD, "csrf_token": before},
    )
    assert response.status_code == 302
    after = csrf_from(client.get("/settings").get_data(as_text=True))
    assert after != before
    # The token a visitor may have planted before the login is worth nothing now.
    refused = client.post(
        "/settings/account", data={"csrf_token": before, "weekly_goal": "3"}
    )
    assert refused.status_code == 400
    # Each login gets its own key: a second login is a second row.
    assert login_form(app.test_client(), "owner@example.com").status_code == 302
    with app.app_context():
        keys = db.session.execute(db.select(LoginSession.key_hash)).scalars().all()
    assert len(set(keys)) == 2


def live_tokens(app, user_id) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(db.func.count(ApiToken.id)).filter_by(
                user_id=user_id, revoked_at=None
            )
        ).scalar()


def test_changing_the_password_in_settings_revokes_api_tokens(
    app, client, owner, user, token_for
):
    token = token_for(user)
    page = owner.get("/settings/account").get_data(as_text=True)
    assert "revokes your API tokens" in page  # said before the change
    response = owner.form(
        "/settings/account",
        {"action": "password", "current": PASSWORD, "password": "a brand new pw"},
    )
    assert response.status_code == 302
    assert "API tokens were revoked" in owner.get("/settings/account").get_data(
        as_text=True
    )
    assert live_tokens(app, user) == 0
    headers = {"Authorization": f"Bearer {token}"}
    assert_api_error(client.get("/api/v1/me", headers=headers), 401)
    assert owner.get("/").status_code == 200  # this browser stays logged in


def test_resetting_the_password_with_the_cli_revokes_api_tokens(
    app, runner, user, token_for
):
    token_for(user)
    result = runner.invoke(
        args=["user", "password", "owner@example.com", "--password", "a new long pw"]
    )
    assert result.exit_code == 0, result.output
    assert "API tokens were revoked" in result.output
    assert live_tokens(app, user) == 0


# --- next= after login ----------------------------------------------------------------


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/settings%0d%0aSet-Cookie:%20x=1", "/"),
        ("/pe%0aople", "/"),
        ("/pe%09ople", "/"),
        ("/x%00y", "/"),
        ("/x%7fy", "/"),
        ("//[evil", "/"),
        ("http://[::1", "/"),
        ("https://other.example/settings", "/"),
        ("%0a/people%0a", "/people"),  # only surrounding blanks: trimmed
    ],
)
def test_a_next_with_control_characters_or_another_host_leads_home(
    client, user, target, expected
):
    response = login_form(client, "owner@example.com", next_=target)
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    again = client.get("/login?next=" + target)  # already logged in
    assert again.status_code == 302
    assert again.headers["Location"] == expected


# --- first-run setup -----------------------------------------------------------------


def setup_form(client, code, email="me@example.com"):
    page = client.get("/setup")
    return client.post(
        "/setup",
        data={
            "email": email,
            "password": "long enough pw",
            "timezone": "UTC",
            "setup_code": code,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )


@pytest.mark.parametrize("code", ["", "AAAA-BBBB-CCCC", "wrong"])
def test_setup_without_the_setup_code_makes_no_account(app, client, code):
    page = client.get("/setup").get_data(as_text=True)
    assert 'name="setup_code"' in page
    response = setup_form(client, code)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "not the setup code" in html and "setup-code" in html
    assert 'value="me@example.com"' in html  # what was typed is kept
    assert user_count(app) == 0


def test_setup_takes_the_code_in_any_case_with_or_without_dashes(
    app, client, setup_code
):
    typed = " " + setup_code.replace("-", " ").lower() + " "
    assert setup_form(client, typed).status_code == 302
    assert user_count(app) == 1


def test_wrong_setup_codes_are_rate_limited(app, client, setup_code):
    app.config["SETUP_CODE_RATE_LIMIT"] = "2 per minute"
    assert setup_form(client, "nope").status_code == 400
    assert setup_form(client, "nope again").status_code == 400
    response = setup_form(client, setup_code)
    assert response.status_code == 429
    assert "Too many tries" in response.get_data(as_text=True)
    assert user_count(app) == 0


def test_the_setup_code_is_stable_and_tied_to_the_secret_key(tmp_path, setup_code):
    from app import create_app
    from app.auth import setup_code as code_of

    def code_for(secret: str) -> str:
        other = create_app(
            {
                "SECRET_KEY": secret,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
            }
        )
        with other.app_context():
            return code_of()

    # Another worker, or a restart, with the same key: the same code.
    assert code_for("test-secret-key-0123456789") == setup_code
    assert code_for("another-secret-key-987654321") != setup_code


def test_the_cli_prints_the_setup_code_alone_on_its_last_line(
    runner, setup_code, make_user
):
    result = runner.invoke(args=["setup-code"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == setup_code
    make_user("owner@example.com")
    closed = runner.invoke(args=["setup-code"])
    assert closed.exit_code == 1 and "setup is closed" in closed.output


def test_make_runs_startup_hint_prints_the_setup_code_until_the_owner_exists(
    app, monkeypatch, capsys, setup_code, make_user
):
    import app as package
    from app import serve_hint

    monkeypatch.setattr(package, "create_app", lambda: app)
    serve_hint.main("5000")
    assert f"setup code {setup_code}" in capsys.readouterr().out
    make_user("owner@example.com")
    serve_hint.main("5000")
    assert setup_code not in capsys.readouterr().out


def test_simultaneous_first_run_setups_make_exactly_one_account(app, setup_code):
    """Eight phones submit the setup form at once: one owner, no error page."""
    clients = [app.test_client() for _ in range(8)]
    tokens = [csrf_from(c.get("/setup").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def submit(index: int) -> None:
        start.wait()
        response = clients[index].post(
            "/setup",
            data={
                "email": f"claimant{index}@example.com",
                "password": "long enough pw",
                "timezone": "UTC",
                "setup_code": setup_code,
                "csrf_token": tokens[index],
            },
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302] * 8  # the winner's Card page, or Log in
    assert user_count(app) == 1


def test_the_cli_creates_an_account_without_the_setup_code(app, runner):
    result = runner.invoke(
        args=["user", "create", "cli@example.com", "--password", "long enough pw"]
    )
    assert result.exit_code == 0, result.output
    assert user_count(app) == 1


def test_an_instance_emptied_by_deleting_its_account_can_be_set_up_again(
    app, login, make_user, setup_code
):
    only = login(make_user("only@example.com"))
    assert only.form("/settings/delete", {"password": PASSWORD}).status_code == 302
    assert setup_form(app.test_client(), setup_code).status_code == 302
    assert user_count(app) == 1


# --- rate limits --------------------------------------------------------------------


def test_sign_up_is_rate_limited(app, client, user):
    app.config.update(ALLOW_SIGNUP=True, SIGNUP_RATE_LIMIT="2 per minute")
    assert signup_form(client, "a@example.com").status_code == 302
    assert signup_form(app.test_client(), "short@example.com", "x").status_code == 400
    response = signup_form(app.test_client(), "c@example.com")
    assert response.status_code == 429
    assert "Too many tries" in response.get_data(as_text=True)
    assert user_count(app) == 2


def test_checking_the_current_password_is_rate_limited(app, owner):
    app.config["PASSWORD_CHECK_RATE_LIMIT"] = "2 per minute"
    wrong = {"action": "password", "current": "wrong", "password": "a brand new pw"}
    assert owner.form("/settings/account", wrong).status_code == 400
    assert owner.form("/settings/account", wrong).status_code == 400
    right = {**wrong, "current": PASSWORD}
    response = owner.form("/settings/account", right)
    assert response.status_code == 429
    assert "Too many tries" in response.get_data(as_text=True)
    # Other settings are saved as before.
    saved = owner.form(
        "/settings/account",
        {
            "timezone": "UTC",
            "followup_hour": "8",
            "default_region": "US",
            "weekly_goal": "2",
        },
    )
    assert saved.status_code == 302


def test_deleting_the_account_is_rate_limited(app, owner, user):
    app.config["DELETE_ACCOUNT_RATE_LIMIT"] = "2 per minute"
    for _ in range(2):
        assert owner.form("/settings/delete", {"password": "wrong"}).status_code == 400
    response = owner.form("/settings/delete", {"password": PASSWORD})
    assert response.status_code == 429
    assert "Too many tries" in response.get_data(as_text=True)
    assert user_count(app) == 1
