"""What `make run` prints about where Morrow can be reached."""

from __future__ import annotations

import pytest

from app import serve_hint


@pytest.fixture(autouse=True)
def on_wifi(monkeypatch):
    monkeypatch.setattr(serve_hint, "lan_address", lambda: "192.168.1.20")
    monkeypatch.setattr(serve_hint, "setup_code_if_unclaimed", lambda: None)


def test_every_interface_names_the_phones_address(capsys):
    serve_hint.main("5111", "0.0.0.0")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:5111" in out
    assert "From a phone on the same Wi-Fi: http://192.168.1.20:5111" in out


def test_loopback_only_promises_no_phone_address(capsys):
    serve_hint.main("5111", "127.0.0.1")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:5111" in out
    assert "192.168.1.20" not in out and "Only this machine" in out


def test_the_port_alone_means_every_interface(capsys):
    serve_hint.main("5000")
    assert "http://192.168.1.20:5000" in capsys.readouterr().out
