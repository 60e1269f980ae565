"""Object builders shared by the tests."""

from __future__ import annotations

import uuid

from m365admin.models import Tenant


def make_tenant(*, secret: str = "not-a-real-secret", **fields) -> Tenant:
    fields.setdefault("name", f"Tenant {uuid.uuid4().hex[:6]}")
    fields.setdefault("tenant_id", str(uuid.uuid4()))
    fields.setdefault("client_id", str(uuid.uuid4()))
    tenant = Tenant(**fields)
    tenant.set_client_secret(secret)
    tenant.save()
    return tenant
