"""The collector-run task bench/scale.py enqueues: one tenant's sign-in sync, on a worker.

A stand-in with the shape of the real one (issue 18: a task per tenant × collector, enqueued
by the scheduler); when the collectors' own task lands, bench/scale.py enqueues that instead
and this module goes. Imported by `manage.py db_worker` with bench/ on PYTHONPATH.
"""

from __future__ import annotations

from django.tasks import task

from collectors.sync.runner import run_collector
from m365admin.choices import Collector
from m365admin.models import Tenant


@task()
def sync_signins(tenant_pk: int) -> str:
    """The tenant's sign-in sync from its checkpoint; returns the run's status."""
    return run_collector(Tenant.objects.get(pk=tenant_pk), Collector.SIGNINS).status
