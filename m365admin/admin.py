"""Django admin: tenants are edited here; everything synced from Graph is read-only, and so is
the audit log (browsed, filtered and exported, never edited)."""

from __future__ import annotations

import json
from typing import Any, cast

from django.contrib import admin
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Q, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from m365admin.lib import csvstream
from m365admin.lib.adminsecrets import WriteOnlySecretsAdmin
from m365admin.lib.readonlyadmin import ReadOnlyAdmin
from m365admin.models import (
    DirectoryUser,
    GraphUsage,
    HeldLicence,
    LicenceIdle,
    LicenceProduct,
    Mailbox,
    OneDriveAccount,
    ServiceHealth,
    ServiceHealthIssue,
    SignIn,
    SignInHourly,
    SubscribedSku,
    Subscription,
    SyncCheckpoint,
    SyncRun,
    Team,
    Tenant,
)
from m365admin.models.audit import AuditEntry
from m365admin.models.licences import ProductQuerySet
from m365admin.models.workers import WorkerHeartbeat
from m365admin.tenant_form import TenantForm


@admin.register(Tenant)
class TenantAdmin(WriteOnlySecretsAdmin):
    form = TenantForm
    write_only_fields = ("client_secret",)
    list_display = ["name", "tenant_id", "secret_expires", "enabled", "is_demo", "created"]
    list_filter = ["enabled", "is_demo"]
    search_fields = ["name", "tenant_id", "client_id"]
    # The code is the tenant's key in links (?tenant=…), not something people need to read.
    readonly_fields = ["is_demo", "created"]


class GraphSourcedAdmin(ReadOnlyAdmin):
    """Rows that Graph owns: viewable and searchable, never edited by hand."""

    list_select_related = ["tenant"]
    list_filter = ["tenant"]


@admin.register(DirectoryUser)
class DirectoryUserAdmin(GraphSourcedAdmin):
    list_display = ["user_principal_name", "display_name", "tenant", "user_type",
                    "account_enabled", "is_licensed", "last_sign_in", "deleted"]
    list_filter = ["tenant", "user_type", "account_enabled", "is_licensed", "deleted"]
    search_fields = ["user_principal_name", "display_name", "mail", "graph_id"]


@admin.register(SignIn)
class SignInAdmin(GraphSourcedAdmin):
    list_display = ["created", "user_principal_name", "tenant", "app_display_name",
                    "ip_address", "country", "client_app_used", "error_code",
                    "risk_level_during_sign_in"]
    list_filter = ["tenant", "client_app_used", "risk_level_during_sign_in", "country"]
    search_fields = ["user_principal_name", "graph_id", "correlation_id"]
    date_hierarchy = "created"
    # Counting millions of rows for the paginator costs more than the page itself.
    show_full_result_count = False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any],
                           search_term: str) -> tuple[QuerySet[Any], bool]:
        # Exact matches only: a LIKE '%…%' over every partition would scan them all.
        if not search_term:
            return queryset, False
        term = search_term.strip()
        matches = Q(user_principal_name=term) | Q(graph_id=term) | Q(correlation_id=term)
        return queryset.filter(matches), False


@admin.register(Mailbox)
class MailboxAdmin(GraphSourcedAdmin):
    list_display = ["user_principal_name", "display_name", "tenant", "storage_used_bytes",
                    "prohibit_send_quota_bytes", "last_activity_date", "is_deleted"]
    list_filter = ["tenant", "is_deleted", "has_archive"]
    search_fields = ["user_principal_name", "display_name"]


@admin.register(OneDriveAccount)
class OneDriveAccountAdmin(GraphSourcedAdmin):
    list_display = ["owner_principal_name", "tenant", "storage_used_bytes",
                    "storage_allocated_bytes", "file_count", "last_activity_date"]
    list_filter = ["tenant", "is_deleted"]
    search_fields = ["owner_principal_name", "owner_display_name", "site_url"]


@admin.register(Team)
class TeamAdmin(GraphSourcedAdmin):
    list_display = ["display_name", "tenant", "visibility", "is_archived", "created_in_graph"]
    list_filter = ["tenant", "visibility", "is_archived"]
    search_fields = ["display_name", "description", "graph_id"]


@admin.register(SubscribedSku)
class SubscribedSkuAdmin(GraphSourcedAdmin):
    list_display = ["product_name", "sku_part_number", "tenant", "capability_status",
                    "consumed_units", "prepaid_enabled"]
    list_filter = ["tenant", "capability_status"]
    search_fields = ["sku_part_number", "sku_id"]

    def get_queryset(self, request: HttpRequest) -> ProductQuerySet[SubscribedSku]:
        # The model's manager makes a ProductQuerySet; ModelAdmin's stubs cannot know it.
        return cast("ProductQuerySet[SubscribedSku]", super().get_queryset(request)).with_product()


@admin.register(Subscription)
class SubscriptionAdmin(GraphSourcedAdmin):
    list_display = ["product_name", "sku_part_number", "tenant", "status", "total_licenses",
                    "is_trial", "next_lifecycle"]
    list_filter = ["tenant", "status", "is_trial"]
    search_fields = ["sku_part_number", "sku_id", "graph_id"]

    def get_queryset(self, request: HttpRequest) -> ProductQuerySet[Subscription]:
        # The model's manager makes a ProductQuerySet; ModelAdmin's stubs cannot know it.
        return cast("ProductQuerySet[Subscription]", super().get_queryset(request)).with_product()


@admin.register(HeldLicence)
class HeldLicenceAdmin(GraphSourcedAdmin):
    list_display = ["user", "sku_id", "tenant"]
    list_select_related = ["tenant", "user"]
    raw_id_fields = ["user"]
    search_fields = ["sku_id", "user__user_principal_name"]


@admin.register(LicenceIdle)
class LicenceIdleAdmin(GraphSourcedAdmin):
    list_display = ["sku_id", "tenant", "disabled", "inactive_14", "inactive_30", "inactive_60",
                    "inactive_90", "synced"]
    search_fields = ["sku_id"]


@admin.register(LicenceProduct)
class LicenceProductAdmin(admin.ModelAdmin[LicenceProduct]):
    """Administrators rename a SKU and set its monthly price (roles: change_licenceproduct);
    rows appear by themselves when a tenant's licences are synced."""

    list_display = ["product_name", "sku_part_number", "name", "monthly_price", "currency"]
    list_editable = ["name", "monthly_price", "currency"]
    list_filter = ["currency"]
    search_fields = ["sku_part_number", "sku_id", "name"]
    readonly_fields = ["created"]

    def get_readonly_fields(self, request: HttpRequest,
                            obj: LicenceProduct | None = None) -> list[str]:
        # The SKU a row describes is fixed once it exists.
        return [*self.readonly_fields, "sku_id", "sku_part_number"] if obj else self.readonly_fields


@admin.register(ServiceHealth)
class ServiceHealthAdmin(GraphSourcedAdmin):
    list_display = ["service", "tenant", "status", "synced"]
    list_filter = ["tenant", "status"]
    search_fields = ["service", "service_id"]


@admin.register(ServiceHealthIssue)
class ServiceHealthIssueAdmin(GraphSourcedAdmin):
    list_display = ["issue_id", "title", "service", "tenant", "classification", "status",
                    "is_resolved", "start"]
    list_filter = ["tenant", "classification", "is_resolved", "service"]
    search_fields = ["issue_id", "title", "service"]


@admin.register(SyncRun)
class SyncRunAdmin(GraphSourcedAdmin):
    list_display = ["started", "tenant", "collector", "status", "trigger", "pages", "written",
                    "removed", "rejected", "error"]
    list_filter = ["tenant", "collector", "status", "trigger"]
    search_fields = ["error", "error_code"]
    date_hierarchy = "started"


@admin.register(SyncCheckpoint)
class SyncCheckpointAdmin(GraphSourcedAdmin):
    list_display = ["tenant", "collector", "watermark", "updated"]
    list_filter = ["tenant", "collector"]
    search_fields = ["tenant__name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a checkpoint is how an administrator forces a full resync.
        return request.user.has_perm("m365admin.delete_synccheckpoint")


@admin.register(GraphUsage)
class GraphUsageAdmin(GraphSourcedAdmin):
    list_display = ["tenant", "collector", "requests", "throttled", "retries"]
    list_filter = ["tenant", "collector"]


@admin.register(SignInHourly)
class SignInHourlyAdmin(GraphSourcedAdmin):
    list_display = ["hour", "tenant", "total", "failed", "risky"]
    date_hierarchy = "hour"

@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    """Which task workers are alive, on which hosts (the queue's health counts them)."""

    list_display = ["worker_id", "host", "pid", "seen"]
    list_filter = ["host"]


# The product's name, not "Django administration", above every admin page and in its title.
admin.site.site_header = admin.site.site_title = "m365admin"


AUDIT_CSV_COLUMNS = ["id", "at", "actor", "actor_id", "ip_address", "action", "target",
                     "details", "previous_hash", "hash"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "at", "actor", "ip_address", "action", "target"]
    list_filter = ["action"]
    search_fields = ["actor", "target", "ip_address"]
    date_hierarchy = "at"
    actions = ["export_csv"]

    @admin.action(description=_("Export the selected entries as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest,
                   queryset: QuerySet[AuditEntry]) -> StreamingHttpResponse:
        # "Select all N" exports every entry the filters match, streamed.
        entries = queryset.order_by("id").iterator(chunk_size=2000)
        rows = ([entry.pk, entry.at.isoformat(), entry.actor, entry.actor_id, entry.ip_address,
                 entry.action, entry.target, json.dumps(entry.details, ensure_ascii=False),
                 entry.previous_hash, entry.hash] for entry in entries)
        return csvstream.csv_response(AUDIT_CSV_COLUMNS, rows, filename="audit-log.csv",
                                      asynchronous=isinstance(request, ASGIRequest))
