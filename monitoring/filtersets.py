"""One FilterSet per model, shared by the API and (later) the alert pages."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from m365admin.models import Tenant
from monitoring.choices import OPEN_STATUSES, AlertSource, AlertStatus, Severity
from monitoring.models import Alert


class AlertFilterSet(django_filters.FilterSet):
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, label=_("Severity"))
    status = django_filters.MultipleChoiceFilter(choices=AlertStatus.choices, label=_("Status"))
    source = django_filters.MultipleChoiceFilter(
        field_name="rule__source", choices=AlertSource.choices, label=_("Source")
    )
    tenant = django_filters.UUIDFilter(method="filter_tenant", label=_("Tenant"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("Open"))

    class Meta:
        model = Alert
        fields = ["severity", "status", "source", "tenant", "open"]

    def filter_tenant(self, queryset, name, value):
        pk = Tenant.objects.filter(code=value).values_list("pk", flat=True).first()
        return queryset.filter(tenant_id=pk) if pk else queryset.none()

    def filter_open(self, queryset, name, value):
        # "Open" as the dashboard counts it: firing or acknowledged, not silenced, not held back.
        is_open = {"status__in": OPEN_STATUSES, "silenced": False, "inhibited_by__isnull": True}
        if value:
            return queryset.filter(**is_open)
        return queryset.exclude(**is_open)
