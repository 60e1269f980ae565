"""The health checks that read the collectors' data and clients: Microsoft Graph, Exchange
Online, authentication (token issuance per tenant) and the task queue (judged by the
collectors' interval). Imported by the health registry's
autodiscovery (m365admin/registry/health.py), which is what registers them."""

from collectors.health import auth, exchange, graph, queue  # noqa: F401
