"""The code passes ruff's checks (undefined names, unused imports, import order): see pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_code_passes_ruff():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]' brings it)")
    checked = ["chatbot", "adapters", "entrypoints", "tests", "bench", "examples"]  # deploy/ holds no Python
    result = subprocess.run([ruff, "check", *checked], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
