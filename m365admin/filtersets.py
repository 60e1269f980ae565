"""One FilterSet per model, shared by the API and (later) the HTML lists."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from m365admin.models import (
    DirectoryUser,
    Mailbox,
    OneDriveAccount,
    ServiceHealth,
    ServiceHealthIssue,
    SignIn,
    SubscribedSku,
    SyncRun,
    Team,
    Tenant,
)


class TenantScoped(django_filters.FilterSet):
    """Every synced entity filters by tenant, by the tenant's public code."""

    tenant = django_filters.UUIDFilter(field_name="tenant__code")


class TenantFilterSet(django_filters.FilterSet):
    class Meta:
        model = Tenant
        fields = ["enabled"]


class DirectoryUserFilterSet(TenantScoped):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = DirectoryUser
        fields = ["tenant", "account_enabled", "user_type", "is_licensed", "deleted", "department"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(user_principal_name__icontains=value) | Q(display_name__icontains=value)
        )


class SignInFilterSet(TenantScoped):
    since = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="lt")
    failed = django_filters.BooleanFilter(method="filter_failed")

    class Meta:
        model = SignIn
        fields = [
            "tenant", "user_graph_id", "user_principal_name", "ip_address", "country",
            "client_app_used", "error_code", "risk_level_during_sign_in", "risk_state",
        ]

    def filter_failed(self, queryset, name, value):
        return queryset.failed() if value else queryset.succeeded()


class MailboxFilterSet(TenantScoped):
    class Meta:
        model = Mailbox
        fields = ["tenant", "is_deleted", "has_archive"]


class OneDriveAccountFilterSet(TenantScoped):
    class Meta:
        model = OneDriveAccount
        fields = ["tenant", "is_deleted"]


class TeamFilterSet(TenantScoped):
    class Meta:
        model = Team
        fields = ["tenant", "visibility", "is_archived"]


class SubscribedSkuFilterSet(TenantScoped):
    class Meta:
        model = SubscribedSku
        fields = ["tenant", "sku_part_number", "capability_status"]


class ServiceHealthFilterSet(TenantScoped):
    class Meta:
        model = ServiceHealth
        fields = ["tenant", "service_id", "status"]


class ServiceHealthIssueFilterSet(TenantScoped):
    class Meta:
        model = ServiceHealthIssue
        fields = ["tenant", "service", "classification", "is_resolved"]


class SyncRunFilterSet(TenantScoped):
    class Meta:
        model = SyncRun
        fields = ["tenant", "collector", "status", "trigger"]
