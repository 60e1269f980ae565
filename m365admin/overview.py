"""The tenants page's numbers: a fixed number of grouped queries, whatever the tenant count."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone

from m365admin.choices import Collector, UserType
from m365admin.models import DirectoryUser, Mailbox, SignIn, SyncRun, Team, Tenant
from m365admin.models.signins import SUCCESS_CODE


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
    # (collector label, its latest run or None), in the order the collectors are listed.
    runs: list[tuple[str, SyncRun | None]] = field(default_factory=list)

    def failure_rate(self) -> float | None:
        if not self.signins_24h:
            return None
        return 100.0 * self.failed_signins_24h / self.signins_24h


def _grouped(queryset, **aggregates) -> dict[int, dict[str, int]]:
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
    signins = _grouped(
        SignIn.objects.between(since, timezone.now() + timedelta(minutes=5)),
        signins_24h=Count("pk"),
        failed_signins_24h=Count("pk", filter=~Q(error_code=SUCCESS_CODE)),
    )
    latest_ids = SyncRun.objects.values("tenant", "collector").annotate(latest=Max("pk")).values("latest")
    latest = {(run.tenant_id, run.collector): run for run in SyncRun.objects.filter(pk__in=latest_ids)}
    overviews = []
    for tenant in tenants:
        overview = TenantOverview(tenant)
        for numbers in (users, mailboxes, teams, signins):
            for name, value in numbers.get(tenant.pk, {}).items():
                setattr(overview, name, value)
        overview.runs = [
            (collector.label, latest.get((tenant.pk, collector.value))) for collector in Collector
        ]
        overviews.append(overview)
    return overviews
