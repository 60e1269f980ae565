"""The scheduler's jobs for the project's own tables."""

from __future__ import annotations

from m365admin import partitions
from m365admin.scheduler import periodic


@periodic("m365admin.partitions", every=lambda: 6 * 3600.0)
def maintain_partitions() -> None:
    # Every 6 h rather than daily: daily metric partitions must exist before midnight UTC.
    partitions.maintain()
