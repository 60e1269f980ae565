"""Read-only serializers for the M365 entities; fields listed explicitly, never __all__."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from m365admin.api.rows import Computed
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


class TenantSerializer(serializers.ModelSerializer[Tenant]):
    # The client secret is never serialized, not even encrypted.
    class Meta:
        model = Tenant
        fields = ["code", "name", "tenant_id", "client_id", "authority_url", "graph_url",
                  "enabled", "is_demo", "created"]


class TenantOwnedSerializer(serializers.ModelSerializer[Any]):
    # Rows are retrieved by `id` (/api/v1/<kind>/<id>/); Graph IDs repeat across tenants.
    tenant = serializers.UUIDField(source="tenant.code", read_only=True)


class DirectoryUserSerializer(TenantOwnedSerializer):
    class Meta:
        model = DirectoryUser
        fields = ["id", "tenant", "graph_id", "user_principal_name", "display_name", "mail",
                  "department", "job_title", "account_enabled", "user_type", "created_in_graph",
                  "assigned_licenses", "is_licensed", "last_sign_in",
                  "last_non_interactive_sign_in", "last_successful_sign_in", "last_seen",
                  "last_seen_source", "deleted",
                  "deleted_reason", "synced"]


class SignInSerializer(TenantOwnedSerializer):
    succeeded = serializers.BooleanField(read_only=True)
    computed_from_values = {"succeeded": Computed(
        ("error_code",), lambda row, context: SignIn.is_success(row["error_code"]))}

    class Meta:
        model = SignIn
        fields = ["id", "tenant", "graph_id", "created", "user_graph_id", "user_principal_name",
                  "user_display_name", "app_id", "app_display_name", "ip_address",
                  "client_app_used", "is_interactive", "succeeded", "error_code",
                  "failure_reason", "conditional_access_status", "authentication_requirement",
                  "risk_detail", "risk_level_aggregated", "risk_level_during_sign_in",
                  "risk_state", "risk_event_types", "country", "state", "city", "latitude",
                  "longitude", "operating_system", "browser", "device_compliant",
                  "device_managed", "resource_display_name", "correlation_id"]


class MailboxSerializer(TenantOwnedSerializer):
    quota_used_percent = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Mailbox
        fields = ["id", "tenant", "user_principal_name", "display_name", "is_deleted",
                  "deleted_date", "created_date", "last_activity_date", "item_count",
                  "storage_used_bytes", "issue_warning_quota_bytes", "prohibit_send_quota_bytes",
                  "prohibit_send_receive_quota_bytes", "quota_used_percent",
                  "deleted_item_count", "deleted_item_size_bytes", "has_archive",
                  "report_refresh_date", "report_period", "synced"]


class OneDriveAccountSerializer(TenantOwnedSerializer):
    quota_used_percent = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = OneDriveAccount
        fields = ["id", "tenant", "site_url", "owner_display_name", "owner_principal_name",
                  "is_deleted", "last_activity_date", "file_count", "active_file_count",
                  "storage_used_bytes", "storage_allocated_bytes", "quota_used_percent",
                  "report_refresh_date", "report_period", "synced"]


class TeamSerializer(TenantOwnedSerializer):
    class Meta:
        model = Team
        fields = ["id", "tenant", "graph_id", "display_name", "description", "visibility",
                  "is_archived", "created_in_graph", "web_url", "synced"]


class SubscribedSkuSerializer(TenantOwnedSerializer):
    available_units = serializers.IntegerField(read_only=True)
    product_name = serializers.CharField(read_only=True)

    class Meta:
        model = SubscribedSku
        fields = ["id", "tenant", "sku_id", "sku_part_number", "product_name", "applies_to",
                  "capability_status",
                  "consumed_units", "prepaid_enabled", "prepaid_suspended", "prepaid_warning",
                  "prepaid_locked_out", "available_units", "service_plans", "synced"]


class SubscriptionSerializer(TenantOwnedSerializer):
    product_name = serializers.CharField(read_only=True)

    class Meta:
        model = Subscription
        fields = ["id", "tenant", "graph_id", "sku_id", "sku_part_number", "product_name",
                  "status", "total_licenses", "is_trial", "created_in_graph", "next_lifecycle",
                  "synced"]


class ServiceHealthSerializer(TenantOwnedSerializer):
    level = serializers.CharField(read_only=True)

    class Meta:
        model = ServiceHealth
        fields = ["id", "tenant", "service_id", "service", "status", "level", "synced"]


class ServiceHealthIssueSerializer(TenantOwnedSerializer):
    level = serializers.CharField(read_only=True)

    class Meta:
        model = ServiceHealthIssue
        fields = ["id", "tenant", "issue_id", "service", "title", "impact_description",
                  "classification", "origin", "status", "level", "feature", "feature_group",
                  "is_resolved", "start", "end", "last_modified", "synced"]


class SyncRunSerializer(TenantOwnedSerializer):
    # In the request's language; older runs keep the English line they stored.
    error = serializers.CharField(source="localized_error", read_only=True)

    class Meta:
        model = SyncRun
        fields = ["id", "tenant", "collector", "trigger", "status", "started", "finished",
                  "pages", "written", "removed", "rejected", "error", "error_code", "owner",
                  "heartbeat", "graph_requests", "graph_throttled", "graph_retries"]
