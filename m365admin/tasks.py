"""The project's own upkeep as a task (django.tasks): partition maintenance, enqueued by the
scheduler (m365admin/jobs.py) and run by whichever worker is free."""

from __future__ import annotations

from django.tasks import task

from m365admin import partitions


@task()
def maintain_partitions() -> dict[str, list[str]]:
    """Create the coming partitions and drop the expired ones; returns their names."""
    created, dropped = partitions.maintain()
    return {"created": created, "dropped": dropped}
