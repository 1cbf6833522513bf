"""The nudge scheduler starts with gunicorn, as `make run` serves Morrow."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from tests.load.server import Server
from tests.nudge_helpers import MailServer

pytestmark = pytest.mark.slow


def test_gunicorn_sends_the_morning_digest_with_no_cron(tmp_path):
    mail = MailServer()
    server = Server(tmp_path, workers=2, threads=2)
    server.env.update(
        MAIL_URL=mail.url,
        MAIL_FROM="morrow@example.org",
        PUBLIC_URL="https://morrow.example.org",
        NUDGE_INTERVAL="1",
    )
    try:
        server.start()
        met = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
        response = requests.post(
            server.url + "/api/v1/contacts",
            json={
                "name": "Ana Lima",
                "email": "ana@example.com",
                "met_at": met.isoformat(),
            },
            headers=server.headers(),
            timeout=10,
        )
        assert response.status_code == 201, response.text
        deadline = time.monotonic() + 20
        while not mail.messages and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(mail.messages) == 1, server.log()
        message = mail.messages[0]
        assert message["To"] == "load@example.com"
        assert message["Subject"] == "1 follow-up is ready"
        assert (
            "https://morrow.example.org/queue"
            in message.get_body(("plain",)).get_content()
        )
        time.sleep(3)  # both workers' threads keep looking: still one digest
        assert len(mail.messages) == 1
    finally:
        server.stop()
        mail.close()
