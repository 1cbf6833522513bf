"""The OCR process: `python -m app.card_reading.server SOCKET_PATH`.

Started by the first web worker that needs to read a card (client.py), shared
by all of them through a Unix socket, and gone after MORROW_OCR_IDLE seconds
(default 600) without work, which gives its memory back. The engines load
once, before the socket opens, so a worker that can connect can be answered.

Cards are read one at a time: a connection waits its turn on a lock, and when
more than MAX_WAITING are waiting the next is told the reader is busy, so a
crowd of photos queues briefly instead of piling up.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import traceback

from . import wire
from .engines import BadImage, Engines

MAX_WAITING = 6


class Server:
    def __init__(self, path: str, engines: Engines, idle: float) -> None:
        self.path = path
        self.engines = engines
        self.idle = idle
        self.turn = threading.Lock()
        self.count_lock = threading.Lock()
        self.waiting = 0
        self.last_used = time.monotonic()

    def serve(self) -> None:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(self.path):
            os.unlink(self.path)
        umask = os.umask(0o177)  # created 0600: no moment open to other users
        try:
            listener.bind(self.path)
        finally:
            os.umask(umask)
        os.chmod(self.path, 0o600)
        listener.listen(32)
        listener.settimeout(1.0)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        with os.fdopen(os.open(self.path + ".pid", flags, 0o600), "w") as pid_file:
            pid_file.write(str(os.getpid()))
        while not self._idle_too_long():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()
        # Leave: new workers start a new process; those already queued are read.
        os.unlink(self.path)
        self._forget_pid()
        listener.settimeout(0.2)
        while True:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                break
            self.handle(conn)
        listener.close()

    def _forget_pid(self) -> None:
        """Remove the pid file, unless a newer process has written its own."""
        try:
            with open(self.path + ".pid") as pid_file:
                if pid_file.read().strip() == str(os.getpid()):
                    os.unlink(self.path + ".pid")
        except FileNotFoundError:
            pass

    def _idle_too_long(self) -> bool:
        with self.count_lock:
            busy = self.waiting > 0
        return not busy and time.monotonic() - self.last_used > self.idle

    def handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                header, payload = wire.receive(conn)
            except (wire.Closed, OSError, ValueError, RecursionError):
                return  # RecursionError: a header of JSON nested too deep
            if header.get("op") == "ping":
                try:
                    wire.send(conn, {"ok": True, "pid": os.getpid()})
                except OSError:
                    pass  # the asker has left
                return
            region = str(header.get("region") or "")[:8]
            try:
                answer = self.read(conn, payload, region, bool(header.get("page")))
                wire.send(conn, answer)
            except OSError:
                return  # the worker gave up waiting

    def read(
        self, conn: socket.socket, payload: bytes, region: str, page: bool
    ) -> dict:
        """Wait for this card's turn, say it has come, read it; the answer."""
        with self.count_lock:
            if self.waiting >= MAX_WAITING:
                return {"error": {"status": 503, "message": "busy"}}
            self.waiting += 1
        try:
            wire.send(conn, {"queued": True})
            with self.turn:
                wire.send(conn, {"turn": True})  # the worker's timeout starts now
                try:
                    return {"ok": True, **self.engines.read(payload, region, page)}
                except BadImage as error:
                    return {"error": {"status": error.status, "message": error.message}}
                except Exception:
                    traceback.print_exc(file=sys.stderr)
                    return {"error": {"status": 503, "message": "failed"}}
        finally:
            with self.count_lock:
                self.waiting -= 1
                self.last_used = time.monotonic()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m app.card_reading.server SOCKET_PATH", file=sys.stderr)
        return 2
    idle = float(os.environ.get("MORROW_OCR_IDLE", "600"))
    use_tesseract = os.environ.get("MORROW_OCR_TESSERACT", "1") != "0"
    Server(argv[1], Engines(use_tesseract), idle).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
