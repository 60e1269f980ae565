"""The demo: two tenants served by the built-in Graph simulator, synced by the real collectors.

The simulator runs in this process on a free loopback port; the demo tenants' rows are pointed
at it on every start. Their client secrets are generated once and kept encrypted like any
tenant's, and the simulator is told the same secret, so the demo exercises the real msal flow.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from collectors.simulator import GraphSimulator, SimTenant
from m365admin.models import Tenant


@dataclass(frozen=True)
class DemoTenant:
    name: str
    tenant_id: str
    client_id: str
    seed: int
    users: int | None  # None: DEMO_USERS
    # Without Entra ID P1/P2 Graph refuses sign-in logs: the demo shows how that reads.
    premium: bool


DEMO_TENANTS = [
    DemoTenant("Contoso Japan", "5f1c7a8e-3b0d-4c61-9a57-0d2f4e6b8c11",
               "0a8d2f55-6e4b-4f1a-b3c7-9e2d1c0b7a63", seed=1, users=None, premium=True),
    DemoTenant("Fabrikam Trading", "9c3e1b72-84d5-4a0f-b6e9-2f7a5d3c1e48",
               "7e5b9c21-0d3f-4a8e-95b6-c1d2e3f4a5b6", seed=2, users=30, premium=False),
]
DEMO_USERNAME = "demo"


def start_simulator() -> tuple[GraphSimulator, list[Tenant]]:
    """Start the simulator with the demo tenants and point their rows at it."""
    simulator = GraphSimulator(host="127.0.0.1", port=0, state_dir=settings.SIMULATOR_DIR)
    tenants = []
    with transaction.atomic():
        for demo in DEMO_TENANTS:
            tenant = _tenant_row(demo)
            simulator.add_tenant(SimTenant(
                tenant_id=demo.tenant_id, client_id=demo.client_id,
                client_secret=tenant.client_secret(), seed=demo.seed,
                users=demo.users or settings.DEMO_USERS,
                signins=settings.DEMO_SIGNINS if demo.premium else 0,
                premium=demo.premium, display_name=demo.name,
            ))
            tenants.append(tenant)
    simulator.start()
    Tenant.objects.filter(pk__in=[t.pk for t in tenants]).update(
        authority_url=simulator.base_url, graph_url=simulator.base_url
    )
    for tenant in tenants:
        tenant.refresh_from_db()
    return simulator, tenants


def _tenant_row(demo: DemoTenant) -> Tenant:
    tenant = Tenant.objects.filter(tenant_id=demo.tenant_id).first()
    if tenant is None:
        tenant = Tenant(name=demo.name, tenant_id=demo.tenant_id, client_id=demo.client_id,
                        is_demo=True)
        tenant.set_client_secret(secrets.token_urlsafe(32))
        tenant.save()
    return tenant


def demo_login() -> tuple[str, str]:
    """The demo administrator's user name and password, created on first use.

    The password is random per installation and kept in var/ (mode 0600), so it can be shown
    again on every start without being stored in the database in clear.
    """
    path = settings.VAR_DIR / "demo-login.txt"
    User = get_user_model()  # noqa: N806 — a model class, named like one
    if not path.exists() or not User.objects.filter(username=DEMO_USERNAME).exists():
        password = secrets.token_urlsafe(12)
        user = User.objects.filter(username=DEMO_USERNAME).first() or User(username=DEMO_USERNAME)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        path.touch(mode=0o600)
        path.write_text(password)
    return DEMO_USERNAME, path.read_text().strip()
