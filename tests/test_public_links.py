"""Links Morrow hands out when PUBLIC_URL is unset: a notice, and no dead card link."""

from __future__ import annotations

import datetime as dt

import pytest

from app.cards import is_local_host
from tests.conftest import DUE

LAPTOP = "http://127.0.0.1:5111"
PUBLIC = "https://morrow.example.org"
CARD = {
    "first_name": "Lucja",
    "last_name": "Nowak",
    "email": "lucja@example.com",
    "slug": "lucja",
    "public_fields": ["first_name", "last_name", "email"],
}


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:5111",
        "127.8.9.1",
        "localhost:5000",
        "[::1]:5000",
        "10.1.2.3",
        "172.16.0.5:5000",
        "172.31.255.254",
        "192.168.1.20:5000",
        "169.254.3.4",
        "[fd12:3456::1]",
        "[fe80::1]:5000",
        "my-laptop.local:5000",
        "[::ffff:192.168.1.2]",
    ],
)
def test_loopback_and_private_hosts_are_local(host):
    assert is_local_host(host)


@pytest.mark.parametrize(
    "host",
    [
        "morrow.example.org",
        "morrow.example.org:8443",
        "203.0.114.7",
        "172.32.0.1",
        "11.0.0.1",
        "[2a00:1450::1]",
        "localhost.example.org",
    ],
)
def test_public_hosts_are_not_local(host):
    assert not is_local_host(host)


@pytest.fixture
def due(api, user, meet, clock):
    """A published card and one thank-you due now."""
    assert api.put("/api/v1/card", json=CARD).status_code == 200
    meet(user, name="Ana Lima", email="ana@example.com")
    clock.set(DUE + dt.timedelta(hours=1))


def api_draft(api, base_url: str) -> str:
    response = api.get("/api/v1/followups", base_url=base_url)
    assert response.status_code == 200, response.data
    (item,) = response.get_json()["items"]
    return item["draft"]["body"]


def test_api_drafts_leave_the_card_link_out_on_a_loopback_host(due, api):
    assert "/c/lucja" not in api_draft(api, LAPTOP)
    assert "127.0.0.1" not in api_draft(api, LAPTOP)


def test_api_drafts_link_the_card_on_a_public_host(due, api):
    assert f"{PUBLIC}/c/lucja" in api_draft(api, PUBLIC)


def test_api_drafts_use_public_url_whatever_the_host(due, api, app):
    app.config["PUBLIC_URL"] = "https://cards.example.net"
    assert "https://cards.example.net/c/lucja" in api_draft(api, LAPTOP)
    assert "https://cards.example.net/c/lucja" in api_draft(api, PUBLIC)


def page(owner, path: str, host: str) -> str:
    # The test client keeps cookies per domain: carry the login over to `host`.
    for name in ("session", "remember_token"):
        cookie = owner.client.get_cookie(name)
        if cookie is not None:
            owner.client.set_cookie(name, cookie.value, domain=host.split(":")[0])
    response = owner.get(path, headers={"Host": host})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_queue_drafts_and_notice_follow_the_host_and_public_url(due, owner, app):
    local = page(owner, "/queue", "127.0.0.1:5111")
    assert "Hi Ana" in local and "/c/lucja" not in local
    assert "data-public-url-notice" in local and "PUBLIC_URL" in local

    public = page(owner, "/queue", "morrow.example.org")
    assert "http://morrow.example.org/c/lucja" in public
    assert "data-public-url-notice" not in public

    app.config["PUBLIC_URL"] = "https://cards.example.net"
    configured = page(owner, "/queue", "127.0.0.1:5111")
    assert "https://cards.example.net/c/lucja" in configured
    assert "data-public-url-notice" not in configured


@pytest.mark.parametrize("path", ["/", "/card", "/queue"])
def test_home_card_and_queue_name_public_url_on_a_local_host(owner, app, path):
    html = page(owner, path, "192.168.1.20:5000")
    assert "data-public-url-notice" in html
    notice = html.split("data-public-url-notice", 1)[1].split("</div>", 1)[0]
    assert "<code>PUBLIC_URL</code>" in notice
    for what in ("drafts", "QR code", "calendar feed", "vCards"):
        assert what in notice

    # One folded line where it is seen every day; open where the card is shown.
    assert ('<details class="public-url-notice" open>' in notice) == (path == "/card")

    assert "data-public-url-notice" not in page(owner, path, "morrow.example.org")
    app.config["PUBLIC_URL"] = PUBLIC
    assert "data-public-url-notice" not in page(owner, path, "192.168.1.20:5000")


def test_the_feeds_queue_link_uses_public_url(app, client, user, meet):
    from app.extensions import db
    from app.models import User

    meet(user)
    with app.app_context():
        token = db.session.get(User, user).feed_token
    app.config["PUBLIC_URL"] = PUBLIC
    # Behind a proxy without PROXY_FIX the request names the app server's address.
    text = client.get(f"/feed/{token}.ics", headers={"Host": "127.0.0.1:8000"}).text
    assert f"URL:{PUBLIC}/queue" in text and "127.0.0.1" not in text
