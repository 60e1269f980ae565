"""What every detection reads and returns.

A detection is a function `detect(ctx: Context) -> list[Finding]`. It is given the new
sign-ins of one tenant (`ctx.new`, in id order: late arrivals included) and reads whatever
history it needs through `ctx.around(minutes)` or its own bounded queries. It must not write:
the runner stores findings, deduplicated by `dedup_key`, and applies accepted risks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import NamedTuple

from m365admin.models import SignIn, Tenant
from security.models import DetectionSettings

# The columns detections use, read as plain tuples (a backfill reads millions).
ROW_FIELDS = (
    "id", "graph_id", "created", "user_graph_id", "user_principal_name", "ip_address",
    "country", "city", "latitude", "longitude", "client_app_used", "is_interactive",
    "error_code", "authentication_requirement", "conditional_access_status",
    "risk_level_during_sign_in", "risk_state", "risk_event_types", "app_display_name",
)


class Row(NamedTuple):
    id: int
    graph_id: str
    created: datetime
    user_graph_id: str
    user_principal_name: str
    ip_address: str | None
    country: str
    city: str
    latitude: float | None
    longitude: float | None
    client_app_used: str
    is_interactive: bool | None
    error_code: int
    authentication_requirement: str
    conditional_access_status: str
    risk_level_during_sign_in: str
    risk_state: str
    risk_event_types: list
    app_display_name: str

    @property
    def succeeded(self) -> bool:
        return self.error_code == 0

    @property
    def user(self) -> str:
        """The account, as events name it: the UPN, lower-cased (else the user id)."""
        return (self.user_principal_name or self.user_graph_id).lower()


def rows(queryset) -> list[Row]:
    return [Row(*values) for values in queryset.values_list(*ROW_FIELDS)]


@dataclass
class Finding:
    kind: str  # a registered Kind (m365admin/registry/detections.py)
    dedup_key: str  # same key, same event: a later run extends it instead of adding one
    evidence: list[Row]
    users: list[str] = field(default_factory=list)
    ip_address: str | None = None  # set for findings about an address (sprays), else None
    severity: str | None = None  # None: the kind's default (security/choices.py)
    details: dict = field(default_factory=dict)

    @property
    def countries(self) -> list[str]:
        return sorted({r.country for r in self.evidence if r.country})


@dataclass
class Context:
    tenant: Tenant
    settings: DetectionSettings
    new: list[Row]
    # ctx.around's reads by window length: detections sharing a window share the read.
    _around: dict[int, list[Row]] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def start(self) -> datetime:
        return min(r.created for r in self.new)

    @cached_property
    def end(self) -> datetime:
        return max(r.created for r in self.new)

    def around(self, minutes: int) -> list[Row]:
        """The tenant's sign-ins from `minutes` before the earliest new one to `minutes` after
        the latest, oldest first: the windows that the new sign-ins can belong to."""
        if minutes not in self._around:
            span = timedelta(minutes=minutes)
            self._around[minutes] = rows(
                SignIn.objects.filter(tenant=self.tenant)
                .between(self.start - span, self.end + span + timedelta(microseconds=1))
                .order_by("created", "id")
            )
        return self._around[minutes]
