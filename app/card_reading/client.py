"""A web worker's side of the OCR process: find it, start it, ask it, restart it.

One OCR process serves every worker of this checkout (the socket's name carries
a hash of the code's location and version). The first worker that needs it
starts it under a file lock, so two workers never start two. A process that
crashed is started again on the next photo; one that does not answer within
MORROW_OCR_TIMEOUT seconds (default 30) is killed and started again. Either
way the caller gets a CardImageError 503 it can show, never a hang.

Only the standard library is imported here: a worker stays small.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import socket
import struct
import subprocess  # nosec B404  # starts our own OCR process, fixed arguments
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from . import CardImageError, wire

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent.parent
START_SECONDS = 60.0
RESTARTED = (
    "Reading the card took too long, so the card reader was restarted. "
    "Try again in a few seconds."
)
STOPPED = (
    "The card reader stopped while reading this photo. Try again in a few seconds."
)
BUSY = "Morrow is reading other cards right now. Try again in a few seconds."
NOT_STARTED = "The card reader could not be started on this server."

# A card may wait this many card-times for its turn (the OCR process lets at
# most server.MAX_WAITING wait, and tells the rest it is busy).
QUEUE_TURNS = 8

_start_lock = threading.Lock()
_children: list[subprocess.Popen] = []


def _code_tag() -> str:
    """A name for this checkout's code: a new version gets a new OCR process."""
    digest = hashlib.sha256(str(PACKAGE).encode())
    for name in ("server.py", "engines.py", "wire.py"):
        stat = (PACKAGE / name).stat()
        digest.update(f"{name}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()[:12]


def socket_path() -> str:
    """MORROW_OCR_SOCKET, or a socket in a folder only this user can enter."""
    configured = os.environ.get("MORROW_OCR_SOCKET")
    if configured:
        return configured
    folder = os.path.join(tempfile.gettempdir(), f"morrow-ocr-{os.getuid()}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    info = os.lstat(folder)
    if info.st_uid != os.getuid() or info.st_mode & 0o077 or os.path.islink(folder):
        # Someone else made it: photos must not go to their socket.
        raise CardImageError(503, NOT_STARTED)
    return os.path.join(folder, f"{_code_tag()}.sock")


def timeout() -> float:
    return float(os.environ.get("MORROW_OCR_TIMEOUT", "30"))


_PEER = struct.Struct("3i")  # SO_PEERCRED: pid, uid, gid


class _Absent(Exception):
    """Nothing listens on the socket."""


def _connect(path: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except (FileNotFoundError, ConnectionRefusedError) as error:
        sock.close()
        raise _Absent(str(error)) from error
    # Whoever bound the socket: at a configured path in a shared folder (or in
    # the moment after an idle reader removed its socket) it may be another user.
    peer = _PEER.unpack(
        sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEER.size)
    )
    if peer[1] != os.getuid():
        sock.close()
        raise CardImageError(503, NOT_STARTED)  # photos must not go to them
    return sock


def _ask(path: str, header: dict[str, Any], payload: bytes, wait: float) -> dict:
    """One request and its answer; _Absent, wire.Closed or TimeoutError.

    The OCR process says "queued" at once, "turn" when the card's turn comes,
    then answers. Each must come within `wait` seconds, except the turn, which
    may take QUEUE_TURNS × `wait` behind other cards: a process that says
    nothing is hung, one that is busy with other cards still says "queued".
    """
    sock = _connect(path)
    with sock:
        sock.settimeout(wait)
        try:
            wire.send(sock, header, payload)
            while True:
                answer, _ = wire.receive(sock)
                if answer.get("queued"):
                    sock.settimeout(wait * QUEUE_TURNS)
                elif answer.get("turn"):
                    sock.settimeout(wait)
                else:
                    return answer
        except (BrokenPipeError, ConnectionResetError) as error:
            raise wire.Closed(str(error)) from error


def server_pid(path: str | None = None) -> int | None:
    """The OCR process's id, as it wrote it next to its socket (None if none)."""
    try:
        return int(Path((path or socket_path()) + ".pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _reap() -> None:
    """Collect OCR processes this worker started that have since ended."""
    for child in list(_children):
        if child.poll() is not None:
            _children.remove(child)


def _is_our_server(pid: int, path: str) -> bool:
    """Whether `pid` is the OCR process of `path` (not a reused process id)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            args = cmdline.read().split(b"\0")
    except OSError:
        return False
    return b"app.card_reading.server" in args and os.fsencode(path) in args


def _kill(path: str) -> None:
    pid = server_pid(path)
    if pid and _is_our_server(pid, path):
        try:
            if os.getpgid(pid) == pid:  # started in a session of its own:
                os.killpg(pid, signal.SIGKILL)  # its tesseract ends with it
            else:
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for stale in (path, path + ".pid"):
        try:
            os.unlink(stale)
        except FileNotFoundError:
            pass
    time.sleep(0.05)
    _reap()


def _alive(path: str) -> bool:
    try:
        return bool(_ask(path, {"op": "ping"}, b"", 5.0).get("ok"))
    except (_Absent, wire.Closed, OSError):
        return False


def _lock_file(path: str):
    """The start lock's file, never through a link planted in a shared folder."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW
    try:
        return os.fdopen(os.open(path + ".lock", flags, 0o600), "a")
    except OSError as error:
        raise CardImageError(503, NOT_STARTED) from error


def _start(path: str) -> None:
    """Start the OCR process unless another worker just did; wait until it answers."""
    with _start_lock, _lock_file(path) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _alive(path):
            return
        _kill(path)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        child = subprocess.Popen(  # nosec B603  # our own module, fixed arguments
            [sys.executable, "-m", "app.card_reading.server", path],
            cwd=str(ROOT),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # a worker's restart does not end it
        )
        _children.append(child)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if child.poll() is not None:
                break
            if _alive(path):
                return
            time.sleep(0.1)
        _kill(path)
        raise CardImageError(503, NOT_STARTED)


def stop() -> None:
    """End this checkout's OCR process now (it also ends itself when idle)."""
    with _start_lock:
        _kill(socket_path())
        for child in list(_children):
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                pass
        _reap()


def stop_if_started_here() -> None:
    """End the OCR process if this process started it (tests end theirs)."""
    if _children:
        stop()


def ensure_started() -> int | None:
    """Start the OCR process now if it is not running; return its id."""
    path = socket_path()
    if not _alive(path):
        _start(path)
    return server_pid(path)


def recognise(image: bytes, region: str = "", page: bool = False) -> dict[str, Any]:
    """The OCR process's lines for `image` from each engine (see engines.py).

    `region` helps choose the card's language; `page` also has tesseract read
    the whole photo (to compare the engines; slower).
    """
    _reap()
    path = socket_path()
    crashed = False
    for _attempt in range(3):
        try:
            header = {"op": "read", "region": region, "page": page}
            answer = _ask(path, header, image, timeout())
        except _Absent:
            _start(path)
            continue
        except TimeoutError as error:
            _kill(path)
            raise CardImageError(503, RESTARTED) from error
        except (wire.Closed, OSError) as error:
            # Ended while reading: a crash, or its idle exit just then. Once more.
            if crashed:
                raise CardImageError(503, STOPPED) from error
            crashed = True
            continue
        return _checked(answer)
    raise CardImageError(503, NOT_STARTED)


def _checked(answer: dict[str, Any]) -> dict[str, Any]:
    error = answer.get("error")
    if isinstance(error, dict):
        status = int(error.get("status") or 503)
        message = str(error.get("message") or "")
        if status == 503:
            raise CardImageError(503, BUSY if message == "busy" else STOPPED)
        raise CardImageError(status, message)
    if not answer.get("ok"):
        raise CardImageError(503, STOPPED)
    return answer
