"""Component health: the checks of this process's own parts (the API, the database, the cache
and channel layer) registered here, every app's checks run concurrently, and their latest
results kept.

The scheduler's tick calls `check_all()` and passes the results to `record()`.
"""

from monitoring.health import api, cache, database  # noqa: F401  (registers their checks)
from monitoring.health.runner import check_all
from monitoring.health.store import in_words, latest, record

__all__ = ["check_all", "in_words", "latest", "record"]
