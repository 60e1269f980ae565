"""One GraphClient per tenant for the life of the process (msal's token cache lives in it)."""

from __future__ import annotations

import threading
from functools import cache

from django.conf import settings

from collectors.graph import GraphClient, GraphConfig, Limiter
from m365admin.models import Tenant

_clients: dict[int, tuple[GraphConfig, GraphClient]] = {}
_lock = threading.Lock()


@cache
def _limiter(size: int) -> Limiter:
    # Shared by every tenant's client: the cap is on this process's requests in flight.
    return Limiter(size)


def config_for(tenant: Tenant) -> GraphConfig:
    """The client configuration of a tenant (raises SecretUnreadable if the key is gone)."""
    ca_bundle = settings.GRAPH_CA_BUNDLE
    if tenant.is_demo:
        ca_bundle = str(settings.SIMULATOR_DIR / "cert.pem")
    return GraphConfig(
        tenant_id=tenant.tenant_id,
        client_id=tenant.client_id,
        client_secret=tenant.client_secret(),
        authority_url=tenant.authority(),
        graph_url=tenant.graph_url.rstrip("/"),
        ca_bundle=ca_bundle,
        timeout=settings.GRAPH_TIMEOUT,
    )


def client_for(tenant: Tenant) -> GraphClient:
    """The tenant's client, rebuilt when its configuration (URLs, secret) changed."""
    config = config_for(tenant)
    with _lock:
        known = _clients.get(tenant.pk)
        if known is not None and known[0] == config:
            return known[1]
        client = GraphClient(config, limiter=_limiter(settings.GRAPH_MAX_IN_FLIGHT))
        _clients[tenant.pk] = (config, client)
    if known is not None:
        known[1].close()
    return client


def forget_clients() -> None:
    """Close and drop every cached client (tests, and after tenants are deleted)."""
    with _lock:
        clients = [client for _, client in _clients.values()]
        _clients.clear()
    for client in clients:
        client.close()
