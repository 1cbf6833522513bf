"""Start Morrow under gunicorn on a loopback port for load and crash tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reset_postgres(url: str) -> None:
    """Empty the test database so migrations start from nothing."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


class Server:
    """A gunicorn master with several workers and threads, on a migrated database."""

    def __init__(
        self,
        tmp_path: Path,
        database_url: str | None = None,
        workers: int = 3,
        threads: int = 4,
    ) -> None:
        self.tmp_path = tmp_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "gunicorn.log"
        self.workers = workers
        self.threads = threads
        self.wsgi = "wsgi:app"
        self.env = {
            **os.environ,
            "SECRET_KEY": "load-test-secret-key-0123456789",
            "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'load.sqlite3'}",
            "RATELIMIT_STORAGE_URI": "memory://",
            "PYTHONUNBUFFERED": "1",
        }
        if database_url:
            reset_postgres(database_url)
        self.flask("db", "upgrade")
        self.flask(
            "user",
            "create",
            "load@example.com",
            "--password",
            "load test password",
            "--timezone",
            "Europe/Berlin",
        )
        out = self.flask("token", "create", "load@example.com")
        self.token = out.strip().splitlines()[-1]
        self.process: subprocess.Popen | None = None

    def flask(self, *args: str) -> str:
        result = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout

    def start(self) -> None:
        log = open(self.log_path, "a")  # noqa: SIM115 - kept open for the child
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--worker-class",
                "gthread",
                "--graceful-timeout",
                "2",
                "--access-logfile",
                "-",
                self.wsgi,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start:\n" + self.log())

    def kill(self) -> None:
        """SIGKILL the master and every worker, as a power cut would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def worker_pids(self) -> list[int]:
        """Return the process ids of the master's workers."""
        assert self.process is not None
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(child) for child in children.split()]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}
