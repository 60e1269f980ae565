"""Fixtures shared by the monitoring tests."""

from __future__ import annotations

import socket
from importlib import import_module

import pytest


@pytest.fixture
def silent_url():
    """A port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/healthz"


@pytest.fixture
def default_rules():
    """The rules the migration seeds (a transactional test elsewhere may have flushed them)."""
    from django.apps import apps

    from monitoring.models import AlertRule

    seed = import_module("monitoring.migrations.0003_default_alert_rules")
    AlertRule.objects.all().delete()
    seed.add_defaults(apps, None)
    import_module("monitoring.migrations.0005_security_event_rules").add_security_rules(apps, None)
    import_module("monitoring.migrations.0007_detection_rules").add_detection_rules(apps, None)
