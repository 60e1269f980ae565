"""What the dashboard's websocket carries, typed: the tick, the snapshot and their parts
(docs/monitoring.md).

The pusher builds these, alerting reads the same values (monitoring/alerting.py: observe), and
the browser gets them as JSON, keys in field order. A field renamed here is a key renamed in
static/js/dashboard.js's input: monitoring/messages.schema.json is their JSON Schema, kept in
the repository, and a test fails until both are brought together (tests/monitoring/
test_messages_schema.py; regenerate it with `python -m monitoring.messages`).
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType

# A reason as stored: language-neutral (m365admin/texts.py), or the English line of a row from
# before; the browser gets it in words (monitoring.tick.in_words).
Reason = str | dict[str, Any]


class Part(Struct, forbid_unknown_fields=True):
    """A message's part: its keys are the browser's, and a key it does not know is an error."""


class Disk(Part):
    path: str
    percent: float


class Metrics(Part):
    """One sample of the host and this app (monitoring/sampler.py). None: not readable here."""

    cpu: float | None = None
    cpu_cores: list[float] = []
    load: list[float | None] = []
    memory: float | None = None
    swap: float | None = None
    disks: dict[str, Disk] = {}
    disk: float | None = None  # the fullest of `disks`
    disk_read: float | None = None
    disk_write: float | None = None
    net_in: float | None = None
    net_out: float | None = None
    app_rss: int | None = None
    app_cpu: float | None = None
    app_processes: int | None = None
    unavailable: list[str] = []


class ComponentHealth(Part):
    """A component's latest check (monitoring/health/store.py)."""

    component: str  # a Component value
    status: str  # a HealthStatus value
    latency_ms: float | None
    reason: Reason
    since: float  # when the status last changed


class RouteRequests(Part):
    route: str
    count: int
    errors: int
    error_rate: float
    refused: int
    p50: float | None
    p95: float | None
    p99: float | None


class Requests(Part):
    """All processes' requests in the last complete interval (monitoring/requeststats.py)."""

    interval_start: float
    count: int
    errors: int = 0
    error_rate: float = 0.0
    refused: int = 0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    routes: list[RouteRequests] = []


class Licences(Part):
    enabled: int
    assigned: int
    unused: int
    free: int


class OneDrive(Part):
    accounts: int
    used: int
    allocated: int
    near_quota: int


class ServiceHealthSummary(Part):
    level: str  # a HealthLevel value
    not_operational: list[str]


class TenantTile(Part):
    """A tenant's tile (m365admin/overview.py: tenant_tiles)."""

    code: str
    name: str
    users: int
    licensed: int
    guests: int
    licences: Licences
    signins_24h: int
    failed_24h: int
    failure_rate: float | None
    risky_24h: int
    sign_in_logs_unavailable: bool
    mailboxes: int
    mailboxes_near_quota: int
    onedrive: OneDrive
    service_health: ServiceHealthSummary
    last_sync: float | None


class Tick(Part, tag="tick", tag_field="type"):
    """One scheduler tick. A part that could not be measured is None; `tenants` is left out
    when the tiles are those last sent."""

    t: float | None = None
    metrics: Metrics | None = None
    health: list[ComponentHealth] = []
    requests: Requests | None = None
    alerts: dict[str, int] | None = None  # open alerts by severity
    tenants: list[TenantTile] | UnsetType = UNSET


class MetricsHistory(Part):
    """Chart columns, oldest first (monitoring/sampler.py: history)."""

    t: list[float]
    disk: list[float | None]
    cpu: list[float | None]
    memory: list[float | None]
    swap: list[float | None]
    disk_read: list[float | None]
    disk_write: list[float | None]
    net_in: list[float | None]
    net_out: list[float | None]
    app_rss: list[int | None]
    app_cpu: list[float | None]


class RequestsHistory(Part):
    """Chart columns, oldest first (monitoring/requeststats.py: history)."""

    t: list[float]
    count: list[int]
    error_rate: list[float]
    p50: list[float | None]
    p95: list[float | None]
    p99: list[float | None]


class History(Part):
    metrics: MetricsHistory
    requests: RequestsHistory


class Snapshot(Part, tag="snapshot", tag_field="type"):
    """What a newly connected client gets: the latest tick, the last hour, and the tiles."""

    interval: float
    latest: Tick | None
    history: History
    tenants: list[TenantTile]


def tiles(found: list[dict[str, Any]]) -> list[TenantTile]:
    """overview.tenant_tiles()'s dicts as tiles; a tile that changed shape fails here."""
    return msgspec.convert(found, list[TenantTile])


def schema() -> dict[str, Any]:
    """The JSON Schema of every message the dashboard's socket sends (but "unavailable")."""
    return msgspec.json.schema(Tick | Snapshot)


if __name__ == "__main__":  # python -m monitoring.messages > monitoring/messages.schema.json
    print(msgspec.json.format(msgspec.json.encode(schema()), indent=2).decode())
