"""Work after a request, in this process's own threads: polished drafts, read photos."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


class ProcessPool:
    """This process's thread pool: started on first use, again in a forked worker.

    A worker forked from a parent that had a pool gets no working threads with
    it, so the pool is keyed by process id; `forget` clears the caller's
    bookkeeping of work the parent's pool held.
    """

    def __init__(
        self, workers: int, name: str, lock: threading.Lock, forget: Callable[[], None]
    ) -> None:
        self.workers = workers
        self.name = name
        self.lock = lock
        self.forget = forget
        self._pid: int | None = None
        self._pool: ThreadPoolExecutor | None = None

    def get(self) -> ThreadPoolExecutor:
        with self.lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ThreadPoolExecutor(self.workers, self.name)
                self._pid = os.getpid()
                self.forget()
            return self._pool
