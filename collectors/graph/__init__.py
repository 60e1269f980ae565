"""Microsoft Graph client: the only code that talks to Graph or the identity platform.

Imports nothing from Django; configure it with a GraphConfig.
"""

from __future__ import annotations

from .breaker import BreakerState
from .client import BatchResponse, GraphClient, Page
from .config import GraphConfig
from .errors import (
    GraphAuthError,
    GraphBreakerOpen,
    GraphError,
    GraphLicenseRequired,
    GraphMalformedResponse,
    GraphResyncRequired,
    GraphThrottled,
    GraphTlsError,
    GraphUnavailable,
)
from .http import PROCESS_LIMITER, Limiter
from .stats import GraphStats, StatsSnapshot

__all__ = [
    "PROCESS_LIMITER",
    "BatchResponse",
    "BreakerState",
    "GraphAuthError",
    "GraphBreakerOpen",
    "GraphClient",
    "GraphConfig",
    "GraphError",
    "GraphLicenseRequired",
    "GraphMalformedResponse",
    "GraphResyncRequired",
    "GraphStats",
    "GraphThrottled",
    "GraphTlsError",
    "GraphUnavailable",
    "Limiter",
    "Page",
    "StatsSnapshot",
]
