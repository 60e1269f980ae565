"""Terminal progress bars for collector runs (tqdm), used when stderr is a terminal."""

from __future__ import annotations

import sys

from tqdm import tqdm

from collectors.sync.base import Progress


class BarProgress(Progress):
    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: tqdm | None = None

    def start(self, total: float | None, unit: str) -> None:
        self.close()
        if total:
            # Time-based totals (sign-ins) read best as a percentage.
            fmt = "{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}"
        else:
            fmt = "{desc}: {n_fmt} " + unit + " [{elapsed}, {rate_fmt}]"
        self.bar = tqdm(total=total or None, desc=self.label, unit=unit, bar_format=fmt,
                        file=sys.stderr, dynamic_ncols=True, leave=False)

    def advance(self, amount: float) -> None:
        if self.bar is not None:
            self.bar.update(amount)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
