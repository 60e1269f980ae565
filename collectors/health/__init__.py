"""The health checks that read the collectors' data and clients: Microsoft Graph, Exchange
Online and authentication (token issuance per tenant). Imported by the health registry's
autodiscovery (m365admin/registry/health.py), which is what registers them."""

from collectors.health import auth, exchange, graph  # noqa: F401
