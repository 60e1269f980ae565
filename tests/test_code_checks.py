"""The code checks CI runs with the suite: ruff (lint and import order), mypy (with django-stubs
and djangorestframework-stubs) and import-linter's layer contracts must all be clean.

Each runs as its own process from the repository root with the virtualenv's executable and the
configuration in pyproject.toml, exactly as README's three commands do, and its output is the
failure message.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

CHECKS = {
    "ruff": [str(BIN / "ruff"), "check", "--no-fix", "."],
    "mypy": [str(BIN / "mypy")],
    # Its cache in the (ignored) virtualenv, like ruff's and mypy's.
    "lint-imports": [str(BIN / "lint-imports"), "--cache-dir", ".venv/import-linter-cache"],
}


@pytest.mark.parametrize("tool", list(CHECKS))
def test_the_code_check_is_clean(tool: str) -> None:
    result = subprocess.run(
        CHECKS[tool], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{tool} is not clean:\n{result.stdout}{result.stderr}"


def test_the_layer_contracts_are_configured() -> None:
    """lint-imports without contracts would pass without checking anything."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["importlinter"]["contracts"]
