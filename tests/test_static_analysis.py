"""Static checks of the application code, so `make test` fails when they regress.

bandit finds nothing of medium severity or above; no function is more complex
than ruff's C901 ceiling (pyproject.toml); mypy finds no type errors.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_bandit_reports_nothing_medium_or_above():
    bandit = shutil.which("bandit", path=str(Path(sys.executable).parent))
    if bandit is None:
        pytest.skip("bandit is missing: pip install -r requirements-dev.txt")
    result = subprocess.run(
        [bandit, "-q", "-r", "app", "--severity-level", "medium", "-f", "txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_the_tags_module_writes_tag_rows():
    """contact_tags rows have one writer (app/tags.py); the rest call it."""
    import re

    writes = re.compile(
        r"insert\(ContactTag|(?<!class )ContactTag\(|ContactTag\.__table__"
    )
    writers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "app").rglob("*.py")
        if writes.search(path.read_text())
    )
    assert writers == ["app/tags.py"]


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    assert path, f"{name} is missing: pip install -r requirements-dev.txt"
    return path


def test_no_function_in_app_is_over_the_complexity_ceiling():
    result = subprocess.run(
        [
            _tool("ruff"),
            "check",
            "app",
            "--select",
            "C901",
            "--output-format",
            "concise",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_no_type_errors_in_app():
    result = subprocess.run(
        [_tool("mypy")],  # files and settings: [tool.mypy] in pyproject.toml
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
