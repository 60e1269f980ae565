"""Graph signIn objects (CONTRACT 2.3) to sign-in table rows.

The hot path of the biggest collector: pages are decoded straight into these Structs, which
skips the dozens of fields we do not store, and each sign-in becomes one tuple in COLUMNS
order. Scalars are typed Any and checked here, so an unknown enum, a "" date or a wrong type
costs one rejected or blank value, never the page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from django.conf import settings

from collectors.sync.parse import parse_datetime, parse_int, parse_ip, text
from m365admin.lib.geo import coordinates, country_code
from m365admin.models import SignIn


class _Status(msgspec.Struct):
    errorCode: Any = None
    failureReason: Any = None


class _Geo(msgspec.Struct):
    latitude: Any = None
    longitude: Any = None


class _Location(msgspec.Struct):
    city: Any = None
    state: Any = None
    countryOrRegion: Any = None
    geoCoordinates: _Geo | None = None


class _Device(msgspec.Struct):
    operatingSystem: Any = None
    browser: Any = None
    isCompliant: Any = None
    isManaged: Any = None


class SignInItem(msgspec.Struct):
    id: Any = None
    createdDateTime: Any = None
    userId: Any = None
    userPrincipalName: Any = None
    userDisplayName: Any = None
    appId: Any = None
    appDisplayName: Any = None
    ipAddress: Any = None
    clientAppUsed: Any = None
    isInteractive: Any = None
    conditionalAccessStatus: Any = None
    authenticationRequirement: Any = None  # beta only
    riskDetail: Any = None
    riskLevelAggregated: Any = None
    riskLevelDuringSignIn: Any = None
    riskState: Any = None
    riskEventTypes_v2: Any = None
    riskEventTypes: Any = None  # the older name, still in v1.0 examples
    resourceDisplayName: Any = None
    correlationId: Any = None
    status: _Status | None = None
    location: _Location | None = None
    deviceDetail: _Device | None = None


_NO_STATUS, _NO_LOCATION, _NO_GEO, _NO_DEVICE = _Status(), _Location(), _Geo(), _Device()

# The order RowMapper.row builds its tuples in; every SignIn column but the id.
COLUMNS = (
    "tenant_id", "graph_id", "created", "user_graph_id", "user_principal_name",
    "user_display_name", "app_id", "app_display_name", "ip_address", "client_app_used",
    "is_interactive", "error_code", "failure_reason", "conditional_access_status",
    "authentication_requirement", "risk_detail", "risk_level_aggregated",
    "risk_level_during_sign_in", "risk_state", "risk_event_types", "country", "state", "city",
    "latitude", "longitude", "operating_system", "browser", "device_compliant",
    "device_managed", "resource_display_name", "correlation_id",
)
GRAPH_ID, CREATED = COLUMNS.index("graph_id"), COLUMNS.index("created")
JSON_INDEX = COLUMNS.index("risk_event_types")
_MAX_LENGTHS = {f.column: f.max_length for f in SignIn._meta.local_fields}
_TEXT_LIMITS = [
    (index, limit) for index, column in enumerate(COLUMNS)
    if (limit := _MAX_LENGTHS.get(column)) and column != "ip_address"
]

Row = list[Any]


class RowMapper:
    """Maps one tenant's signIn items to rows, rejecting times outside what can be stored."""

    def __init__(self, tenant_pk: int, now: datetime) -> None:
        self.tenant_pk = tenant_pk
        # Clock-skew guard: a timestamp far outside what Graph keeps would make stray partitions.
        self.earliest = now - timedelta(days=settings.SIGNIN_RETENTION_DAYS)
        self.latest = now + timedelta(days=1)

    def row(self, item: SignInItem) -> Row | None:
        created = parse_datetime(item.createdDateTime)
        if not item.id or created is None or not self.earliest <= created <= self.latest:
            return None
        status = item.status or _NO_STATUS
        location = item.location or _NO_LOCATION
        geo = location.geoCoordinates or _NO_GEO
        device = item.deviceDetail or _NO_DEVICE
        latitude, longitude = coordinates(_coordinate(geo.latitude), _coordinate(geo.longitude))
        risk_events = item.riskEventTypes_v2 if item.riskEventTypes_v2 is not None else item.riskEventTypes
        error_code = parse_int(status.errorCode)
        row = [
            self.tenant_pk,
            item.id,
            created,
            item.userId,
            item.userPrincipalName,
            item.userDisplayName,
            item.appId,
            item.appDisplayName,
            parse_ip(item.ipAddress),
            item.clientAppUsed,
            _bool(item.isInteractive),
            0 if error_code is None else error_code,
            status.failureReason,
            item.conditionalAccessStatus,
            item.authenticationRequirement,
            item.riskDetail,
            item.riskLevelAggregated,
            item.riskLevelDuringSignIn,
            item.riskState,
            [str(e) for e in risk_events] if isinstance(risk_events, list) else [],
            country_code(location.countryOrRegion),
            location.state,
            location.city,
            latitude,
            longitude,
            device.operatingSystem,
            device.browser,
            _bool(device.isCompliant),
            _bool(device.isManaged),
            item.resourceDisplayName,
            item.correlationId,
        ]
        for index, limit in _TEXT_LIMITS:
            value = row[index]
            # The common case (a string that fits) costs one check: this runs a million times.
            if value.__class__ is not str or len(value) > limit:
                row[index] = text(value, limit)
        return row


def as_dict(row: Row) -> dict[str, Any]:
    return dict(zip(COLUMNS, row))


def _bool(value: Any) -> bool | None:
    return value if value is True or value is False else None


def _coordinate(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
