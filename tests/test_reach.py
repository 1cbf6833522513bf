"""The page's reach hint (static/js/reach.js) and the server's rule agree.

contacts.reach_kind decides whether a typed text is an email, a phone, a
LinkedIn profile or a link; the Capture page guesses the same while typing.
Both are run on every input of tests/reach_inputs.json.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.contacts import classify_reach, reach_kind

HERE = Path(__file__).resolve().parent
INPUTS = HERE / "reach_inputs.json"


def test_the_page_and_the_server_classify_every_input_alike():
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "node is missing: install Node 20 (the page's reach hint runs under it)"
        )
    inputs = json.loads(INPUTS.read_text())
    result = subprocess.run(
        [node, "--no-warnings", str(HERE / "reach_classify.mjs"), str(INPUTS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    page = json.loads(result.stdout)
    server = [reach_kind(text) for text in inputs]
    differing = [
        (t, p, s) for t, p, s in zip(inputs, page, server, strict=True) if p != s
    ]
    assert differing == []
    assert {"email", "phone", "linkedin", "website", ""} <= set(server)


def test_classify_reach_cleans_by_the_kind_it_finds():
    assert classify_reach("0151 23456789", "DE") == ("phone", "+4915123456789")
    assert classify_reach("linkedin.com/in/jane", "DE") == (
        "linkedin",
        "https://www.linkedin.com/in/jane",
    )
    assert classify_reach("example.com", "DE") == ("website", "https://example.com")
    assert classify_reach("  ", "DE") == ("", "")
