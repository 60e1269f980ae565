"""The tenants page's numbers: a fixed number of grouped queries, whatever the tenant count."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db.models import Aggregate, Count, Max, Q, QuerySet, Sum
from django.tasks import TaskResultStatus
from django.utils import timezone

from m365admin.choices import Collector, HealthLevel, LicenceKind, SyncStatus, UserType
from m365admin.licences.figures import SkuFigures, sku_figures
from m365admin.models import (
    DirectoryUser,
    Mailbox,
    OneDriveAccount,
    ServiceHealth,
    SignInHourly,
    SyncRun,
    Team,
    Tenant,
)
from m365admin.models.tasks import TaskClaim

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class QueuedRun(NamedTuple):
    """A collector run waiting in the task queue: its first attempt, or a retry."""

    attempt: int  # the attempt it waits to make: 1, or more after failures
    run_after: datetime


class CollectorState(NamedTuple):
    label: StrOrPromise
    last: SyncRun | None
    queued: QueuedRun | None


@dataclass
class TenantOverview:
    tenant: Tenant
    users: int = 0
    licensed: int = 0
    guests: int = 0
    mailboxes: int = 0
    teams: int = 0
    signins_24h: int = 0
    failed_signins_24h: int = 0
    # Graph refuses this tenant its sign-in logs (no Entra ID P1/P2).
    sign_in_logs_unavailable: bool = False
    # Each collector's latest run and queued run, in the order the collectors are listed.
    runs: list[CollectorState] = field(default_factory=list)

    def failure_rate(self) -> float | None:
        if not self.signins_24h:
            return None
        return 100.0 * self.failed_signins_24h / self.signins_24h


def _grouped(queryset: QuerySet[Any], **aggregates: Aggregate) -> dict[int, dict[str, Any]]:
    # Per tenant pk: each aggregate's value (a count, a sum or None, a latest date).
    return {
        row.pop("tenant"): row
        for row in queryset.values("tenant").annotate(**aggregates).order_by()
    }


def tenant_overviews() -> list[TenantOverview]:
    tenants = list(Tenant.objects.all())
    since = timezone.now() - timedelta(hours=24)
    users = _grouped(
        DirectoryUser.objects.filter(deleted=False),
        users=Count("pk"),
        licensed=Count("pk", filter=Q(is_licensed=True)),
        guests=Count("pk", filter=Q(user_type=UserType.GUEST)),
    )
    mailboxes = _grouped(Mailbox.objects.filter(is_deleted=False), mailboxes=Count("pk"))
    teams = _grouped(Team.objects.all(), teams=Count("pk"))
    # From the hourly rollups, as the dashboard's tiles: counting a day of raw sign-ins took
    # ~400 ms at 5,000,000 sign-ins (bench/dashboard.py).
    signins = _grouped(
        SignInHourly.objects.between(since, timezone.now() + timedelta(hours=1)),
        signins_24h=Sum("total"), failed_signins_24h=Sum("failed"),
    )
    latest_ids = SyncRun.objects.values("tenant", "collector").annotate(latest=Max("pk")).values("latest")
    latest = {(run.tenant_id, run.collector): run for run in SyncRun.objects.filter(pk__in=latest_ids)}
    queued = _queued_runs()
    unavailable = set(Tenant.objects.without_sign_in_logs().values_list("pk", flat=True))
    overviews = []
    for tenant in tenants:
        overview = TenantOverview(tenant, sign_in_logs_unavailable=tenant.pk in unavailable)
        for numbers in (users, mailboxes, teams, signins):
            for name, value in numbers.get(tenant.pk, {}).items():
                setattr(overview, name, value)
        overview.runs = [
            CollectorState(collector.label, latest.get((tenant.pk, collector.value)),
                           queued.get((tenant.pk, collector.value)))
            for collector in Collector
        ]
        overviews.append(overview)
    return overviews


def _queued_runs() -> dict[tuple[int, str], QueuedRun]:
    """Per (tenant, collector): the run waiting in the queue (claims.py keeps one at most)."""
    waiting = TaskClaim.objects.filter(
        tenant__isnull=False, task__status=TaskResultStatus.READY,
    ).values_list("tenant_id", "kind", "task__worker_ids", "task__run_after")
    # Each claim by a worker was one attempt (m365admin/taskqueue/worker.py).
    return {(tenant, kind): QueuedRun(len(tried) + 1, run_after)
            for tenant, kind, tried, run_after in waiting}


def licence_totals(figures: list[SkuFigures]) -> dict[int, dict[str, int]]:
    """Per tenant: paid seats purchased, assigned and unused; seats on free and trial SKUs are
    counted apart (their unassigned units are not waste)."""
    totals: dict[int, dict[str, int]] = {}
    for sku in figures:
        tenant = totals.setdefault(sku.tenant_id,
                                   {"enabled": 0, "assigned": 0, "unused": 0, "free": 0})
        if sku.kind == LicenceKind.PAID:
            tenant["enabled"] += sku.purchased
            tenant["assigned"] += sku.assigned
            tenant["unused"] += sku.unused
        else:
            tenant["free"] += sku.assigned
    return totals


def tenant_tiles(now: datetime | None = None) -> list[dict[str, Any]]:
    """The dashboard's per-tenant tiles (docs/monitoring.md), from rollups and small tables.

    A fixed number of grouped queries whatever the tenant count; sign-in figures come from the
    hourly rollups, never from raw sign-ins.
    """
    now = now or timezone.now()
    tenants = list(Tenant.objects.filter(enabled=True))
    users = _grouped(
        DirectoryUser.objects.filter(deleted=False),
        users=Count("pk"),
        licensed=Count("pk", filter=Q(is_licensed=True)),
        guests=Count("pk", filter=Q(user_type=UserType.GUEST)),
    )
    licences = licence_totals(sku_figures(inactive_days=None))
    signins = _grouped(
        SignInHourly.objects.between(now - timedelta(hours=24), now + timedelta(hours=1)),
        total=Sum("total"), failed=Sum("failed"), risky=Sum("risky"),
    )
    mailboxes = _grouped(
        Mailbox.objects.filter(is_deleted=False),
        mailboxes=Count("pk"), near_quota=Count("pk", filter=Mailbox.near_quota()),
    )
    onedrive = _grouped(
        OneDriveAccount.objects.filter(is_deleted=False),
        accounts=Count("pk"), used=Sum("storage_used_bytes"),
        allocated=Sum("storage_allocated_bytes"),
        near_quota=Count("pk", filter=OneDriveAccount.near_quota()),
    )
    health: dict[int, list[ServiceHealth]] = {}
    for service in ServiceHealth.objects.all():
        health.setdefault(service.tenant_id, []).append(service)
    last_sync = _grouped(
        SyncRun.objects.filter(status=SyncStatus.SUCCEEDED), last=Max("finished")
    )
    unavailable = set(Tenant.objects.without_sign_in_logs().values_list("pk", flat=True))
    return [
        _tile(tenant, users.get(tenant.pk, {}), licences.get(tenant.pk, {}),
              signins.get(tenant.pk, {}), mailboxes.get(tenant.pk, {}),
              onedrive.get(tenant.pk, {}), health.get(tenant.pk, []),
              last_sync.get(tenant.pk, {}).get("last"), tenant.pk in unavailable)
        for tenant in tenants
    ]


def _tile(tenant: Tenant, users: dict[str, Any], licences: dict[str, int],
          signins: dict[str, Any], mailboxes: dict[str, Any], onedrive: dict[str, Any],
          services: list[ServiceHealth], last_sync: datetime | None,
          sign_in_logs_unavailable: bool) -> dict[str, Any]:
    total, failed = signins.get("total") or 0, signins.get("failed") or 0
    levels = {service.service: service.level() for service in services}
    not_operational = sorted(
        name for name, level in levels.items() if level != HealthLevel.OPERATIONAL
    )
    return {
        "code": str(tenant.code),
        "name": tenant.name,
        "users": users.get("users", 0),
        "licensed": users.get("licensed", 0),
        "guests": users.get("guests", 0),
        "licences": {name: licences.get(name, 0)
                     for name in ("enabled", "assigned", "unused", "free")},
        "signins_24h": total,
        "failed_24h": failed,
        "failure_rate": round(100.0 * failed / total, 1) if total else None,
        "risky_24h": signins.get("risky") or 0,
        "sign_in_logs_unavailable": sign_in_logs_unavailable,
        "mailboxes": mailboxes.get("mailboxes", 0),
        "mailboxes_near_quota": mailboxes.get("near_quota", 0),
        "onedrive": {
            "accounts": onedrive.get("accounts", 0),
            "used": onedrive.get("used") or 0,
            "allocated": onedrive.get("allocated") or 0,
            "near_quota": onedrive.get("near_quota", 0),
        },
        "service_health": {
            "level": _worst_level(levels.values()) if levels else HealthLevel.UNKNOWN,
            "not_operational": not_operational,
        },
        "last_sync": last_sync.timestamp() if last_sync else None,
    }


_LEVEL_ORDER: list[str] = [
    HealthLevel.OPERATIONAL, HealthLevel.UNKNOWN, HealthLevel.DEGRADED, HealthLevel.INTERRUPTED
]


def _worst_level(levels: Iterable[str]) -> str:
    return max(levels, key=_LEVEL_ORDER.index)
