"""Tenant onboarding: the connection test against the real simulator over loopback, the guided
form's validation, saving with audit entries, and "Sync now"."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from collectors import jobs, onboarding
from collectors.simulator import SimTenant
from collectors.simulator import permissions as sim_permissions
from collectors.sync.runner import COLLECTORS, NEEDS
from m365admin.choices import SyncStatus, SyncTrigger
from m365admin.models import SyncRun, Tenant
from m365admin.models.audit import AuditEntry
from tests.factories import make_tenant
from tests.live import ROOT
from tests.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db

ADD = "/tenants/add/"
NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()


@pytest.fixture(autouse=True)
def _in_english():
    """The report's words are asserted in English, whatever an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def app(simulator, settings, request):
    """A tenant's app registered in the simulator (not yet in m365admin); all permissions."""
    settings.GRAPH_CA_BUNDLE = str(simulator.ca_bundle)
    name = request.node.nodeid
    return simulator.add_tenant(SimTenant(
        tenant_id=str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
        client_id=str(uuid.uuid5(uuid.NAMESPACE_DNS, name)),
        client_secret="s3cret-" + uuid.uuid4().hex, users=5, signins=20, days=2,
    ))


def _unsaved(simulator, app, **overrides) -> Tenant:
    tenant = Tenant(name="Contoso", tenant_id=app.tenant_id, client_id=app.client_id,
                    authority_url=simulator.base_url, graph_url=simulator.base_url)
    tenant.set_client_secret(overrides.pop("secret", app.client_secret))
    for name, value in overrides.items():
        setattr(tenant, name, value)
    return tenant


def _states(report: onboarding.Report) -> dict[str, str]:
    assert not report.problem, report.problem
    return {outcome.collector: outcome.state for outcome in report.outcomes}


def _form(simulator, app, **overrides) -> dict[str, str]:
    return {"name": "Contoso", "tenant_id": app.tenant_id, "client_id": app.client_id,
            "client_secret": app.client_secret, "secret_expires": NEXT_YEAR,
            "authority_url": simulator.base_url, "graph_url": simulator.base_url,
            "enabled": "on", **overrides}


# The connection test -------------------------------------------------------------------------


def test_with_every_permission_every_collector_will_work(simulator, app):
    report = onboarding.check_connection(_unsaved(simulator, app))
    assert _states(report) == {name: onboarding.WORKS for name in COLLECTORS}
    assert report.all_work


def test_a_missing_permission_is_reported_on_exactly_the_collector_that_needs_it(simulator, app):
    app.permissions -= sim_permissions.TEAMS  # Team.ReadBasic.All and what also reads teams
    report = onboarding.check_connection(_unsaved(simulator, app))
    states = _states(report)
    assert {name for name, state in states.items() if state != onboarding.WORKS} == {"teams"}
    (teams,) = [o for o in report.outcomes if o.collector == "teams"]
    assert teams.state == onboarding.NEEDS_PERMISSION
    assert "Team.ReadBasic.All" in teams.detail


def test_a_permission_two_collectors_share_is_named_as_the_missing_one(simulator, app):
    # signin_activity needs User.Read.All too, which the users collector proves is held.
    app.permissions.discard("AuditLog.Read.All")
    report = onboarding.check_connection(_unsaved(simulator, app))
    refused = {o.collector: o.detail for o in report.outcomes if o.state != onboarding.WORKS}
    assert set(refused) == {"signins", "signin_activity"}
    for detail in refused.values():
        assert re.search(r"permission AuditLog\.Read\.All \(", detail), detail


def test_without_entra_id_p1_the_sign_in_collectors_need_a_licence(simulator, app):
    app.premium = False
    states = _states(onboarding.check_connection(_unsaved(simulator, app)))
    assert {n for n, s in states.items() if s == onboarding.NEEDS_LICENCE} == {
        "signins", "signin_activity"}
    assert {n for n, s in states.items() if s == onboarding.WORKS} == set(COLLECTORS) - {
        "signins", "signin_activity"}


def test_a_wrong_secret_is_a_clear_error(simulator, app):
    report = onboarding.check_connection(_unsaved(simulator, app, secret="not-the-secret"))
    assert report.outcomes == ()
    assert report.problem.startswith("Wrong client secret. Enter the secret's Value")
    assert "AADSTS7000215" in report.problem
    assert "not-the-secret" not in report.problem


def test_an_unknown_client_id_is_a_clear_error(simulator, app):
    report = onboarding.check_connection(_unsaved(simulator, app, client_id=str(uuid.uuid4())))
    assert report.problem.startswith("No application with this client ID in this tenant.")


def test_an_unknown_tenant_is_a_clear_error(simulator, app):
    report = onboarding.check_connection(
        _unsaved(simulator, app, tenant_id="nobody.onmicrosoft.com"))
    assert report.problem.startswith("Unknown tenant:")
    assert "nobody.onmicrosoft.com" in report.problem


def test_an_unreachable_authority_is_a_clear_error(simulator, app):
    from tests.live import free_port

    report = onboarding.check_connection(
        _unsaved(simulator, app, authority_url=f"https://127.0.0.1:{free_port()}"))
    assert report.problem.startswith("Cannot reach https://127.0.0.1:")
    assert "Connection refused" in report.problem


def test_an_untrusted_certificate_says_which_setting_to_fix(simulator, app, settings):
    settings.GRAPH_CA_BUNDLE = None
    report = onboarding.check_connection(_unsaved(simulator, app))
    assert "is not trusted" in report.problem and "GRAPH_CA_BUNDLE" in report.problem


def test_the_checklist_is_what_the_collectors_declare():
    listed = {p.name for p in onboarding.permissions()}
    assert listed == {name for needs in NEEDS.values() for name in needs.permissions}
    # Every permission a collector asks for lets it through in the simulator, which follows
    # the contract's table: the checklist asks for nothing Graph would not accept.
    assert listed <= sim_permissions.ALL


def test_the_readme_asks_for_exactly_the_declared_permissions():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Registering a real tenant"):readme.index("## Commands")]
    named = set(re.findall(r"\b[A-Z][A-Za-z]+\.Read[A-Za-z]*\.All\b", section))
    assert named == {p.name for p in onboarding.permissions()}


def test_the_consent_link_names_the_tenant_and_the_app():
    assert onboarding.consent_url("contoso.onmicrosoft.com", "1b2c") == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=1b2c")


# The page -------------------------------------------------------------------------------------


def test_the_page_tests_the_entered_values_without_saving(client, admin, simulator, app):
    app.permissions.discard("ServiceHealth.Read.All")
    client.force_login(admin)
    response = client.post(ADD, {**_form(simulator, app), "action": "test"})
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'data-collector="service_health" data-state="needs_permission"', html)
    assert html.count('data-state="works"') == len(COLLECTORS) - 1
    assert "ServiceHealth.Read.All (application permission" in html
    assert app.client_secret not in html
    assert not Tenant.objects.exists()


def test_saving_creates_the_tenant_and_an_audit_entry_without_the_secret(client, admin,
                                                                         simulator, app):
    client.force_login(admin)
    response = client.post(ADD, {**_form(simulator, app), "action": "save"})
    tenant = Tenant.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/#tenant-{tenant.pk}"
    assert tenant.client_secret() == app.client_secret
    assert tenant.secret_expires.isoformat() == NEXT_YEAR
    entry = AuditEntry.objects.get(action="tenant.create")
    assert entry.details["tenant_id"] == app.tenant_id
    assert app.client_secret not in str(entry.details)


@pytest.mark.parametrize("field, value, message", [
    ("tenant_id", "common", "Enter the tenant's GUID or one of its verified domains."),
    ("tenant_id", "not a domain", "Enter the tenant's GUID or one of its verified domains."),
    ("client_id", "contoso", "Enter a GUID such as"),
    ("client_id", "00000000-0000-0000-0000-00000000000g", "Enter a GUID such as"),
    ("client_secret", "   ", "A new tenant needs its client secret."),
    ("secret_expires", "", "This field is required."),
    ("secret_expires", "2026-02-30", "Enter a valid date."),
    ("secret_expires", (date.today() - timedelta(days=1)).isoformat(), "This date has passed"),
    ("authority_url", "not a url", "Enter a valid URL."),
    ("authority_url", "http://login.microsoftonline.com", "Enter an https:// address."),
    ("graph_url", "http://graph.microsoft.com", "Enter an https:// address."),
])
def test_bad_input_is_refused_with_a_clear_error(client, admin, simulator, app, field, value,
                                                  message):
    client.force_login(admin)
    for action in ("test", "save"):
        response = client.post(ADD, {**_form(simulator, app), field: value, "action": action})
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert list(errors) == [field]
        assert message in " ".join(errors[field])
        assert app.client_secret not in response.content.decode()
    assert not Tenant.objects.exists()


def test_a_tenant_id_already_registered_is_refused(client, admin, simulator, app):
    make_tenant(tenant_id=app.tenant_id)
    client.force_login(admin)
    response = client.post(ADD, {**_form(simulator, app), "action": "save"})
    assert list(response.context["form"].errors) == ["tenant_id"]


def test_the_add_page_asks_for_the_secret_and_never_says_blank_keeps_it(client, admin):
    client.force_login(admin)
    html = client.get(ADD).content.decode()
    assert "Leave blank to keep the current secret." not in html
    assert "The secret&#x27;s Value (not its Secret ID)" in html
    for permission in {p for needs in NEEDS.values() for p in needs.permissions}:
        assert f"<code>{permission}</code>" in html


def test_editing_keeps_the_secret_unless_a_new_one_is_typed(client, admin):
    tenant = make_tenant(secret="the-first-secret", secret_expires=date.today())
    client.force_login(admin)
    page = client.get(f"/tenants/{tenant.pk}/edit/").content.decode()
    assert "Leave blank to keep the current secret." in page
    assert "the-first-secret" not in page and str(tenant.code) not in page
    form = {"name": "Renamed", "tenant_id": tenant.tenant_id, "client_id": tenant.client_id,
            "secret_expires": tenant.secret_expires.isoformat(),
            "authority_url": tenant.authority_url, "graph_url": tenant.graph_url,
            "enabled": "on", "action": "save"}
    assert client.post(f"/tenants/{tenant.pk}/edit/", form).status_code == 302
    tenant.refresh_from_db()
    assert (tenant.name, tenant.client_secret()) == ("Renamed", "the-first-secret")
    assert AuditEntry.objects.get(action="tenant.change").details == {"fields": ["name"]}
    assert not AuditEntry.objects.filter(action="tenant.secret_change").exists()

    # A new secret needs its own expiry date…
    refused = client.post(f"/tenants/{tenant.pk}/edit/", {**form, "client_secret": "second"})
    assert list(refused.context["form"].errors) == ["secret_expires"]
    # …and with it replaces the stored one, audited without the secret.
    assert client.post(f"/tenants/{tenant.pk}/edit/", {
        **form, "client_secret": "the-second-secret", "secret_expires": NEXT_YEAR,
    }).status_code == 302
    tenant.refresh_from_db()
    assert tenant.client_secret() == "the-second-secret"
    entry = AuditEntry.objects.get(action="tenant.secret_change")
    assert entry.details == {"secret_expires": NEXT_YEAR}
    assert "the-second-secret" not in str(AuditEntry.objects.values_list("details", flat=True))


def test_the_tenants_page_offers_add_edit_and_sync_to_administrators_only(client, admin, viewer):
    tenant = make_tenant(is_demo=True)
    client.force_login(viewer)
    html = client.get("/").content.decode()
    assert "/tenants/add/" not in html and f"/tenants/{tenant.pk}/sync" not in html
    client.force_login(admin)
    html = client.get("/").content.decode()
    assert 'href="/tenants/add/"' in html
    assert f'href="/tenants/{tenant.pk}/edit/"' in html
    assert f'action="/tenants/{tenant.pk}/sync"' in html


# Sync now -------------------------------------------------------------------------------------


def test_sync_now_runs_every_collector_and_reports_progress(client, admin, make_sim_tenant):
    tenant, _spec = make_sim_tenant()
    client.force_login(admin)
    answer = client.post(f"/tenants/{tenant.pk}/sync", HTTP_ACCEPT="application/json").json()
    status = client.get(answer["status"], {"since": answer["since"]}).json()
    assert status["requested"] is True
    assert (status["finished"], status["total"]) == (0, len(COLLECTORS))
    assert {row["state"] for row in status["collectors"]} == {"waiting"}

    jobs.sync_requested()  # what the scheduler runs every 2 s
    assert run_queued_tasks() == len(COLLECTORS) + 1  # and the detections after sign-ins

    status = client.get(answer["status"], {"since": answer["since"]}).json()
    assert status["requested"] is False
    assert status["finished"] == len(COLLECTORS)
    assert {row["state"] for row in status["collectors"]} == {SyncStatus.SUCCEEDED}
    assert set(SyncRun.objects.values_list("trigger", flat=True)) == {SyncTrigger.MANUAL}
    assert AuditEntry.objects.filter(action="tenant.sync_requested").count() == 1
    jobs.sync_requested()  # the request was taken once
    assert run_queued_tasks() == 0
    assert SyncRun.objects.count() == len(COLLECTORS)


def test_sync_now_refuses_a_disabled_tenant(client, admin):
    tenant = make_tenant(enabled=False)
    client.force_login(admin)
    response = client.post(f"/tenants/{tenant.pk}/sync", HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert "disabled" in response.json()["error"]
    assert Tenant.objects.get().sync_requested is None


def test_sync_status_needs_a_time_with_its_offset(client, admin):
    tenant = make_tenant()
    client.force_login(admin)
    for since in ("", "yesterday", timezone.now().replace(tzinfo=None).isoformat()):
        response = client.get(f"/tenants/{tenant.pk}/sync/status", {"since": since})
        assert response.status_code == 400
