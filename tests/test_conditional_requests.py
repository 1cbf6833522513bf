"""Conditional requests still answer 304 when gzip made the ETag weak."""

from __future__ import annotations

import pytest

from tests.test_card import FULL_CARD


@pytest.fixture
def card_owner(api):
    api.put("/api/v1/card", json=FULL_CARD)
    return api


@pytest.mark.parametrize("path", ["/card/qr.svg?mode=vcard", "/card/qr.svg?mode=url"])
def test_qr_repeat_with_gzip_etag_answers_304(card_owner, owner, path):
    first = owner.get(path, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200
    etag = first.headers["ETag"]
    again = owner.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
