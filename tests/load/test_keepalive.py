"""A keep-alive connection survives a refused body, under gunicorn as `make run` serves it.

gunicorn drains only 64 KB of a body the application left unread and then
closes the connection without answering the next request on it. The API reads
and drops what it refused, so the next request on the same connection is
answered.
"""

from __future__ import annotations

import http.client
import json

import pytest

from tests.load.server import Server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("keepalive"), workers=1, threads=2)
    running.start()
    yield running
    running.stop()


@pytest.mark.parametrize("size", [70_000, 1_000_000, 5_000_000])
def test_after_a_413_the_next_request_on_the_connection_is_answered(server, size):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for _ in range(3):
            body = json.dumps({"name": "x" * size}).encode()
            headers = {**server.headers(), "Content-Type": "application/json"}
            connection.request("POST", "/api/v1/contacts", body=body, headers=headers)
            refused = connection.getresponse()
            assert refused.status == 413
            assert json.loads(refused.read())["error"]["code"] == "too_large"
            connection.request("GET", "/api/v1/me", headers=server.headers())
            answer = connection.getresponse()
            assert answer.status == 200, server.log()[-2000:]
            assert json.loads(answer.read())["email"] == "load@example.com"
    finally:
        connection.close()
