"""The contract every /api/v1/ endpoint shares: read-only, permission-checked, no N+1.

Each endpoint is one row of ENDPOINTS; the tests run once per row. Endpoint-specific behaviour
(tenant secrets, sign-in paging, filters) has its own file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import models

from m365admin.api.urls import router
from m365admin.choices import Collector, SyncStatus, UserType
from m365admin.models import (
    DirectoryUser,
    Mailbox,
    OneDriveAccount,
    ServiceHealth,
    ServiceHealthIssue,
    SignIn,
    SubscribedSku,
    Subscription,
    SyncRun,
    Team,
    Tenant,
)
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

WHEN = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


@dataclass(frozen=True)
class Endpoint:
    prefix: str
    model: type[models.Model]
    # Exactly the fields the API shows: adding one (say, a secret) must be a deliberate change.
    fields: frozenset[str]
    # Values the sample row is built with, and must come back as given.
    row: dict[str, Any] = field(default_factory=dict)
    # Values computed from the row (model methods exposed by the serializer).
    computed: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.prefix


ENDPOINTS = [
    Endpoint(
        "tenants", Tenant,
        frozenset({"code", "name", "tenant_id", "client_id", "authority_url", "graph_url",
                   "enabled", "is_demo", "created"}),
        row={"name": "Contoso", "tenant_id": "contoso.onmicrosoft.com", "enabled": False},
    ),
    Endpoint(
        "users", DirectoryUser,
        frozenset({"id", "tenant", "graph_id", "user_principal_name", "display_name", "mail",
                   "department", "job_title", "account_enabled", "user_type", "created_in_graph",
                   "assigned_licenses", "is_licensed", "last_sign_in",
                   "last_non_interactive_sign_in", "last_successful_sign_in", "last_seen",
                   "last_seen_source", "deleted", "deleted_reason", "synced"}),
        row={"user_principal_name": "adele@contoso.com", "display_name": "Adele Vance",
             "department": "Retail", "user_type": UserType.GUEST, "is_licensed": True,
             "assigned_licenses": [{"skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df",
                                    "disabledPlans": []}]},
    ),
    Endpoint(
        "sign-ins", SignIn,
        frozenset({"id", "tenant", "graph_id", "created", "user_graph_id", "user_principal_name",
                   "user_display_name", "app_id", "app_display_name", "ip_address",
                   "client_app_used", "is_interactive", "succeeded", "error_code",
                   "failure_reason", "conditional_access_status", "authentication_requirement",
                   "risk_detail", "risk_level_aggregated", "risk_level_during_sign_in",
                   "risk_state", "risk_event_types", "country", "state", "city", "latitude",
                   "longitude", "operating_system", "browser", "device_compliant",
                   "device_managed", "resource_display_name", "correlation_id"}),
        row={"created": WHEN, "user_principal_name": "adele@contoso.com",
             "ip_address": "203.0.113.7", "error_code": 50126, "country": "JP",
             "failure_reason": "Invalid username or password."},
        computed={"succeeded": False},
    ),
    Endpoint(
        "mailboxes", Mailbox,
        frozenset({"id", "tenant", "user_principal_name", "display_name", "is_deleted",
                   "deleted_date", "created_date", "last_activity_date", "item_count",
                   "storage_used_bytes", "issue_warning_quota_bytes", "prohibit_send_quota_bytes",
                   "prohibit_send_receive_quota_bytes", "quota_used_percent",
                   "deleted_item_count", "deleted_item_size_bytes", "has_archive",
                   "report_refresh_date", "report_period", "synced"}),
        row={"user_principal_name": "adele@contoso.com", "storage_used_bytes": 25,
             "prohibit_send_quota_bytes": 100, "has_archive": True,
             "last_activity_date": date(2026, 1, 31)},
        computed={"quota_used_percent": 25.0},
    ),
    Endpoint(
        "onedrive-accounts", OneDriveAccount,
        frozenset({"id", "tenant", "site_url", "owner_display_name", "owner_principal_name",
                   "is_deleted", "last_activity_date", "file_count", "active_file_count",
                   "storage_used_bytes", "storage_allocated_bytes", "quota_used_percent",
                   "report_refresh_date", "report_period", "synced"}),
        row={"owner_principal_name": "adele@contoso.com", "file_count": 12,
             "storage_used_bytes": 3, "storage_allocated_bytes": 4},
        computed={"quota_used_percent": 75.0},
    ),
    Endpoint(
        "teams", Team,
        frozenset({"id", "tenant", "graph_id", "display_name", "description", "visibility",
                   "is_archived", "created_in_graph", "web_url", "synced"}),
        row={"display_name": "Mark 8 Project Team", "visibility": "private", "is_archived": False},
    ),
    Endpoint(
        "subscribed-skus", SubscribedSku,
        frozenset({"id", "tenant", "sku_id", "sku_part_number", "product_name", "applies_to",
                   "capability_status", "consumed_units", "prepaid_enabled", "prepaid_suspended",
                   "prepaid_warning", "prepaid_locked_out", "available_units", "service_plans",
                   "synced"}),
        row={"sku_part_number": "ENTERPRISEPACK", "consumed_units": 27, "prepaid_enabled": 25},
        computed={"available_units": -2, "product_name": "ENTERPRISEPACK"},
    ),
    Endpoint(
        "subscriptions", Subscription,
        frozenset({"id", "tenant", "graph_id", "sku_id", "sku_part_number", "product_name",
                   "status", "total_licenses", "is_trial", "created_in_graph", "next_lifecycle",
                   "synced"}),
        row={"sku_id": "f8a1db68-be16-40ed-86d5-cb42ce701560", "status": "Warning",
             "is_trial": True},
        computed={"product_name": "Power BI Pro"},
    ),
    Endpoint(
        "service-health", ServiceHealth,
        frozenset({"id", "tenant", "service_id", "service", "status", "level", "synced"}),
        row={"service_id": "Exchange", "service": "Exchange Online",
             "status": "serviceDegradation"},
        computed={"level": "degraded"},
    ),
    Endpoint(
        "service-health-issues", ServiceHealthIssue,
        frozenset({"id", "tenant", "issue_id", "service", "title", "impact_description",
                   "classification", "origin", "status", "level", "feature", "feature_group",
                   "is_resolved", "start", "end", "last_modified", "synced"}),
        row={"issue_id": "EX123456", "title": "Users can't send mail",
             "status": "serviceInterruption", "classification": "incident", "start": WHEN},
        computed={"level": "interrupted"},
    ),
    Endpoint(
        "sync-runs", SyncRun,
        frozenset({"id", "tenant", "collector", "trigger", "status", "started", "finished",
                   "pages", "written", "removed", "rejected", "error", "error_code", "owner",
                   "heartbeat", "graph_requests", "graph_throttled", "graph_retries"}),
        row={"collector": Collector.SIGNINS, "status": SyncStatus.FAILED, "written": 200,
             "error": "Graph answered 403: the app lacks AuditLog.Read.All.",
             "graph_requests": 12, "graph_throttled": 3, "graph_retries": 3},
    ),
]


def build(endpoint: Endpoint, count: int = 1, tenant: Tenant | None = None,
          **fields: Any) -> list[models.Model]:
    """One sample row (endpoint.row), or `count` rows with the builders' unique defaults."""
    values = {**(endpoint.row if count == 1 else {}), **fields}
    if endpoint.model is Tenant:
        return [make_tenant(**values) for _ in range(count)]
    if endpoint.model is SignIn and count > 1:
        values.setdefault("created", lambda i: WHEN - timedelta(seconds=i))
    return make_rows(endpoint.model, tenant or make_tenant(), count, **values)


def list_url(endpoint: Endpoint) -> str:
    return f"/api/v1/{endpoint.prefix}/"


def detail_url(endpoint: Endpoint, obj: models.Model) -> str:
    key = obj.code if isinstance(obj, Tenant) else obj.pk
    return f"/api/v1/{endpoint.prefix}/{key}/"


def as_json(value: Any) -> Any:
    """A Python value as DRF's JSON renderer writes it."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


by_endpoint = pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)


# Reading -------------------------------------------------------------------------------------


@by_endpoint
def test_viewer_lists_rows_with_their_fields_and_values(client, viewer, endpoint):
    (obj,) = build(endpoint)
    client.force_login(viewer)
    (item,) = results(client.get(list_url(endpoint)))
    assert set(item) == endpoint.fields
    for name, value in {**endpoint.row, **endpoint.computed}.items():
        assert item[name] == as_json(value), name
    if "tenant" in endpoint.fields:
        assert item["tenant"] == str(obj.tenant.code)


@by_endpoint
def test_viewer_retrieves_a_row_as_the_list_shows_it(client, viewer, endpoint):
    (obj,) = build(endpoint)
    build(endpoint, count=2)
    client.force_login(viewer)
    key = "code" if endpoint.model is Tenant else "id"
    listed = {item[key]: item for item in results(client.get(list_url(endpoint)))}
    response = client.get(detail_url(endpoint, obj))
    assert response.status_code == 200
    assert len(listed) == 3
    assert response.json() == listed[str(obj.code) if key == "code" else obj.pk]


@by_endpoint
def test_an_unknown_row_is_404(client, viewer, endpoint):
    client.force_login(viewer)
    key = "00000000-0000-0000-0000-000000000000" if endpoint.model is Tenant else 999999
    assert client.get(f"{list_url(endpoint)}{key}/").status_code == 404


@by_endpoint
def test_a_list_of_50_rows_costs_a_fixed_number_of_queries(
    client, viewer, endpoint, django_assert_max_num_queries
):
    if endpoint.model is Tenant:
        build(endpoint, count=50)
    else:  # two tenants, so a per-row tenant lookup cannot hide behind one cached object
        build(endpoint, count=25, tenant=make_tenant())
        build(endpoint, count=25, tenant=make_tenant())
    client.force_login(viewer)
    # session, user, permissions, count, page: about 5, never one per row.
    with django_assert_max_num_queries(8):
        assert len(results(client.get(list_url(endpoint), {"limit": 100}))) == 50


# Refusing ------------------------------------------------------------------------------------


@by_endpoint
def test_anonymous_is_refused(client, endpoint):
    (obj,) = build(endpoint)
    assert client.get(list_url(endpoint)).status_code in (401, 403)
    assert client.get(detail_url(endpoint, obj)).status_code in (401, 403)


@by_endpoint
def test_a_user_without_permissions_gets_403(client, outsider, endpoint):
    (obj,) = build(endpoint)
    client.force_login(outsider)
    assert client.get(list_url(endpoint)).status_code == 403
    assert client.get(detail_url(endpoint, obj)).status_code == 403


@by_endpoint
def test_each_endpoint_needs_its_own_view_permission(client, django_user_model, endpoint):
    (obj,) = build(endpoint)
    # Every view permission in the app except this model's.
    user = django_user_model.objects.create_user("petra", password="pw-petra-123456")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="m365admin", codename__startswith="view_")
        .exclude(codename=f"view_{endpoint.model._meta.model_name}")
    )
    client.force_login(user)
    assert client.get(list_url(endpoint)).status_code == 403
    assert client.get(detail_url(endpoint, obj)).status_code == 403


@by_endpoint
@pytest.mark.parametrize("persona", ["viewer", "admin"])
def test_writes_are_refused(client, request, endpoint, persona):
    (obj,) = build(endpoint)
    client.force_login(request.getfixturevalue(persona))
    # The viewer lacks add/change/delete (403); even a superuser finds no write route (405).
    refused = {"viewer": 403, "admin": 405}[persona]
    body = {"name": "Changed"}
    attempts = [
        client.post(list_url(endpoint), body, content_type="application/json"),
        client.put(detail_url(endpoint, obj), body, content_type="application/json"),
        client.patch(detail_url(endpoint, obj), body, content_type="application/json"),
        client.delete(detail_url(endpoint, obj)),
    ]
    assert [response.status_code for response in attempts] == [refused] * 4
    assert endpoint.model.objects.count() == 1


def test_the_api_root_lists_every_endpoint(client, viewer):
    client.force_login(viewer)
    root = client.get("/api/v1/").json()
    # Each app's endpoints too (test_api_schema.py checks the index against the schema).
    assert {endpoint.prefix for endpoint in ENDPOINTS} | {"alerts", "metrics/monitoring",
                                                         "auth/token"} <= set(root)
    assert root["users"] == "http://testserver/api/v1/users/"


# Paging --------------------------------------------------------------------------------------


def test_limit_is_capped_at_1000(client, viewer):
    make_rows(DirectoryUser, make_tenant(), 1001)
    client.force_login(viewer)
    page = client.get("/api/v1/users/", {"limit": 100000}).json()
    assert page["count"] == 1001
    assert len(page["results"]) == 1000
    assert page["next"]


@by_endpoint
def test_every_endpoint_caps_its_page_size(endpoint):
    (viewset,) = [v for prefix, v, _ in router.registry if prefix == endpoint.prefix]
    paginator = viewset.pagination_class()
    cap = getattr(paginator, "max_limit", None) or getattr(paginator, "max_page_size", None)
    assert cap is not None and cap <= 1000
