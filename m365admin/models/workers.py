"""The task workers' heartbeats: which workers are alive, wherever they run.

django_tasks_db records which worker claimed a task but nothing about an idle worker, so a
worker says it is alive here (m365admin.workers.heartbeat) and the queue's health check counts
the ones heard from recently.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    # django_tasks_db's worker ids are at most 64 characters (db_worker --worker-id).
    worker_id = models.CharField(_("worker ID"), max_length=64, unique=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process ID"))
    seen = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        ordering = ["-seen"]
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"
