"""The sign-in detections. Each module registers itself with `@detection(...)`
(m365admin/registry/detections.py); importing this package imports them in the order below,
which is the order the runner applies them and pages list their kinds. A new detection is a
module here, named in MODULES (docs/architecture.md: adding a detection)."""

from __future__ import annotations

from importlib import import_module

from m365admin.registry import detections as registry
from security.models import DetectionSettings

MODULES = ("bruteforce", "spray", "travel", "legacy_auth", "mfa", "countries", "risky",
           "accounts")

for _module in MODULES:
    import_module(f"{__name__}.{_module}")

# Each setting as an attribute of a tenant's settings (ctx.settings.spray_minutes).
DetectionSettings.expose(registry.SETTINGS)

LOADED = True
