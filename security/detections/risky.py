"""Risky sign-ins as Entra ID reports them (riskLevelDuringSignIn, riskState).

Without Entra ID P2 the levels read "hidden" and this finds nothing; the other detections do
not depend on it. One event per sign-in.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from m365admin.choices import Severity
from m365admin.registry.detections import Kind, detection
from security.detections.base import Context, Finding

RISKY_SIGN_IN = Kind("risky_sign_in", _("Risky sign-in reported by Entra ID"), Severity.WARNING)

LEVEL_SEVERITY = {"medium": Severity.WARNING, "high": Severity.ERROR}
STATE_SEVERITY = {"atrisk": Severity.WARNING, "confirmedcompromised": Severity.CRITICAL}
ORDER = [Severity.INFO, Severity.WARNING, Severity.ERROR, Severity.CRITICAL]


@detection(RISKY_SIGN_IN)
def detect(ctx: Context) -> list[Finding]:
    found = []
    for row in ctx.new:
        severities = [s for s in (LEVEL_SEVERITY.get(row.risk_level_during_sign_in.lower()),
                                  STATE_SEVERITY.get(row.risk_state.lower())) if s]
        if not severities:
            continue
        found.append(Finding(
            RISKY_SIGN_IN, f"risky_sign_in:{ctx.tenant.pk}:{row.graph_id}", [row],
            users=[row.user], severity=max(severities, key=ORDER.index),
            details={"risk_level": row.risk_level_during_sign_in, "risk_state": row.risk_state,
                     "risk_events": list(row.risk_event_types or [])},
        ))
    return found
