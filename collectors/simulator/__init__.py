"""A Microsoft Graph + identity-platform simulator for tests and demo mode (no Django).

    sim = GraphSimulator(state_dir=tmp_path)
    sim.add_tenant(SimTenant(tenant_id=..., client_id=..., client_secret=..., users=50))
    sim.start()
"""

from __future__ import annotations

from .faults import Fault, Faults
from .server import GraphSimulator, RequestRecord
from .tenant import SimTenant

__all__ = ["Fault", "Faults", "GraphSimulator", "RequestRecord", "SimTenant"]
