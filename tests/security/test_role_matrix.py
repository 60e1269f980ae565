"""Every route, every role: who gets in and who is refused.

Walks every URL pattern and websocket route; a route added without an expectation here fails
the test, so nobody ships a page, API route or admin model without deciding who may use it.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib import admin as django_admin
from django.urls import URLPattern, URLResolver, get_resolver

from m365admin.asgi import application
from monitoring.urls import websocket_urlpatterns
from tests.factories import make_alert

# Personas, weakest first. A route's expectation is the weakest persona allowed in.
PERSONAS = ["anonymous", "outsider", "viewer", "operator", "administrator"]
ANYONE, SIGNED_IN, VIEWER, OPERATOR, ADMINISTRATOR = PERSONAS
NO_SUCH = "00000000-0000-0000-0000-000000000000"

# route name (namespace:name) -> (method, example path, weakest persona allowed)
ROUTES: dict[str, tuple[str, str, str]] = {
    "m365admin:tenant-list": ("GET", "/", VIEWER),
    "m365admin:signin-list": ("GET", "/signins/", VIEWER),
    "m365admin:signin-export": ("GET", "/signins/export.csv", VIEWER),
    "m365admin:signin-detail": ("GET", "/signins/1/", VIEWER),
    "m365admin:user-list": ("GET", "/users/", VIEWER),
    "m365admin:mailbox-list": ("GET", "/mailboxes/", VIEWER),
    "m365admin:team-list": ("GET", "/teams/", VIEWER),
    "m365admin:onedrive-list": ("GET", "/onedrive/", VIEWER),
    "m365admin:licence-list": ("GET", "/licences/", VIEWER),
    "m365admin:licence-export": ("GET", "/licences/export.csv", VIEWER),
    "m365admin:reclaim-export": ("GET", "/licences/reclaim.csv", VIEWER),
    # Onboarding tenants is the Administrators' (m365admin.add_tenant, change_tenant).
    "collectors:tenant-add": ("GET", "/tenants/add/", ADMINISTRATOR),
    "collectors:tenant-edit": ("GET", "/tenants/999999/edit/", ADMINISTRATOR),
    "collectors:tenant-sync": ("POST", "/tenants/999999/sync", ADMINISTRATOR),
    "collectors:tenant-sync-status": ("GET", "/tenants/999999/sync/status", ADMINISTRATOR),
    "monitoring:dashboard": ("GET", "/dashboard/", VIEWER),
    "monitoring:alert-list": ("GET", "/alerts/", VIEWER),
    "monitoring:alert-detail": ("GET", f"/alerts/{NO_SUCH}/", VIEWER),
    "monitoring:alert-acknowledge": ("POST", "/alerts/{alert}/acknowledge", OPERATOR),
    "monitoring:alert-resolve": ("POST", "/alerts/{alert}/resolve", OPERATOR),
    "monitoring:alert-silence": ("POST", "/alerts/{alert}/silence", OPERATOR),
    "monitoring:alert-bulk": ("POST", "/alerts/bulk", OPERATOR),
    "monitoring:silence-list": ("GET", "/alerts/silences/", VIEWER),
    "monitoring:silence-expire": ("POST", f"/alerts/silences/{NO_SUCH}/expire", OPERATOR),
    # The database console is for Administrators only, reads included (monitoring/permissions).
    "monitoring:database": ("GET", "/database/", ADMINISTRATOR),
    "monitoring:database-explain": ("GET", "/database/queries/-42/explain", ADMINISTRATOR),
    "monitoring:database-confirm": ("GET", "/database/actions/confirm?kind=analyze",
                                    ADMINISTRATOR),
    "monitoring:database-action-create": ("POST", "/database/actions/", ADMINISTRATOR),
    "monitoring:database-action": ("GET", "/database/actions/999999/", ADMINISTRATOR),
    "monitoring:database-action-cancel": ("POST", "/database/actions/999999/cancel",
                                          ADMINISTRATOR),
    "healthz": ("GET", "/healthz", ANYONE),
    "readyz": ("GET", "/readyz", ANYONE),
    # Off (404) unless configured; then a token or an address, never a role
    # (tests/monitoring/test_metrics_exposition.py).
    "metrics": ("GET", "/metrics", ANYONE),
    "login": ("GET", "/accounts/login/", ANYONE),
    "logout": ("POST", "/accounts/logout/", ANYONE),
    "set_language": ("POST", "/i18n/setlang/", ANYONE),
    # Each signed-in user manages their own second factor (tests/security/test_twofactor.py).
    "two_factor:manage": ("GET", "/accounts/two-factor/", SIGNED_IN),
    "two_factor:verify": ("GET", "/accounts/two-factor/verify/", SIGNED_IN),
    "two_factor:setup": ("GET", "/accounts/two-factor/setup/", SIGNED_IN),
    "two_factor:recovery-codes": ("GET", "/accounts/two-factor/recovery-codes/", SIGNED_IN),
    "two_factor:remove": ("POST", "/accounts/two-factor/remove/", SIGNED_IN),
    # Integrations sign in here: open to anyone, limited by the lockout.
    "security:overview": ("GET", "/security/", VIEWER),
    "security:time-zone": ("GET", "/account/time-zone/", SIGNED_IN),
    # Threat pages: Viewers read, Operators triage and accept risks (test_threat_pages.py).
    "security:threats": ("GET", "/threats/", VIEWER),
    "security:threat-event": ("GET", "/threats/events/0/", VIEWER),
    "security:threat-verdict": ("POST", "/threats/events/0/verdict", OPERATOR),
    "security:threat-accept": ("POST", "/threats/events/0/accept", OPERATOR),
    "security:threat-user": ("GET", "/threats/users/", VIEWER),
    "security:accepted-risks": ("GET", "/threats/exceptions/", VIEWER),
    "security:accepted-risk-end": ("POST", "/threats/exceptions/0/end", OPERATOR),
    "security:posture": ("GET", "/threats/posture/", VIEWER),
    "security-api:security": ("GET", "/api/v1/metrics/security", VIEWER),
    "security-api:token": ("POST", "/api/v1/auth/token", ANYONE),
    "security-api:token-refresh": ("POST", "/api/v1/auth/token/refresh", ANYONE),
    "security-api:token-revoke": ("POST", "/api/v1/auth/token/revoke", ANYONE),
    # The API (DRF): the same permissions as the pages.
    "m365admin-api:api-root": ("GET", "/api/v1/", SIGNED_IN),
    # The schema and its readers map the routes, not the data: anyone signed in.
    "api-docs:schema": ("GET", "/api/schema/", SIGNED_IN),
    "api-docs:swagger": ("GET", "/api/schema/swagger/", SIGNED_IN),
    "api-docs:redoc": ("GET", "/api/schema/redoc/", SIGNED_IN),
    "m365admin-api:tenant-list": ("GET", "/api/v1/tenants/", VIEWER),
    "m365admin-api:licences": ("GET", "/api/v1/licences/", VIEWER),
    "m365admin-api:licences-reclaim": ("GET", "/api/v1/licences/reclaim", VIEWER),
    # What Viewers read on the security and alert pages: a SIEM's account needs no more.
    "m365admin-api:feed-security": ("GET", "/api/v1/feed/security", VIEWER),
    "m365admin-api:tenant-detail": ("GET", f"/api/v1/tenants/{NO_SUCH}/", VIEWER),
    **{f"m365admin-api:{name}-{kind}": ("GET", f"/api/v1/{path}/" + ("1/" if kind == "detail"
                                                                        else ""), VIEWER)
       for name, path in [("directoryuser", "users"), ("signin", "sign-ins"),
                          ("mailbox", "mailboxes"), ("onedriveaccount", "onedrive-accounts"),
                          ("team", "teams"), ("subscribedsku", "subscribed-skus"),
                          ("subscription", "subscriptions"),
                          ("servicehealth", "service-health"),
                          ("servicehealthissue", "service-health-issues"),
                          ("syncrun", "sync-runs")]
       for kind in ("list", "detail")},
    "monitoring-api:monitoring": ("GET", "/api/v1/metrics/monitoring", VIEWER),
    "monitoring-api:database": ("GET", "/api/v1/database/", ADMINISTRATOR),
    "monitoring-api:database-queries": ("GET", "/api/v1/database/queries", ADMINISTRATOR),
    "monitoring-api:database-explain": ("GET", "/api/v1/database/queries/-42/explain",
                                        ADMINISTRATOR),
    "monitoring-api:database-query-history": ("GET", "/api/v1/database/queries/-42/history",
                                              ADMINISTRATOR),
    "monitoring-api:database-tables": ("GET", "/api/v1/database/tables", ADMINISTRATOR),
    "monitoring-api:database-bloat": ("GET", "/api/v1/database/tables/public.nope/bloat",
                                      ADMINISTRATOR),
    "monitoring-api:database-indexes": ("GET", "/api/v1/database/indexes", ADMINISTRATOR),
    "monitoring-api:database-activity": ("GET", "/api/v1/database/activity", ADMINISTRATOR),
    "monitoring-api:database-cache": ("GET", "/api/v1/database/cache", ADMINISTRATOR),
    "monitoring-api:database-sequences": ("GET", "/api/v1/database/sequences", ADMINISTRATOR),
    "monitoring-api:database-settings": ("GET", "/api/v1/database/settings", ADMINISTRATOR),
    "monitoring-api:database-replication": ("GET", "/api/v1/database/replication",
                                            ADMINISTRATOR),
    "monitoring-api:database-pool": ("GET", "/api/v1/database/pool", ADMINISTRATOR),
    "monitoring-api:database-partitions": ("GET", "/api/v1/database/partitions",
                                           ADMINISTRATOR),
    "monitoring-api:database-history": ("GET", "/api/v1/database/history", ADMINISTRATOR),
    "monitoring-api:database-actions": ("GET", "/api/v1/database/actions", ADMINISTRATOR),
    "monitoring-api:database-action-preview": ("POST", "/api/v1/database/actions/preview",
                                               ADMINISTRATOR),
    "monitoring-api:database-action": ("GET", "/api/v1/database/actions/999999",
                                       ADMINISTRATOR),
    "monitoring-api:database-action-cancel": ("POST", "/api/v1/database/actions/999999/cancel",
                                              ADMINISTRATOR),
    "monitoring-api:performance": ("GET", "/api/v1/metrics/performance", VIEWER),
    "monitoring-api:history": ("GET", "/api/v1/metrics/history", VIEWER),
    "monitoring-api:alert-list": ("GET", "/api/v1/alerts/", VIEWER),
    "monitoring-api:alert-detail": ("GET", f"/api/v1/alerts/{NO_SUCH}/", VIEWER),
    "monitoring-api:alert-acknowledge": ("POST", "/api/v1/alerts/{alert}/acknowledge/",
                                         OPERATOR),
    "monitoring-api:alert-resolve": ("POST", "/api/v1/alerts/{alert}/resolve/", OPERATOR),
    "monitoring-api:alert-groups": ("GET", "/api/v1/alerts/groups/", VIEWER),
    "monitoring-api:alert-acknowledge-noslash": ("POST", "/api/v1/alerts/{alert}/acknowledge",
                                                 OPERATOR),
    "monitoring-api:alert-resolve-noslash": ("POST", "/api/v1/alerts/{alert}/resolve",
                                             OPERATOR),
    "monitoring-api:alert-silence": ("POST", "/api/v1/alerts/{alert}/silence/", OPERATOR),
    "monitoring-api:alert-silence-noslash": ("POST", "/api/v1/alerts/{alert}/silence",
                                             OPERATOR),
}

# Admin models: who may open the changelist. Operators (staff) read what Viewers read; the
# configuration that holds secrets or addresses, the audit log, users and roles are for
# Administrators only. Viewers are not staff: the admin site sends them to its login.
ADMIN_OPERATOR_READS = {
    "m365admin.tenant", "m365admin.directoryuser", "m365admin.signin", "m365admin.mailbox",
    "m365admin.onedriveaccount", "m365admin.team", "m365admin.subscribedsku",
    # Operators read licence names and prices; only Administrators change them (change_ perms).
    "m365admin.licenceproduct", "m365admin.subscription", "m365admin.heldlicence",
    "m365admin.licenceidle",
    "m365admin.servicehealth", "m365admin.servicehealthissue", "m365admin.syncrun",
    "m365admin.synccheckpoint", "m365admin.signinhourly", "m365admin.graphusage",
    "monitoring.componenthealth",
    "monitoring.metricsample", "monitoring.requeststat", "monitoring.alert",
    "monitoring.alertrule", "monitoring.silence", "security.securityevent",
}
ADMIN_ADMINISTRATORS_ONLY = {
    "auth.user", "auth.group", "monitoring.notificationchannel", "monitoring.delivery",
    "otp_totp.totpdevice", "otp_static.staticdevice",
    "m365admin.auditentry", "security.iprule", "axes.accessattempt", "axes.accesslog",
    "monitoring.databaseaction",
    # Operators accept risks on the threat pages; the admin of both is configuration.
    "security.detectionsettings", "security.detectionexception",
    "axes.accessfailurelog", "token_blacklist.outstandingtoken",
    "token_blacklist.blacklistedtoken",
    # Task results carry tracebacks and their arguments (docs/tasks.md); the workers' hosts
    # and process IDs go with them.
    "django_tasks_database.dbtaskresult", "m365admin.workerheartbeat",
}

WEBSOCKETS = {"/ws/dashboard/": VIEWER}


def _names(patterns, namespace: str = "") -> set[str]:
    found = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # per model below
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            found |= _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"unnamed route {pattern.pattern}: name it and add it here"
            found.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return found


def test_every_route_has_an_expectation():
    assert _names(get_resolver().url_patterns) == set(ROUTES)


def test_every_admin_model_has_an_expectation():
    registered = {model._meta.label_lower for model in django_admin.site._registry}
    assert ADMIN_OPERATOR_READS.isdisjoint(ADMIN_ADMINISTRATORS_ONLY)
    assert registered == ADMIN_OPERATOR_READS | ADMIN_ADMINISTRATORS_ONLY


def test_every_websocket_route_has_an_expectation():
    assert {str(route.pattern) for route in websocket_urlpatterns} == {
        path.lstrip("/") for path in WEBSOCKETS}


@pytest.fixture
def personas(outsider, viewer, operator, administrator):
    return {"anonymous": None, "outsider": outsider, "viewer": viewer, "operator": operator,
            "administrator": administrator}


def _allowed(response) -> bool:
    if response.status_code in (401, 403):
        return False
    # Sent to sign in first (login_required and the admin add ?next=; logging out does not).
    location = response.headers.get("Location", "")
    return not (response.status_code == 302 and "/login/?next=" in location)


def _expected(persona: str, weakest: str) -> bool:
    return PERSONAS.index(persona) >= PERSONAS.index(weakest)


@pytest.mark.django_db
def test_each_route_admits_exactly_the_roles_it_should(client, personas):
    wrong = []
    for name, (method, path, weakest) in sorted(ROUTES.items()):
        for persona, user in personas.items():
            client.logout()
            if user is not None:
                client.force_login(user)
            url = path.format(alert=make_alert().code)
            response = (client.get(url) if method == "GET"
                        else client.post(url, content_type="application/json"))
            if _allowed(response) != _expected(persona, weakest):
                wrong.append(f"{name} {method} {url} as {persona}: {response.status_code}")
    assert wrong == []


@pytest.mark.django_db
def test_each_admin_model_admits_exactly_the_roles_it_should(client, personas):
    wrong = []
    for model in django_admin.site._registry:
        label = model._meta.label_lower
        weakest = OPERATOR if label in ADMIN_OPERATOR_READS else ADMINISTRATOR
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for persona, user in personas.items():
            client.logout()
            if user is not None:
                client.force_login(user)
            response = client.get(url)
            if _allowed(response) != _expected(persona, weakest):
                wrong.append(f"{label} as {persona}: {response.status_code}")
    assert wrong == []


@pytest.mark.django_db(transaction=True)
def test_each_websocket_admits_exactly_the_roles_it_should(client, personas):
    async def connects(path: str, cookie: str | None) -> bool:
        headers = [(b"origin", b"http://localhost")]
        if cookie:
            headers.append((b"cookie", f"sessionid={cookie}".encode()))
        socket = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await socket.connect()
        if connected:
            await socket.disconnect()
        return connected

    wrong = []
    for path, weakest in WEBSOCKETS.items():
        for persona, user in personas.items():
            client.logout()
            cookie = None
            if user is not None:
                client.force_login(user)
                cookie = client.cookies["sessionid"].value
            if asyncio.run(connects(path, cookie)) != _expected(persona, weakest):
                wrong.append(f"{path} as {persona}")
    assert wrong == []
