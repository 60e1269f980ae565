"""Fixtures shared by the monitoring tests."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def silent_url():
    """A port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/healthz"
