"""One FilterSet per model, shared by the API and the explorer pages (m365admin/explorer.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from m365admin.choices import RiskLevel, RiskState, SignInStatus
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
from m365admin.models.signins import RISKY, SignInQuerySet


class IPAddressFilter(django_filters.Filter):
    """Validates the address: PostgreSQL's inet column fails the whole query on a bad one."""

    field_class = forms.GenericIPAddressField


class DateTimeInRangeField(IsoDateTimeField):
    """An ISO date-time far enough from Python's limits (years 1 and 9999) that time zones and
    the explorer's window arithmetic cannot overflow: beyond them the page failed with a 500."""

    earliest, latest = datetime(1900, 1, 1), datetime(9999, 1, 1)
    default_error_messages = {
        "out_of_range": _("Enter a date between %(earliest)s and %(latest)s."),
    }

    def to_python(self, value: Any) -> Any:
        try:
            result = super().to_python(value)
        except OverflowError:  # an offset that pushes a date past year 1 or 9999
            result = datetime.min
        # Compared as written: converting an extreme date between time zones would overflow.
        if result is not None and not self.earliest <= result.replace(tzinfo=None) < self.latest:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range",
                                  params={"earliest": "1900-01-01", "latest": "9998-12-31"})
        return result


class DateTimeInRangeFilter(django_filters.IsoDateTimeFilter):
    field_class = DateTimeInRangeField


class TenantScoped(django_filters.FilterSet):
    """Every synced entity filters by tenant, by the tenant's public code."""

    tenant = django_filters.UUIDFilter(method="filter_tenant", label=_("Tenant"))

    def filter_tenant(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        # By the tenant's pk, not a join on its code: the planner can then walk
        # (tenant, created) indexes newest first and stop after one page.
        pk = Tenant.objects.filter(code=value).values_list("pk", flat=True).first()
        return queryset.filter(tenant_id=pk) if pk else queryset.none()


class Searchable(django_filters.FilterSet):
    """`q` finds the text anywhere in one of `search_fields`, ignoring case."""

    search_fields: tuple[str, ...] = ()

    q = django_filters.CharFilter(method="search", label=_("Search"))

    def search(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        match = Q()
        for field in self.search_fields:
            match |= Q(**{f"{field}__icontains": value})
        return queryset.filter(match)


class TenantFilterSet(django_filters.FilterSet):
    class Meta:
        model = Tenant
        fields = ["enabled"]


class DirectoryUserFilterSet(TenantScoped, Searchable):
    search_fields = ("user_principal_name", "display_name")

    class Meta:
        model = DirectoryUser
        fields = ["tenant", "account_enabled", "user_type", "is_licensed", "deleted", "department"]


class SignInFilterSet(TenantScoped):
    since = DateTimeInRangeFilter(field_name="created", lookup_expr="gte", label=_("Since"))
    until = DateTimeInRangeFilter(field_name="created", lookup_expr="lt", label=_("Until"))
    # `status` reads better on a page; `failed` stays for the API's existing clients.
    status = django_filters.ChoiceFilter(
        choices=SignInStatus.choices, method="filter_status", label=_("Status")
    )
    failed = django_filters.BooleanFilter(method="filter_failed")
    risky = django_filters.BooleanFilter(method="filter_risky", label=_("Risky"))
    user = django_filters.CharFilter(method="filter_user", label=_("User (UPN or ID)"))
    app = django_filters.CharFilter(method="filter_app", label=_("Application"))
    ip_address = IPAddressFilter(label=_("IP address"))
    country = django_filters.CharFilter(method="filter_country", label=_("Country"))
    risk_level_during_sign_in = django_filters.ChoiceFilter(
        choices=RiskLevel.choices, label=_("Risk during sign-in")
    )
    risk_state = django_filters.ChoiceFilter(choices=RiskState.choices, label=_("Risk state"))

    class Meta:
        model = SignIn
        fields = [
            "tenant", "user_graph_id", "user_principal_name", "ip_address", "country",
            "client_app_used", "error_code", "risk_level_during_sign_in", "risk_state",
        ]

    def filter_status(self, queryset: SignInQuerySet, name: str, value: Any) -> SignInQuerySet:
        return queryset.failed() if value == SignInStatus.FAILED else queryset.succeeded()

    def filter_failed(self, queryset: SignInQuerySet, name: str, value: Any) -> SignInQuerySet:
        return queryset.failed() if value else queryset.succeeded()

    def filter_risky(self, queryset: SignInQuerySet, name: str, value: Any) -> SignInQuerySet:
        return queryset.risky() if value else queryset.exclude(RISKY)

    def filter_user(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        """A user by UPN (any case, as in Entra ID) or object id.

        Resolved through the directory to (tenant, user id) pairs, which the sign-ins'
        (tenant, user, created) index answers directly, and which also finds the sign-ins made
        under a former UPN. Users no longer in the directory are matched on the sign-ins' own
        UPN or id (slower, but correct).
        """
        by = "user_principal_name__iexact" if "@" in value else "graph_id"
        users = DirectoryUser.objects.filter(**{by: value}).values_list("tenant_id", "graph_id")
        match = Q()
        for tenant_id, graph_id in users:
            match |= Q(tenant_id=tenant_id, user_graph_id=graph_id)
        if match:
            return queryset.filter(match)
        if "@" in value:
            return queryset.filter(user_principal_name__iexact=value)
        return queryset.filter(user_graph_id=value)

    def filter_app(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(Q(app_display_name__icontains=value) | Q(app_id=value))

    def filter_country(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        """Any case, as people type it. Codes are stored upper-case (lib.geo.country_code):
        an exact match is one PostgreSQL can estimate from its statistics, where with
        UPPER(country) it guessed too few rows and read a whole week before sorting it."""
        return queryset.filter(country=value.strip().upper())


class NearQuota(django_filters.FilterSet):
    """`near_quota` keeps the rows at or past QUOTA_WARNING_PERCENT (the model's near_quota())."""

    near_quota = django_filters.BooleanFilter(method="filter_near_quota", label=_("Near quota"))

    def filter_near_quota(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        near = queryset.model.near_quota()
        return queryset.filter(near) if value else queryset.exclude(near)


class MailboxFilterSet(TenantScoped, Searchable, NearQuota):
    search_fields = ("user_principal_name", "display_name")

    class Meta:
        model = Mailbox
        fields = ["tenant", "is_deleted", "has_archive"]


class OneDriveAccountFilterSet(TenantScoped, Searchable, NearQuota):
    search_fields = ("owner_principal_name", "owner_display_name", "site_url")

    class Meta:
        model = OneDriveAccount
        fields = ["tenant", "is_deleted"]


class TeamFilterSet(TenantScoped, Searchable):
    search_fields = ("display_name", "description")

    class Meta:
        model = Team
        fields = ["tenant", "visibility", "is_archived"]


class SubscribedSkuFilterSet(TenantScoped):
    class Meta:
        model = SubscribedSku
        fields = ["tenant", "sku_part_number", "capability_status"]


class SubscriptionFilterSet(TenantScoped):
    class Meta:
        model = Subscription
        fields = ["tenant", "sku_part_number", "status", "is_trial"]


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
