"""What follows a collector's run, registered beside the code that does it: the runner calls
each step of the run's collector in the transaction that closes the run
(collectors/sync/runner.py), so work a step queues is queued only with the run's outcome.

Security registers the sign-in detections here (security/detections/trigger.py): collectors
never names them, and a new follow-up touches only its own app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from m365admin.models import SyncRun

Step = Callable[["SyncRun"], None]

_STEPS: dict[str, list[Step]] = {}


def after_sync(collector: str) -> Callable[[Step], Step]:
    """Register `step(run)` to follow every finished run of `collector`."""

    def register(step: Step) -> Step:
        steps = _STEPS.setdefault(collector, [])
        if step not in steps:
            steps.append(step)
        return step

    return register


def follow(run: SyncRun) -> None:
    """Run the steps registered for the run's collector, in registration order."""
    for step in _STEPS.get(run.collector, ()):
        step(run)
