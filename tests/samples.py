"""The documented Graph payloads in ../shared/graph/samples (beside the repository, in CI too)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "graph" / "samples"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())
