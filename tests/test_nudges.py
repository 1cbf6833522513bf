"""Morning nudges: when they go, what they say, and that each goes once."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from zoneinfo import ZoneInfo

import pytest

from app import nudges, push
from app.extensions import db
from app.models import Contact, FollowUp, Nudge, PushSubscription, User
from app.scheduling import schedule_followups
from tests.conftest import DUE, MET, PASSWORD, assert_api_error
from tests.nudge_helpers import Device, MailServer, PushService, verify_vapid

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def push_service(app):
    service = PushService()
    app.config["PUSH_ALLOWED_HOSTS"] = ["127.0.0.1"]
    yield service
    service.close()


@pytest.fixture
def mail_server(app):
    server = MailServer()
    app.config.update(
        MAIL_URL=server.url,
        MAIL_FROM="morrow@example.org",
        PUBLIC_URL="https://morrow.example.org",
    )
    yield server
    server.close()


@pytest.fixture
def device(api, push_service) -> Device:
    """The owner's phone, subscribed to nudges."""
    phone = Device(push_service.base + "/phone")
    response = api.post("/api/v1/push-subscriptions", json=phone.subscription())
    assert response.status_code == 201, response.get_json()
    return phone


def run(app, clock) -> nudges.RunReport:
    with app.app_context():
        return nudges.run_due(clock())


def nudge_rows(app) -> list[tuple]:
    with app.app_context():
        return [
            (n.user_id, n.channel, n.day, n.status)
            for n in db.session.execute(db.select(Nudge).order_by(Nudge.id)).scalars()
        ]


# --- what a nudge carries ----------------------------------------------------


def test_push_nudge_arrives_signed_and_encrypted_at_the_followup_hour(
    app, user, meet, clock, push_service, device
):
    meet(user, promise="the slides")
    clock.set(DUE - MINUTE)
    run(app, clock)
    assert push_service.received == []
    clock.set(DUE)
    run(app, clock)
    (pushed,) = push_service.received
    assert pushed["headers"]["content-encoding"] == "aes128gcm"
    with app.app_context():
        key = push.public_key()
    claims = verify_vapid(pushed["headers"], key, push_service.base)
    assert claims["exp"] > DUE.timestamp()
    assert device.decrypt(pushed["body"]) == {
        "title": "Morrow",
        "body": "2 follow-ups are ready",
        "url": "/queue",
        "tag": "morrow-nudge",
    }


def test_push_names_the_event_the_people_share(
    app, api, user, meet, clock, push_service, device
):
    event = api.post(
        "/api/v1/events", json={"name": "PyData Berlin", "date": "2026-11-20"}
    ).get_json()
    for n in range(3):
        meet(user, name=f"P {n}", email=f"p{n}@example.com", event_id=event["id"])
    clock.set(DUE)
    run(app, clock)
    body = device.decrypt(push_service.received[0]["body"])["body"]
    assert body == "3 follow-ups from PyData Berlin are ready"


def test_email_digest_lists_people_drafts_and_the_absolute_queue_link(
    app, user, meet, clock, mail_server
):
    meet(user, promise="the slides")
    meet(user, name="Ben <b>Okafor</b>", email="ben@example.com")
    clock.set(DUE)
    run(app, clock)
    (message,) = mail_server.messages
    assert message["To"] == "owner@example.com"
    assert "morrow@example.org" in message["From"]
    assert message["Subject"] == "3 follow-ups are ready"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Ana Lima (Promise)" in text and "Ben <b>Okafor</b>" in text
    assert "Hi Ana" in text  # the first lines of the draft
    assert "https://morrow.example.org/queue" in text
    assert 'href="https://morrow.example.org/queue"' in html
    assert "Ben &lt;b&gt;Okafor&lt;/b&gt;" in html and "<b>Okafor" not in html


def test_without_public_url_the_digest_says_open_morrow_not_a_dead_link(
    app, user, meet, clock, mail_server
):
    app.config["PUBLIC_URL"] = None
    meet(user, promise="the slides")
    clock.set(DUE)
    run(app, clock)
    (message,) = mail_server.messages
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Open Morrow to clear your queue." in text
    assert "Open Morrow to clear your queue." in html
    for body in (text, html):
        assert "localhost" not in body and "/queue" not in body


@pytest.mark.parametrize(
    ("host", "link"),
    [("morrow.example.net", "https://morrow.example.net/queue"), ("10.0.0.5", None)],
)
def test_a_test_digest_links_to_the_host_it_was_asked_from_when_others_reach_it(
    app, user, clock, mail_server, host, link
):
    from app.models import User

    app.config["PUBLIC_URL"] = None
    with app.test_request_context(
        "/settings/notifications", base_url=f"https://{host}"
    ):
        owner = db.session.get(User, user)
        assert nudges.send_test(owner, clock())[0]
    text = mail_server.messages[0].get_body(("plain",)).get_content()
    if link:
        assert f"Open your queue: {link}" in text
    else:
        assert "Open Morrow to clear your queue." in text and host not in text


def test_email_nudges_can_be_turned_off(app, api, user, meet, clock, mail_server):
    assert api.get("/api/v1/me").get_json()["nudge_email"] is True
    response = api.patch("/api/v1/me", json={"nudge_email": False})
    assert response.get_json()["nudge_email"] is False
    assert_api_error(
        api.patch("/api/v1/me", json={"nudge_email": "no"}), 400, field="nudge_email"
    )
    meet(user)
    clock.set(DUE)
    run(app, clock)
    assert mail_server.messages == []


def test_email_nudges_are_off_without_a_mail_server(api):
    assert api.get("/api/v1/me").get_json()["nudge_email"] is False


# --- when ---------------------------------------------------------------------


def test_nothing_is_sent_when_nothing_is_due(
    app, user, clock, push_service, device, mail_server
):
    clock.set(DUE)
    run(app, clock)
    assert push_service.received == [] and mail_server.messages == []
    assert nudge_rows(app) == []


def test_a_second_run_sends_no_second_nudge(
    app, user, meet, clock, push_service, device, mail_server
):
    meet(user)
    clock.set(DUE + MINUTE)
    run(app, clock)
    clock.advance(hours=2)
    meet(user, name="Later Person", email="later@example.com", met_at=MET)
    clock.set(DUE + dt.timedelta(hours=2))
    run(app, clock)
    assert len(push_service.received) == 1 and len(mail_server.messages) == 1
    assert sorted(row[1] for row in nudge_rows(app)) == ["email", "push"]


def test_the_next_morning_gets_its_own_nudge(
    app, user, meet, clock, push_service, device
):
    meet(user)
    clock.set(DUE)
    run(app, clock)
    clock.set(DUE + dt.timedelta(days=1))
    run(app, clock)  # still pending the next morning: nudged again
    assert len(push_service.received) == 2


def test_a_capture_after_the_hour_nudges_at_once(
    app, user, clock, push_service, device
):
    # 15:00 in Berlin on the 21st, nothing due this morning: a person met the
    # evening before is captured now, and their thank-you is due at once.
    afternoon = dt.datetime(2026, 11, 21, 14, 0, tzinfo=dt.UTC)
    clock.set(afternoon)
    run(app, clock)
    assert push_service.received == []
    with app.app_context():
        contact = Contact(
            user_id=user, name="Late Capture", email="late@example.com", met_at=MET
        )
        db.session.add(contact)
        db.session.flush()
        schedule_followups(contact, now=afternoon)
        db.session.commit()
    run(app, clock)
    assert len(push_service.received) == 1


def test_snoozed_followups_join_the_next_mornings_nudge(
    app, api, user, meet, clock, push_service, device
):
    meet(user)
    clock.set(DUE)
    (item,) = api.get("/api/v1/followups").get_json()["items"]
    # Snoozed to 15:00 Berlin today, before this morning's nudge went.
    api.post(
        f"/api/v1/followups/{item['id']}/snooze",
        json={"until": "2026-11-21T15:00:00+01:00"},
    )
    run(app, clock)
    clock.set(dt.datetime(2026, 11, 21, 14, 1, tzinfo=dt.UTC))
    run(app, clock)
    assert push_service.received == [], "back from a snooze: no nudge of its own"
    clock.set(DUE + dt.timedelta(days=1) - MINUTE)
    run(app, clock)
    assert push_service.received == []
    clock.set(DUE + dt.timedelta(days=1))
    run(app, clock)
    (pushed,) = push_service.received
    assert device.decrypt(pushed["body"])["body"] == "1 follow-up is ready"


@pytest.mark.parametrize(
    ("zone", "met_day", "hour", "expected"),
    [
        # Clocks go forward on 29 March in Berlin: 09:00 is CEST (UTC+2).
        ("Europe/Berlin", dt.date(2026, 3, 28), 9, dt.datetime(2026, 3, 29, 7, 0)),
        # 02:00 does not exist that night: the hour after the gap, 03:00 CEST.
        ("Europe/Berlin", dt.date(2026, 3, 28), 2, dt.datetime(2026, 3, 29, 1, 0)),
        # Clocks go back on 25 October: 09:00 is CET (UTC+1) again.
        ("Europe/Berlin", dt.date(2026, 10, 24), 9, dt.datetime(2026, 10, 25, 8, 0)),
        # 02:00 comes twice that night: the first one, still CEST.
        ("Europe/Berlin", dt.date(2026, 10, 24), 2, dt.datetime(2026, 10, 25, 0, 0)),
        ("America/New_York", dt.date(2026, 3, 7), 9, dt.datetime(2026, 3, 8, 13, 0)),
        ("America/New_York", dt.date(2026, 10, 31), 9, dt.datetime(2026, 11, 1, 14)),
    ],
)
def test_nudges_come_at_the_local_hour_across_daylight_saving_changes(
    app, make_user, login, clock, push_service, zone, met_day, hour, expected
):
    owner_id = make_user("dst@example.com", timezone=zone, followup_hour=hour)
    phone = Device(push_service.base + "/dst")
    assert (
        login(owner_id)
        .post("/api/v1/push-subscriptions", json=phone.subscription())
        .status_code
        == 201
    )
    met_at = dt.datetime.combine(met_day, dt.time(19), tzinfo=ZoneInfo(zone))
    with app.app_context():
        contact = Contact(user_id=owner_id, name="Dee", email="d@example.com")
        contact.met_at = met_at
        db.session.add(contact)
        db.session.flush()
        schedule_followups(contact, now=met_at)
        db.session.commit()
    expected = expected.replace(tzinfo=dt.UTC)
    clock.set(expected - MINUTE)
    run(app, clock)
    assert push_service.received == []
    clock.set(expected + MINUTE)
    run(app, clock)
    assert len(push_service.received) == 1
    assert [(r[2], r[3]) for r in nudge_rows(app)] == [
        (met_day + dt.timedelta(1), "sent")
    ]


# --- exactly once ---------------------------------------------------------------


def test_two_runners_at_once_send_each_nudge_once(
    app, make_user, login, clock, push_service, mail_server
):
    owners = [make_user(f"o{n}@example.com") for n in range(4)]
    for n, owner_id in enumerate(owners):
        phone = Device(push_service.base + f"/o{n}")
        login(owner_id).post("/api/v1/push-subscriptions", json=phone.subscription())
        with app.app_context():
            contact = Contact(user_id=owner_id, name=f"P{n}", email=f"p{n}@x.org")
            contact.met_at = MET
            db.session.add(contact)
            db.session.flush()
            schedule_followups(contact, now=MET)
            db.session.commit()
    clock.set(DUE + dt.timedelta(hours=1))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def runner():
        try:
            with app.app_context():  # each thread: its own session and connection
                start.wait()
                nudges.run_due(clock())
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    run(app, clock)  # whatever a busy database made one runner skip
    assert sorted(r["path"] for r in push_service.received) == [
        f"/o{n}" for n in range(4)
    ]
    assert sorted(m["To"] for m in mail_server.messages) == [
        f"o{n}@example.com" for n in range(4)
    ]
    rows = nudge_rows(app)
    assert len(rows) == 8 and {r[3] for r in rows} == {"sent"}


def test_the_unique_key_refuses_a_second_claim(app, user):
    day = dt.date(2026, 11, 21)
    with app.app_context():
        assert nudges._claim_new(user, "push", day, DUE) is not None
        db.session.commit()
        assert nudges._claim_new(user, "push", day, DUE) is None
        assert nudges._claim_new(user, "email", day, DUE) is not None
        db.session.commit()


def test_due_nudges_are_found_with_one_query_per_owner_beside_three_shared(
    app, user, make_user, meet, clock, device, mail_server, count_queries
):
    others = [make_user(f"o{i}@example.com", timezone="Europe/Berlin") for i in (1, 2)]
    for owner in (user, *others):
        meet(owner)
    day = dt.date(2026, 11, 21)
    with app.app_context():
        nudges._claim_new(user, "push", day, DUE)  # this morning's push is taken
        db.session.commit()
    clock.set(DUE)
    with app.app_context(), count_queries() as statements:
        jobs = nudges._due_jobs(clock())
    assert sorted(jobs) == sorted([(o, "email", day) for o in (user, *others)])
    # owners, their devices and their claims once; whether each is due, per owner
    assert len(statements) == 3 + 3


# --- failures --------------------------------------------------------------------


def test_a_failing_device_is_retried_then_shown_and_others_still_get_theirs(
    app, api, user, make_user, login, meet, clock, push_service, owner
):
    broken = Device(push_service.base + "/broken")
    push_service.status["/broken"] = 500
    api.post("/api/v1/push-subscriptions", json=broken.subscription())
    other = make_user("fine@example.com", timezone="Europe/Berlin")
    fine = Device(push_service.base + "/fine")
    login(other).post("/api/v1/push-subscriptions", json=fine.subscription())
    meet(user)
    meet(other, name="Someone", email="someone@example.com")
    clock.set(DUE)
    report = run(app, clock)
    assert (report.sent, report.retrying) == (1, 1)
    assert len(push_service.to("/fine")) == 1
    run(app, clock)
    assert len(push_service.to("/broken")) == 1, "not before its backoff"
    for wait in nudges.BACKOFF:
        clock.advance(seconds=wait.total_seconds())
        run(app, clock)
    assert len(push_service.to("/broken")) == nudges.MAX_ATTEMPTS
    clock.advance(hours=2)
    run(app, clock)
    assert len(push_service.to("/broken")) == nudges.MAX_ATTEMPTS
    assert len(push_service.to("/fine")) == 1
    page = owner.get("/settings/notifications").get_data(as_text=True)
    assert "Last push nudge failed: the push service answered 500" in page


def test_a_retry_that_succeeds_clears_the_failure(
    app, user, meet, clock, push_service, device, owner
):
    push_service.status["/phone"] = 503
    meet(user)
    clock.set(DUE)
    run(app, clock)
    push_service.status["/phone"] = 201
    clock.advance(seconds=nudges.BACKOFF[0].total_seconds())
    run(app, clock)
    assert len(push_service.received) == 2
    assert nudge_rows(app)[0][3] == "sent"
    assert "failed" not in owner.get("/settings/notifications").get_data(as_text=True)


def test_a_gone_subscription_is_deleted(app, user, meet, clock, push_service, device):
    push_service.status["/phone"] = 410
    meet(user)
    clock.set(DUE)
    run(app, clock)
    with app.app_context():
        assert db.session.execute(db.select(PushSubscription)).first() is None
        assert db.session.execute(db.select(Nudge.status)).scalar_one() == "failed"


def test_an_unreachable_mail_server_is_retried(app, user, meet, clock):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
    meet(user)
    clock.set(DUE)
    report = run(app, clock)
    assert report.retrying == 1
    with app.app_context():
        nudge = db.session.execute(db.select(Nudge)).scalar_one()
        assert "could not be reached" in nudge.last_error
        assert nudge.next_attempt_at == DUE + nudges.BACKOFF[0]


# --- subscriptions ---------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://push.example.com/send/abc",
        "https://127.0.0.1/send/abc",
        "https://10.0.0.1/send/abc",
        "https://[::1]/send/abc",
        "https://169.254.169.254/latest",
        "ftp://push.example.com/x",
    ],
)
def test_endpoints_the_server_must_not_post_to_are_422(api, endpoint):
    device = Device(endpoint)
    response = api.post("/api/v1/push-subscriptions", json=device.subscription())
    assert_api_error(response, 422, field="endpoint")


def test_a_host_resolving_to_a_private_address_is_refused(api, monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443))
        ],
    )
    device = Device("https://push.example.com/send/abc")
    response = api.post("/api/v1/push-subscriptions", json=device.subscription())
    assert_api_error(response, 422, field="endpoint")


def test_public_endpoints_are_stored_once_per_device_and_removed(app, api, monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("142.250.74.10", 443))
        ],
    )
    phone = Device("https://fcm.googleapis.com/fcm/send/abc")
    laptop = Device("https://updates.push.services.mozilla.com/wpush/v2/xyz")
    first = api.post("/api/v1/push-subscriptions", json=phone.subscription())
    assert first.status_code == 201
    assert first.get_json()["endpoint"] == phone.endpoint
    again = api.post("/api/v1/push-subscriptions", json=phone.subscription())
    assert again.status_code == 200
    assert (
        api.post("/api/v1/push-subscriptions", json=laptop.subscription()).status_code
        == 201
    )
    with app.app_context():
        assert (
            db.session.execute(db.select(db.func.count(PushSubscription.id))).scalar()
            == 2
        )
    gone = api.delete("/api/v1/push-subscriptions", json={"endpoint": phone.endpoint})
    assert gone.status_code == 204
    with app.app_context():
        (left,) = db.session.execute(db.select(PushSubscription.endpoint)).scalars()
        assert left == laptop.endpoint


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "endpoint"),
        ({"endpoint": "https://push.example.com/x"}, "keys"),
        (
            {
                "endpoint": "https://push.example.com/x",
                "keys": {"p256dh": "AAAA", "auth": "AAAA"},
            },
            "keys.p256dh",
        ),
    ],
)
def test_malformed_subscriptions_are_400(api, body, field):
    response = api.post("/api/v1/push-subscriptions", json=body)
    assert_api_error(response, 400, field=field)


# --- Settings and the CLI ------------------------------------------------------------


def test_settings_test_nudge_says_where_it_went(
    app, owner, push_service, device, mail_server
):
    page = owner.get("/settings/notifications").get_data(as_text=True)
    assert "Notify me on this phone" in page
    with app.app_context():
        assert f'data-vapid-key="{push.public_key()}"' in page
    response = owner.form("/settings/notifications", {"action": "test"})
    text = response.get_data(as_text=True)
    assert "Sent to 1 device and to owner@example.com." in text
    assert len(push_service.received) == 1 and len(mail_server.messages) == 1
    assert mail_server.messages[0]["Subject"].startswith("Test: ")


def test_settings_test_nudge_says_what_failed(app, owner, push_service, device):
    push_service.status["/phone"] = 500
    response = owner.form("/settings/notifications", {"action": "test"})
    text = response.get_data(as_text=True)
    assert "Nothing was sent. A device failed: the push service answered 500." in text


def test_settings_test_nudge_with_no_device_and_no_mail_says_so(app, owner):
    response = owner.form("/settings/notifications", {"action": "test"})
    text = response.get_data(as_text=True)
    assert "Nothing to send to: turn on notifications on this phone." in text


def test_settings_turn_email_nudges_off(app, owner, user, mail_server):
    response = owner.form("/settings/notifications", {})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user).nudge_email is False


def test_cli_nudge_sends_what_is_due(app, user, meet, clock, mail_server):
    meet(user)
    clock.set(DUE)
    result = app.test_cli_runner().invoke(args=["nudge"])
    assert result.exit_code == 0, result.output
    assert "1 nudges sent" in result.output
    assert len(mail_server.messages) == 1
    again = app.test_cli_runner().invoke(args=["nudge"])
    assert "0 nudges sent" in again.output and len(mail_server.messages) == 1


def test_deleting_the_account_removes_its_devices_and_nudges(
    app, owner, user, meet, clock, push_service, device
):
    meet(user)
    clock.set(DUE)
    run(app, clock)
    owner.form("/settings/delete", {"password": PASSWORD})
    with app.app_context():
        assert db.session.execute(db.select(PushSubscription)).first() is None
        assert db.session.execute(db.select(Nudge)).first() is None
        assert db.session.execute(db.select(FollowUp)).first() is None


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"MAIL_URL": "http://mail.example.com"}, "MAIL_URL"),
        ({"MAIL_URL": "smtp://mail.example.com:port"}, "MAIL_URL"),
        ({"MAIL_FROM": "not an address"}, "MAIL_FROM"),
        ({"NUDGE_INTERVAL": "soon"}, "NUDGE_INTERVAL"),
    ],
)
def test_bad_nudge_settings_stop_startup_with_their_name(env, name, tmp_path):
    from app.config import ConfigError, from_environment

    with pytest.raises(ConfigError, match=name):
        from_environment(env, str(tmp_path))


def test_nudge_settings_are_read_from_the_environment(tmp_path):
    from app.config import from_environment

    config = from_environment(
        {
            "MAIL_URL": "smtps://me%40example.org:pw@mail.example.org",
            "PUSH_ALLOWED_HOSTS": " push.internal , 127.0.0.1,",
            "NUDGE_INTERVAL": "0",
        },
        str(tmp_path),
    )
    assert config["PUSH_ALLOWED_HOSTS"] == ["push.internal", "127.0.0.1"]
    assert config["NUDGE_INTERVAL"] == 0
    assert config["MAIL_URL"].startswith("smtps://")


def test_the_scheduler_starts_only_when_gunicorn_asks(app, runner):
    from app import nudge_scheduler

    runner.invoke(args=["nudge"])
    assert "morrow-nudges" not in {t.name for t in threading.enumerate()}
    app.config["NUDGE_INTERVAL"] = 0
    assert nudge_scheduler.start(app) is None


def test_gunicorns_worker_hook_starts_the_scheduler_and_one_worker_holds_the_lock(
    app, monkeypatch, tmp_path
):
    import os
    import runpy
    from pathlib import Path
    from types import SimpleNamespace

    from app import nudge_scheduler

    ran = threading.Event()
    monkeypatch.setattr(nudge_scheduler, "_loop", lambda app, interval: ran.set())
    app.config["NUDGE_INTERVAL"] = 60
    conf = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))
    conf["post_worker_init"](SimpleNamespace(wsgi=app))
    assert ran.wait(5), "the worker's scheduler thread did not start"
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    first = nudge_scheduler._try_lock(str(tmp_path), url)
    assert first is not None
    try:
        assert nudge_scheduler._try_lock(str(tmp_path), url) is None, "a second holder"
    finally:
        os.close(first)
    second = nudge_scheduler._try_lock(str(tmp_path), url)
    assert second is not None, "the lock passes on once its holder is gone"
    os.close(second)


def test_two_morrows_of_one_checkout_with_two_databases_each_send_nudges(
    monkeypatch, tmp_path
):
    """One instance/ folder, two databases: each has its own sender."""
    import os
    from types import SimpleNamespace

    from app import nudge_scheduler

    one, other = "sqlite:////srv/a.sqlite3", "postgresql+psycopg://m@db/morrow"
    first = nudge_scheduler._try_lock(str(tmp_path), one)
    assert first is not None
    try:
        second = nudge_scheduler._try_lock(str(tmp_path), other)
        assert second is not None, "the second database found no lock to take"
        os.close(second)
        assert nudge_scheduler._try_lock(str(tmp_path), one) is None
    finally:
        os.close(first)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(map(nudge_scheduler.lock_file, (one, other)))

    # The scheduler's loop takes the lock of its own app's database.
    taken: list[tuple[str, str]] = []

    class Stop(Exception):
        pass

    def take(path, url):
        taken.append((path, url))
        raise Stop

    monkeypatch.setattr(nudge_scheduler, "_try_lock", take)
    app = SimpleNamespace(
        instance_path=str(tmp_path), config={"SQLALCHEMY_DATABASE_URI": other}
    )
    with pytest.raises(Stop):
        nudge_scheduler._loop(app, 60)
    assert taken == [(str(tmp_path), other)]


def test_a_run_gathers_each_owners_morning_once_for_every_channel(
    app, api, user, meet, clock, push_service, device, mail_server, monkeypatch
):
    second = Device(push_service.base + "/tablet")
    answer = api.post("/api/v1/push-subscriptions", json=second.subscription())
    assert answer.status_code == 201, answer.get_json()
    meet(user, promise="the slides")
    gathered: list[int] = []
    sessions: list[object] = []
    real_gather, real_session = nudges.gather, push._no_redirects

    def counting_gather(owner, now):
        gathered.append(owner.id)
        return real_gather(owner, now)

    def counting_session():
        sessions.append(real_session())
        return sessions[-1]

    monkeypatch.setattr(nudges, "gather", counting_gather)
    monkeypatch.setattr(push, "_no_redirects", counting_session)
    clock.set(DUE)
    report = run(app, clock)
    assert report.sent == 2  # push and e-mail
    assert len(push_service.received) == 2 and len(mail_server.messages) == 1
    assert gathered == [user]
    # One HTTP session for both devices, each push signed for its own audience.
    assert len(sessions) == 1
    with app.app_context():
        key = push.public_key()
    for pushed in push_service.received:
        assert verify_vapid(pushed["headers"], key, push_service.base)["exp"]
