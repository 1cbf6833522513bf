"""The OCR process's messages on its Unix socket: a JSON header and raw bytes.

Each message is the header's length (4 bytes, big-endian), the header (JSON),
the payload's length (4 bytes) and the payload. Both sides use these two
functions; the standard library only, so importing it costs a web worker nothing.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

_LENGTH = struct.Struct(">I")
# Nothing larger is ever sent: a photo is refused above 10 MB before this.
MAX_PART = 64 * 1024 * 1024


class Closed(Exception):
    """The other side closed the connection before a whole message arrived."""


def send(sock: socket.socket, header: dict[str, Any], payload: bytes = b"") -> None:
    data = json.dumps(header).encode("utf-8")
    sock.sendall(_LENGTH.pack(len(data)) + data + _LENGTH.pack(len(payload)))
    if payload:
        sock.sendall(payload)


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise Closed(f"connection closed with {left} of {size} bytes to come")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _part(sock: socket.socket) -> bytes:
    (size,) = _LENGTH.unpack(_exactly(sock, _LENGTH.size))
    if size > MAX_PART:
        raise Closed(f"a message part of {size} bytes is too large")
    return _exactly(sock, size)


def receive(sock: socket.socket) -> tuple[dict[str, Any], bytes]:
    header = json.loads(_part(sock).decode("utf-8"))
    if not isinstance(header, dict):
        raise Closed("the message header is not an object")
    return header, _part(sock)
