"""Component health checks: one small check per component, run concurrently, and their latest
results kept.

The scheduler's tick calls `check_all()` and passes the results to `record()`.
"""

from monitoring.health.base import Health
from monitoring.health.runner import check_all
from monitoring.health.store import in_words, latest, record

__all__ = ["Health", "check_all", "in_words", "latest", "record"]
