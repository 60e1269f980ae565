"""What a `manage.py serve` process runs beside its HTTP server.

An app registers a starter with `@beside_server` in a module its AppConfig.ready() imports
(monitoring's request statistics flusher); `serve` starts them all before it serves, without
naming an app. Starters run once per serving process, not in tests, commands or schedulers.
"""

from __future__ import annotations

from collections.abc import Callable

_starters: list[Callable[[], object]] = []


def beside_server[F: Callable[[], object]](start: F) -> F:
    """Register `start` (returns at once, e.g. after starting a daemon thread)."""
    _starters.append(start)
    return start


def start_beside_server() -> None:
    for start in _starters:
        start()
