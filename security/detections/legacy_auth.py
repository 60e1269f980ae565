"""Legacy authentication: IMAP, POP, SMTP AUTH, Exchange ActiveSync (basic), MAPI, other clients.

These protocols cannot do MFA, which is why attackers use them. One event per user, day and
outcome; a success is an ERROR (a password worked without a second factor); a failure is INFO
(usually conditional access blocking it, as it should: recorded, not alerted on). Client-app
strings are free text (CONTRACT.md): unknown ones are not legacy.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from m365admin.choices import Severity
from m365admin.registry.detections import Kind, detection
from security.detections.base import Context, Finding, Row

LEGACY_AUTH = Kind("legacy_auth", _("Legacy authentication"), Severity.ERROR)

# Lower-cased clientAppUsed values documented or seen for legacy protocols.
LEGACY_CLIENTS = {
    "exchange activesync", "imap", "imap4", "pop", "pop3", "smtp", "authenticated smtp",
    "mapi", "mapi over http", "other clients", "exchange web services", "offline address book",
    "outlook anywhere (rpc over http)", "autodiscover", "exchange online powershell",
    "reporting web services",
}


def is_legacy(row: Row) -> bool:
    return row.client_app_used.strip().lower() in LEGACY_CLIENTS


@detection(LEGACY_AUTH)
def detect(ctx: Context) -> list[Finding]:
    groups: dict[tuple[str, str, bool], list[Row]] = defaultdict(list)
    for row in ctx.new:
        if is_legacy(row):
            groups[(row.user, row.created.date().isoformat(), row.succeeded)].append(row)
    return [
        Finding(
            LEGACY_AUTH,
            f"legacy_auth:{ctx.tenant.pk}:{user}:{day}:{'ok' if ok else 'failed'}",
            evidence, users=[user],
            severity=Severity.ERROR if ok else Severity.INFO,
            details={"succeeded": ok,
                     "clients": sorted({r.client_app_used for r in evidence})},
        )
        for (user, day, ok), evidence in groups.items()
    ]
