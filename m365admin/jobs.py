"""The scheduler's jobs for the project's own tables (enqueued as a task for the workers), and
SIEM forwarding."""

from __future__ import annotations

from django.conf import settings

from m365admin.scheduler import periodic
from m365admin.syslog import Forwarder
from m365admin.taskqueue.claims import enqueue_once
from m365admin.tasks import maintain_partitions

_forwarder: Forwarder | None = None


@periodic("m365admin.partitions", every=lambda: 6 * 3600.0)
def enqueue_partition_maintenance() -> None:
    # Every 6 h rather than daily: daily metric partitions must exist before midnight UTC.
    enqueue_once(maintain_partitions)


@periodic("m365admin.syslog", every=lambda: settings.SYSLOG.interval if settings.SYSLOG else 60.0)
def forward_to_syslog() -> None:
    """The security feed to the SIEM (SYSLOG_HOST), when configured."""
    global _forwarder
    if settings.SYSLOG is None:
        return
    if _forwarder is None or _forwarder.config != settings.SYSLOG:
        _forwarder = Forwarder(settings.SYSLOG)
    _forwarder.run()
