"""Fixtures for the simulator's own tests: each module builds its `sim`, this talks to it."""

from __future__ import annotations

from typing import Any

import pytest
import requests


@pytest.fixture(scope="module")
def http(sim: Any, request: pytest.FixtureRequest) -> Any:
    """GET on the module's simulator as one of its tenants (default: the module's TENANT)."""
    session = requests.Session()
    tokens: dict[str, str] = {}

    def get(url: str, tenant: str | None = None, auth: bool = True,
            headers: dict[str, str] | None = None) -> requests.Response:
        tenant = tenant or request.module.TENANT
        if tenant not in tokens:
            tokens[tenant] = sim.issue_token(tenant)
        sent = {**({"Authorization": f"Bearer {tokens[tenant]}"} if auth else {}), **(headers or {})}
        full = url if url.startswith("https://") else sim.base_url + url
        return session.get(full, headers=sent, verify=sim.ca_bundle, timeout=20,
                           allow_redirects=False)

    return get
