"""The documented Graph payloads in tests/graph_samples (sources in its SOURCES.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parent / "graph_samples"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())
