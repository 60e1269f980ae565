"""Bookkeeping the task queue (django-tasks-db) lacks: who holds a running task, and which
tenant's work is already queued (docs/tasks.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from m365admin.models.tenants import Tenant


class TaskClaim(models.Model):
    """At most one queued or running task per tenant and kind of work (a collector, the
    detections), or per upkeep task (no tenant; its kind is the task's path): the unique row
    is what concurrent enqueuers on any host race for."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True,
                               verbose_name=_("tenant"))
    kind = models.CharField(_("kind"), max_length=200)
    # Null only inside the enqueuing transaction; a pruned task result takes its claim along.
    task = models.ForeignKey(DBTaskResult, on_delete=models.CASCADE, null=True,
                             related_name="claims", verbose_name=_("task"))
    # Asked for again while it ran ("Sync now", a later sign-in sync): the priority and
    # arguments of the run to enqueue once it is over.
    again = models.JSONField(_("again"), null=True, blank=True)

    class Meta:
        verbose_name = _("task claim")
        verbose_name_plural = _("task claims")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind"], name="taskclaim_unique",
                                    condition=models.Q(tenant__isnull=False)),
            # NULLs are distinct in a unique index: the tenantless claims need their own.
            models.UniqueConstraint(fields=["kind"], name="taskclaim_unique_upkeep",
                                    condition=models.Q(tenant__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.kind}" if self.tenant_id else self.kind


class TaskLease(models.Model):
    """A running task's worker and how long it may stay silent; an expired lease means the
    worker died, and the task is queued again."""

    task = models.OneToOneField(DBTaskResult, on_delete=models.CASCADE, primary_key=True,
                                related_name="lease", verbose_name=_("task"))
    worker = models.CharField(_("worker"), max_length=64)
    expires = models.DateTimeField(_("expires"))
    # Set while the task uses one of the tenant's Graph slots (TASK_TENANT_CONCURRENCY).
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True,
                               verbose_name=_("tenant"))

    class Meta:
        verbose_name = _("task lease")
        verbose_name_plural = _("task leases")
        indexes = [models.Index(fields=["tenant", "expires"], name="tasklease_tenant")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.worker}"
