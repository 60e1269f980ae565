"""Onboarding a tenant: the permissions to grant, and a connection test before saving.

Both come from what each collector declares (`NEEDS` in collectors/sync/<collector>.py), so
the checklist, the test and the collectors cannot drift apart.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from urllib.parse import quote

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collectors.clients import config_for
from collectors.graph import (
    GraphAuthError,
    GraphClient,
    GraphConfig,
    GraphError,
    GraphLicenseRequired,
    GraphTlsError,
    GraphUnavailable,
    Limiter,
)
from collectors.sync.base import Needs
from collectors.sync.runner import NEEDS
from m365admin.choices import Collector
from m365admin.models import Tenant

# An interactive test: a dead host should not keep the page waiting for the sync timeouts.
CHECK_TIMEOUT_SECONDS = 10.0
# Where a Global Administrator grants an app its permissions for the whole tenant.
CONSENT_URL = "https://login.microsoftonline.com/{tenant}/adminconsent?client_id={client}"
_AADSTS = re.compile(r"AADSTS(\d+)")


@dataclass(frozen=True)
class Permission:
    """One application permission and what it is for (the collectors that need it)."""

    name: str
    uses: list[Promise]


def permissions() -> list[Permission]:
    """Every permission some collector needs, in the order the collectors run."""
    uses: dict[str, list[Promise]] = {}
    for needs in NEEDS.values():
        for name in needs.permissions:
            uses.setdefault(name, []).append(needs.why)
    return [Permission(name, why) for name, why in uses.items()]


def consent_url(tenant_id: str, client_id: str) -> str:
    return CONSENT_URL.format(tenant=quote(tenant_id, safe=""), client=quote(client_id, safe=""))


# What the test found for one collector.
WORKS, NEEDS_PERMISSION, NEEDS_LICENCE, FAILED = (
    "works", "needs_permission", "needs_licence", "failed")


@dataclass(frozen=True)
class Outcome:
    collector: str
    state: str
    detail: str  # what to do, in the reader's language; empty when it works

    @property
    def label(self) -> str:
        return str(Collector(self.collector).label)


@dataclass(frozen=True)
class Report:
    """No token (`problem` says why, no outcomes), or one outcome per collector."""

    problem: str = ""
    outcomes: tuple[Outcome, ...] = ()

    @property
    def all_work(self) -> bool:
        return not self.problem and all(o.state == WORKS for o in self.outcomes)


def check_connection(tenant: Tenant) -> Report:
    """Get a token as `tenant` (saved or not) would, then send each collector's probe."""
    config = replace(config_for(tenant), timeout=CHECK_TIMEOUT_SECONDS)
    # Its own client, one attempt per request: nothing cached from an earlier test, no retries
    # to wait through, no breaker state shared with the tenant's syncs.
    client = GraphClient(config, limiter=Limiter(len(NEEDS)), max_attempts=1)
    try:
        client.token()
        with ThreadPoolExecutor(len(NEEDS), thread_name_prefix="probe") as pool:
            answers = dict(zip(NEEDS, pool.map(lambda n: _probe(client, n), NEEDS.values())))
    except GraphAuthError as exc:
        return Report(problem=_sign_in_problem(exc, config))
    finally:
        client.close()
    if all(isinstance(error, GraphUnavailable) for error in answers.values()):
        return Report(problem=_("Cannot reach Microsoft Graph at %(url)s: %(reason)s") % {
            "url": config.graph_url, "reason": next(iter(answers.values()))})
    return Report(outcomes=_outcomes(answers))


def _probe(client: GraphClient, needs: Needs) -> GraphError | None:
    try:
        client.probe(needs.probe)
    except GraphError as exc:
        return exc
    return None


def _outcomes(answers: dict[str, GraphError | None]) -> tuple[Outcome, ...]:
    # A permission is proven held when a probe needing it got past the permission check;
    # of a refused collector's permissions, the unproven ones are the missing ones.
    held = {name for collector, error in answers.items()
            if error is None or isinstance(error, GraphLicenseRequired)
            for name in NEEDS[collector].permissions}
    outcomes = []
    for collector, error in answers.items():
        needs = NEEDS[collector]
        if error is None:
            outcomes.append(Outcome(collector, WORKS, ""))
        elif isinstance(error, GraphLicenseRequired):
            outcomes.append(Outcome(collector, NEEDS_LICENCE, _(
                "Needs a licence: %(licence)s. Without it this collector is skipped; the "
                "others still run.") % {"licence": needs.licence or _("Entra ID P1")}))
        elif error.status == 403:
            missing = [p for p in needs.permissions if p not in held] or list(needs.permissions)
            outcomes.append(Outcome(collector, NEEDS_PERMISSION, _(
                "Needs permission %(permissions)s (application permission, with admin "
                "consent).") % {"permissions": ", ".join(missing)}))
        else:
            outcomes.append(Outcome(collector, FAILED, str(error)))
    return tuple(outcomes)


def _sign_in_problem(exc: GraphAuthError, config: GraphConfig) -> str:
    """Why no token came, in words that say what to fix."""
    where = {"authority": config.authority, "tenant": config.tenant_id}
    cause = exc.__cause__
    if isinstance(cause, GraphTlsError):
        return _("The certificate of %(authority)s is not trusted. Point GRAPH_CA_BUNDLE at "
                 "the certificate authority that issued it.") % where
    if isinstance(cause, GraphUnavailable):
        return _("Cannot reach %(authority)s: %(reason)s") % {**where, "reason": cause.message}
    if isinstance(cause, ValueError):
        # msal could not read the authority's discovery document: Entra ID knows no such tenant.
        return _("Unknown tenant: %(authority)s does not know %(tenant)s. Check the tenant ID "
                 "or domain.") % where
    code = _AADSTS.search(exc.message)
    meaning = _SIGN_IN_ERRORS.get(code.group(1) if code else "")
    if meaning and code:
        return f"{meaning} ({code.group(0)})"
    return _("Entra ID refused the sign-in: %(error)s") % {"error": exc.message}


# The AADSTS codes of the token endpoint that an onboarding typo causes.
_SIGN_IN_ERRORS = {
    "7000215": gettext_lazy("Wrong client secret. Enter the secret's Value, not its Secret ID."),
    "7000222": gettext_lazy("The client secret has expired. Create a new one in Entra ID."),
    "700016": gettext_lazy("No application with this client ID in this tenant. Check the "
                           "client ID, and that the app was registered (or consented to) in "
                           "this tenant."),
    "90002": gettext_lazy("Unknown tenant. Check the tenant ID or domain."),
}
