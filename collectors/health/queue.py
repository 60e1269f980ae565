"""Task queue: how many due tasks wait and for how long, the live workers, recent failures.

Degraded when the oldest due task has waited longer than one sync interval (the shortest
collector interval: by then the next run of that collector is due too, so the workers are
falling behind); down when no worker is alive, since then nothing in the queue ever runs.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.db.models import Case, F, Min, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from collectors.schedule import sync_interval
from m365admin import workers
from m365admin.choices import Collector, Component, HealthStatus
from m365admin.lib.health import Health, age, ms_since
from m365admin.registry.health import health_check
from m365admin.texts import message


def wait_limit() -> timedelta:
    """One interval: the shortest collector's."""
    return min(sync_interval(collector) for collector in Collector)


@health_check(Component.QUEUE)
def check(timeout: float) -> Health:
    started = time.perf_counter()
    now = timezone.now()
    due = DBTaskResult.objects.ready()
    # A task enqueued to run later waits from its run_after, not from when it was enqueued.
    oldest = due.aggregate(since=Min(Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest(F("enqueued_at"), F("run_after")),
    )))["since"]
    waited = (now - oldest).total_seconds() if oldest else 0.0
    alive = workers.alive(now)
    details: dict[str, Any] = {
        "depth": due.count(),
        "running": DBTaskResult.objects.running().count(),
        "oldest_wait_seconds": round(waited, 1),
        "live_workers": len(alive),
        "workers": [{"worker": w.worker_id, "host": w.host, "pid": w.pid} for w in alive],
        "failed_last_hour": DBTaskResult.objects.failed().filter(
            finished_at__gte=now - timedelta(hours=1)).count(),
    }
    latency = ms_since(started)
    if not alive:
        last = workers.last_seen()
        said = (message("health.queue.no_worker_since", age=age((now - last).total_seconds()))
                if last else message("health.queue.no_worker"))
        return Health(Component.QUEUE, HealthStatus.DOWN, latency, said, details)
    limit = wait_limit()
    if waited > limit.total_seconds():
        return Health(Component.QUEUE, HealthStatus.DEGRADED, latency, message(
            "health.queue.behind", n=details["depth"], age=age(waited),
            limit=age(limit.total_seconds())), details)
    return Health(Component.QUEUE, HealthStatus.UP, latency, message(
        "health.queue.up", n=details["depth"], age=age(waited),
        workers=message("health.queue.workers", n=len(alive)),
        failed=details["failed_last_hour"]), details)
