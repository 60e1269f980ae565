"""Object builders shared by the tests."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import models

from m365admin import partitions
from m365admin.choices import Collector
from m365admin.models import (
    DirectoryUser,
    HeldLicence,
    LicenceIdle,
    Mailbox,
    OneDriveAccount,
    ServiceHealth,
    ServiceHealthIssue,
    SignIn,
    SignInHourly,
    SubscribedSku,
    Subscription,
    SyncRun,
    Team,
    Tenant,
)


def make_tenant(*, secret: str = "not-a-real-secret", **fields) -> Tenant:
    fields.setdefault("name", f"Tenant {uuid.uuid4().hex[:6]}")
    fields.setdefault("tenant_id", str(uuid.uuid4()))
    fields.setdefault("client_id", str(uuid.uuid4()))
    tenant = Tenant(**fields)
    tenant.set_client_secret(secret)
    tenant.save()
    return tenant


# Rows synced from Graph, built in bulk ---------------------------------------------------------

# The fields each model needs to be valid and unique, for serial number i (never reused in a run,
# so several batches can share a tenant).
_serial = itertools.count(1)
_ROW_DEFAULTS: dict[type[models.Model], Callable[[int], dict[str, Any]]] = {
    DirectoryUser: lambda i: {
        "graph_id": f"user-{i}", "user_principal_name": f"user{i:04}@contoso.com",
        "display_name": f"User {i}",
    },
    Mailbox: lambda i: {"user_principal_name": f"user{i:04}@contoso.com"},
    OneDriveAccount: lambda i: {
        "site_url": f"https://contoso-my.sharepoint.com/personal/user{i:04}",
        "owner_principal_name": f"user{i:04}@contoso.com",
    },
    Team: lambda i: {"graph_id": f"team-{i}", "display_name": f"Team {i:04}"},
    SubscribedSku: lambda i: {"sku_id": str(uuid.UUID(int=i)), "sku_part_number": f"SKU_{i:04}"},
    HeldLicence: lambda i: {"sku_id": str(uuid.UUID(int=i))},
    LicenceIdle: lambda i: {"sku_id": str(uuid.UUID(int=i)), "disabled": i % 3},
    Subscription: lambda i: {"graph_id": f"subscription-{i}", "sku_id": str(uuid.UUID(int=i)),
                             "sku_part_number": f"SKU_{i:04}", "status": "Enabled"},
    ServiceHealth: lambda i: {
        "service_id": f"Service{i}", "service": f"Service {i:04}", "status": "serviceOperational",
    },
    ServiceHealthIssue: lambda i: {
        "issue_id": f"EX{i:06}", "service": "Exchange Online", "title": f"Issue {i}",
        "status": "investigating",
    },
    SyncRun: lambda i: {"collector": Collector.USERS},
    SignIn: lambda i: {
        "graph_id": f"signin-{i}", "user_principal_name": f"user{i % 9}@contoso.com",
    },
    SignInHourly: lambda i: {
        "hour": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=i), "total": i,
    },
}


def make_rows[M: models.Model](model: type[M], tenant: Tenant, count: int = 1,
                               **fields: Any) -> list[M]:
    """`count` rows of a tenant's `model` in one INSERT.

    A field given as a callable is called with the row number (0, 1, …), so rows can differ:
    `make_rows(SignIn, t, 3, created=lambda i: now - timedelta(minutes=i))`.
    """
    rows = []
    for i in range(count):
        values = _ROW_DEFAULTS[model](next(_serial))
        values.update({name: value(i) if callable(value) else value
                       for name, value in fields.items()})
        rows.append(model(tenant=tenant, **values))
    if model is SignIn:
        assert all(row.created for row in rows), "sign-ins need `created` (the partition key)"
        # On PostgreSQL a row needs its month's partition (m365admin.partitions).
        partitions.ensure_months({partitions.month_start(row.created) for row in rows})
    return model.objects.bulk_create(rows)


# Alerts ---------------------------------------------------------------------------------------


def seeded_rule(migration: str, function: str = "add_rule"):
    """The one rule `migration` seeds, alone (a transactional test elsewhere may have flushed
    the seeded rules)."""
    from importlib import import_module

    from django.apps import apps

    from monitoring.models import AlertRule

    AlertRule.objects.all().delete()
    getattr(import_module(f"monitoring.migrations.{migration}"), function)(apps, None)
    return AlertRule.objects.get()


def make_alert(*, rule=None, **fields):
    """A firing alert on `rule` (a CPU rule by default), with a fingerprint of its own."""
    from m365admin.choices import AlertSource, Severity
    from monitoring.choices import AlertStatus
    from monitoring.models import Alert, AlertRule

    if rule is None:
        rule = AlertRule.objects.create(
            name="CPU high", source=AlertSource.METRIC, metric="cpu", comparison="gt",
            threshold=80, severity=Severity.WARNING,
        )
    fields.setdefault("status", AlertStatus.FIRING)
    fields.setdefault("severity", rule.severity)
    fields.setdefault("summary", f"{rule.name} #{next(_serial)}")
    fields.setdefault("fingerprint", uuid.uuid4().hex)
    return Alert.objects.create(rule=rule, **fields)


def component_health(component: str, status: str):
    """A tick's health entry: what alerting reads of it is the component and its status."""
    from monitoring.messages import ComponentHealth

    return ComponentHealth(component, status, latency_ms=None, reason="", since=0.0)
