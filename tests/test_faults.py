"""Failures half-way through a write leave nothing half-saved; shared rate limits."""

from __future__ import annotations

import socket
import uuid

import pytest

from app.extensions import db
from app.models import Contact, FollowUp
from tests.conftest import assert_api_error


def test_failure_after_the_first_write_leaves_no_half_saved_person(
    app, api, monkeypatch
):
    import app.contacts as contacts

    def explode(contact, now):
        db.session.flush()  # the person and tags are written by now
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(contacts, "schedule_followups", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    capture = {
        "id": str(uuid.uuid4()),
        "name": "Half Saved",
        "email": "h@example.com",
        "promise": "send the deck",
        "tags": ["x"],
    }
    assert_api_error(api.post("/api/v1/contacts", json=capture), 500)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Contact.id))).scalar() == 0
        assert db.session.execute(db.select(db.func.count(FollowUp.id))).scalar() == 0
    monkeypatch.undo()
    # The phone retries; this time it lands, once, with its follow-ups.
    assert api.post("/api/v1/contacts", json=capture).status_code == 201
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Contact.id))).scalar() == 1
        assert db.session.execute(db.select(db.func.count(FollowUp.id))).scalar() == 2


def test_failure_while_scheduling_an_edit_keeps_the_saved_person(app, api, monkeypatch):
    import app.contacts as contacts

    capture = {"id": str(uuid.uuid4()), "name": "Kept Person", "email": "k@example.com"}
    assert api.post("/api/v1/contacts", json=capture).status_code == 201

    def explode(contact, now):
        db.session.flush()
        raise RuntimeError("boom")

    monkeypatch.setattr(contacts, "schedule_followups", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = api.patch(f"/api/v1/contacts/{capture['id']}", json={"company": "Acme"})
    assert_api_error(response, 500)
    monkeypatch.undo()
    person = api.get(f"/api/v1/contacts/{capture['id']}").get_json()
    assert person["name"] == "Kept Person" and person["company"] == ""


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(
    not redis_up(),
    reason="needs Redis on 127.0.0.1:6379 "
    "(apt-get install redis-server; .ci/run starts it)",
)
def test_rate_limits_in_redis_are_shared_by_several_app_servers(tmp_path, make_user):
    import redis

    from app import create_app
    from tests.conftest import PASSWORD, csrf_from

    prefix = f"morrow-test-{uuid.uuid4().hex}"
    servers = []
    for _ in range(2):
        server = create_app(
            {
                "SECRET_KEY": "shared-secret-key-0123456789",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.db'}",
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
                "RATELIMIT_KEY_PREFIX": prefix,
                "LOGIN_RATE_LIMIT": "4 per minute",
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            }
        )
        servers.append(server)
    with servers[0].app_context():
        db.create_all()
        from app.auth import create_user

        create_user("shared@example.com", PASSWORD, "UTC")
        db.session.commit()
    statuses = []
    try:
        for attempt in range(6):
            client = servers[attempt % 2].test_client()
            token = csrf_from(client.get("/login").get_data(as_text=True))
            response = client.post(
                "/login",
                data={
                    "email": "shared@example.com",
                    "password": "wrong",
                    "csrf_token": token,
                },
            )
            statuses.append(response.status_code)
    finally:
        connection = redis.Redis(host="127.0.0.1", port=6379)
        for key in connection.scan_iter(f"{prefix}*"):
            connection.delete(key)
        for server in servers:
            with server.app_context():
                db.engine.dispose()
    assert statuses[:4] == [401, 401, 401, 401]
    assert statuses[4:] == [429, 429]
