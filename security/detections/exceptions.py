"""Accepted risks: an active exception that matches a finding suppresses it."""

from __future__ import annotations

import ipaddress

from django.db.models import Q
from django.utils import timezone

from m365admin.models import Tenant
from security.detections.base import Finding
from security.models import DetectionException


def active(tenant: Tenant) -> list[DetectionException]:
    return list(DetectionException.objects.filter(
        Q(tenant=tenant) | Q(tenant__isnull=True), expires__gt=timezone.now()))


def suppresses(accepted: list[DetectionException], finding: Finding) -> bool:
    return any(_matches(exception, finding) for exception in accepted)


def _matches(exception: DetectionException, finding: Finding) -> bool:
    if exception.kind and exception.kind != finding.kind:
        return False
    if exception.user and exception.user.lower() not in finding.users:
        return False
    if exception.country and exception.country.upper() not in finding.countries:
        return False
    if exception.network:
        network = ipaddress.ip_network(exception.network)
        addresses = {finding.ip_address} if finding.ip_address else {
            r.ip_address for r in finding.evidence if r.ip_address}
        if not addresses or not all(ipaddress.ip_address(a) in network for a in addresses):
            return False
    return True
