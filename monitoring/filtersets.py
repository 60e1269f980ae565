"""One FilterSet per model, shared by the API and (later) the alert pages."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from m365admin.choices import AlertSource, Severity
from m365admin.models import Tenant
from monitoring.choices import OPEN_STATUSES, AlertStatus
from monitoring.models import Alert, AlertRule


class AlertFilterSet(django_filters.FilterSet):
    # distinct=False: each matches a column of the alert or of its one rule, so no row can
    # repeat, and a DISTINCT over every column (JSON labels included) sorted the whole list.
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, distinct=False,
                                                   label=_("Severity"))
    status = django_filters.MultipleChoiceFilter(choices=AlertStatus.choices, distinct=False,
                                                 label=_("Status"))
    source = django_filters.MultipleChoiceFilter(
        field_name="rule__source", choices=AlertSource.choices, distinct=False, label=_("Source")
    )
    rule = django_filters.ModelChoiceFilter(
        queryset=AlertRule.objects.order_by("name"), to_field_name="code", label=_("Rule")
    )
    tenant = django_filters.UUIDFilter(method="filter_tenant", label=_("Tenant"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("Open"))
    silenced = django_filters.BooleanFilter(label=_("Silenced"))
    held_back = django_filters.BooleanFilter(field_name="inhibited_by", lookup_expr="isnull",
                                             exclude=True, label=_("Held back"))

    class Meta:
        model = Alert
        fields = ["severity", "status", "source", "rule", "tenant", "open", "silenced",
                  "held_back"]

    def filter_tenant(self, queryset, name, value):
        pk = Tenant.objects.filter(code=value).values_list("pk", flat=True).first()
        return queryset.filter(tenant_id=pk) if pk else queryset.none()

    def filter_open(self, queryset, name, value):
        # "Open" as the dashboard counts it: firing or acknowledged, not silenced, not held back.
        is_open = {"status__in": OPEN_STATUSES, "silenced": False, "inhibited_by__isnull": True}
        if value:
            return queryset.filter(**is_open)
        return queryset.exclude(**is_open)
