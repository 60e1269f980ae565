"""The notifiers, one module per channel kind; importing the package registers every one of
them (m365admin/registry/notifiers.py), so a new kind is a new module here and nothing else."""

from __future__ import annotations

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
