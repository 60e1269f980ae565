"""Filters of the threat pages (m365admin/explorer.py reports their problems in words)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from m365admin.filtersets import IPAddressFilter
from m365admin.models import Tenant
from security import threats
from security.choices import DETECTION_KINDS, Verdict

NOT_TRIAGED = "none"


class ThreatFilterSet(django_filters.FilterSet):
    """The detections' events: by tenant (its public code), detection, address, user, verdict.

    `kind` with `ip` or `user` is what an alert names (monitoring/alerts/alerting.py labels a
    security-event alert by the event's address, else its username): the alert page links here.
    """

    tenant = django_filters.ModelChoiceFilter(
        queryset=Tenant.objects.all(), to_field_name="code", label=_("Tenant"),
        # One message for a malformed code and an unknown one: neither names a tenant.
        error_messages={"invalid_choice": _("No tenant has this code.")},
    )
    kind = django_filters.ChoiceFilter(
        choices=[(k.value, k.label) for k in DETECTION_KINDS], label=_("Detection"))
    ip = IPAddressFilter(field_name="ip_address", label=_("IP address"))
    user = django_filters.CharFilter(method="filter_user", label=_("User (UPN)"), max_length=320)
    verdict = django_filters.ChoiceFilter(
        choices=[(NOT_TRIAGED, _("Not triaged")), *Verdict.choices], method="filter_verdict",
        label=_("Verdict"))

    def filter_user(self, queryset, name, value):
        return threats.involving(queryset, value)

    def filter_verdict(self, queryset, name, value):
        return queryset.filter(verdict="" if value == NOT_TRIAGED else value)
