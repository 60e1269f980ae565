"""How a GraphClient reaches one tenant."""

from __future__ import annotations

from dataclasses import dataclass, field

PUBLIC_AUTHORITY = "https://login.microsoftonline.com"


@dataclass(frozen=True)
class GraphConfig:
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)  # kept out of repr so it never reaches a log line
    authority_url: str | None = None  # None: the public cloud authority for tenant_id
    graph_url: str = "https://graph.microsoft.com"
    ca_bundle: str | None = None  # PEM bundle trusted for both hosts; None: system trust
    timeout: float = 30.0  # seconds, for connect and for read

    @property
    def authority(self) -> str:
        return (self.authority_url or f"{PUBLIC_AUTHORITY}/{self.tenant_id}").rstrip("/")
