"""Serve plotly.js from the installed plotly package as a static file (no CDN, no copy in git).

Only the one file: adding the package's data folder to STATICFILES_DIRS would also collect its
datasets and a second 5 MB bundle.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"
PLOTLY_JS = "plotly.min.js"
STATIC_NAME = f"vendor/{PLOTLY_JS}"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=PLOTLY_DIR)
        self.storage.prefix = "vendor"  # type: ignore[attr-defined]  # read by collectstatic

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    # One body for both of the stub's overloads (find_all False / True).
    def find(  # type: ignore[override]
        self, path: str, find_all: bool = False
    ) -> str | list[str] | None:
        if path != STATIC_NAME:
            return [] if find_all else None
        found = str(PLOTLY_DIR / PLOTLY_JS)
        return [found] if find_all else found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield PLOTLY_JS, self.storage
