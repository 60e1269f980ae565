"""The address `manage.py serve` listens on, for the health check that requests this very server.

When `serve` runs the scheduler beside its server (the embedded default), the API check must
ask that server, whatever port it was given; otherwise (a separate scheduler, the production
topology) HEALTH_API_URL says where. Recorded here once, so settings are never changed at run
time.
"""

from __future__ import annotations

from django.conf import settings

_own_healthz: str | None = None


def serving_on(host: str, port: int) -> None:
    """Called by `serve` before it starts the scheduler beside its server."""
    global _own_healthz
    address = f"[{host}]" if ":" in host else host
    _own_healthz = f"http://{address}:{port}/healthz"


def healthz_url() -> str:
    """This process's own /healthz when `serve` runs the scheduler beside it, else
    HEALTH_API_URL."""
    return _own_healthz or settings.HEALTH_API_URL
