"""The layer contracts (pyproject.toml, [tool.importlinter]): this tree keeps them, and they
fail on each kind of import issue 19 found running the wrong way.

`lint-imports` runs for real, on this tree and on small trees of the same four packages where
every module imports only the base until a case adds one forbidden import.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# Modules shaped like the project's, each importing the base only (allowed).
MODULES = {
    "m365admin/choices.py": "",
    "m365admin/audit.py": "from m365admin import choices\n",
    "m365admin/settings.py": "from m365admin.lib import clientip\n",
    "m365admin/lib/clientip.py": "",
    "m365admin/management/commands/serve.py": "from m365admin import choices\n",
    "collectors/clients.py": "from m365admin import choices\n",
    "collectors/demo.py": "from m365admin.management.commands import serve\n",
    "collectors/sync/runner.py": "from m365admin import audit\n",
    "monitoring/choices.py": "from m365admin import choices\n",
    "monitoring/models/alerts.py": "from m365admin import audit, choices\n",
    "monitoring/alerting.py": "from m365admin import audit\n",
    "monitoring/api.py": "from m365admin import choices\n",
    "monitoring/health/graph.py": "from m365admin import choices\n",
    "monitoring/requeststats.py": "from m365admin import choices\n",
    "security/audit.py": "from m365admin import audit\n",
    "security/choices.py": "from m365admin import choices\n",
    "security/clientip.py": "",
    "security/models.py": "from security import choices\n",
    "security/detections/bruteforce.py": "from m365admin import choices\n",
    "security/management/commands/rotate-keys.py": "from m365admin import audit\n",
}

# (module, the import added to it): each kind issue 19 lists.
WRONG_WAY = [
    ("security/detections/bruteforce.py", "from monitoring.choices import Severity"),
    ("security/management/commands/rotate-keys.py", "from monitoring.models.alerts import Alert"),
    ("monitoring/alerting.py", "from security.models import SecurityEvent"),
    ("monitoring/models/alerts.py", "from security.choices import EventKind"),
    ("monitoring/health/graph.py", "from collectors.clients import client_for"),
    ("monitoring/api.py", "from collectors.sync.runner import COLLECTORS"),
    ("collectors/sync/runner.py", "from security.audit import record"),
    ("m365admin/settings.py", "from security.clientip import parse_networks"),
    ("m365admin/management/commands/serve.py", "from monitoring.requeststats import start"),
]


def _lint(folder: Path, config: Path | None = None) -> subprocess.CompletedProcess:
    command = [str(LINT_IMPORTS), "--no-cache", "--no-logo", *([str(config)] if config else [])]
    # Wide enough that no reported import is wrapped onto two lines.
    env = {**os.environ, "COLUMNS": "300", "PYTHONPATH": str(folder)}
    # check=False: a broken contract (exit 1) is what some tests expect.
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def _contracts_without_ignores(folder: Path) -> Path:
    """The project's contracts as an INI file, less their ignore_imports: those name this
    tree's modules (the entry points, and imports other branches remove)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]

    def lines(section: str, values: dict) -> list[str]:
        out = [f"[{section}]"]
        for key, value in values.items():
            if key not in ("ignore_imports", "id"):
                out.append(f"{key} =" + "".join(f"\n    {v}" for v in value)
                           if isinstance(value, list) else f"{key} = {value}")
        return out

    text = lines("importlinter", {"root_packages": config["root_packages"]})
    for contract in config["contracts"]:
        text += lines(f"importlinter:contract:{contract['id']}", contract)
    path = folder / ".importlinter"
    path.write_text("\n".join(text) + "\n")
    return path


def _tree(folder: Path, wrong: tuple[str, str] | None = None) -> Path:
    for name, source in MODULES.items():
        path = folder / name
        for package in [folder / part for part in Path(name).parents][:-1]:
            package.mkdir(parents=True, exist_ok=True)
            (package / "__init__.py").touch()
        if wrong and wrong[0] == name:
            source += wrong[1] + "\n"
        path.write_text(source)
    return _contracts_without_ignores(folder)


def test_this_tree_keeps_the_layer_contracts():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_tree_importing_only_the_base_keeps_them(tmp_path):
    result = _lint(tmp_path, _tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("wrong", WRONG_WAY, ids=[f"{m}: {i}" for m, i in WRONG_WAY])
def test_an_import_the_wrong_way_breaks_them(tmp_path, wrong):
    result = _lint(tmp_path, _tree(tmp_path, wrong))
    importer = wrong[0].removesuffix(".py").replace("/", ".")
    imported = wrong[1].split()[1]
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{importer} -> {imported} (l." in result.stdout, result.stdout


def test_an_app_reaching_another_through_the_base_breaks_them(tmp_path):
    """collectors' demo imported the base's serve command, which imported monitoring."""
    wrong = ("m365admin/management/commands/serve.py", "from monitoring import requeststats")
    result = _lint(tmp_path, _tree(tmp_path, wrong))
    assert "collectors is not allowed to import monitoring" in result.stdout, result.stdout
    assert "collectors.demo -> m365admin.management.commands.serve (l.1)" in result.stdout
