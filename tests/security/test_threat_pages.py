"""The threat pages: threats per tenant, an event with its evidence and triage, a user's
timeline, accepted risks, posture checks, and the alert rules of the detections."""

from __future__ import annotations

import html
import uuid
from datetime import timedelta
from html import escape
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from m365admin.choices import AlertSource, UserType
from m365admin.models import (
    DirectoryUser,
    Mailbox,
    OneDriveAccount,
    SignIn,
    SubscribedSku,
)
from m365admin.models.audit import AuditEntry
from monitoring.models import AlertRule
from security import posture
from security.choices import DETECTION_KINDS, EVENT_SEVERITY, EventKind, Verdict
from security.detections import runner
from security.models import DetectionException, DetectionSettings, SecurityEvent
from tests.factories import make_alert, make_rows, make_tenant

pytestmark = pytest.mark.django_db

KIM = "kim@contoso.com"
HOSTILE = '<script>alert("x")</script>'


def _signins(tenant, n=1, *, at=None, user=KIM, **fields):
    at = at or timezone.now() - timedelta(hours=3)
    fields = {"ip_address": "203.0.113.7", "country": "NL", "city": "Amsterdam",
              "app_display_name": "Office 365 Exchange Online", "client_app_used": "IMAP",
              **fields}
    return make_rows(SignIn, tenant, n, created=lambda i: at + timedelta(minutes=i),
                     user_principal_name=user, **fields)


def _event(tenant, signins=(), *, kind=EventKind.LEGACY_AUTH, users=(KIM,), at=None,
           countries=("NL",), **fields):
    times = [s.created for s in signins] or [at or timezone.now() - timedelta(hours=3)]
    return SecurityEvent.objects.create(
        kind=kind, severity=EVENT_SEVERITY[kind], tenant=tenant, users=list(users),
        username=users[0] if len(users) == 1 else "", countries=list(countries),
        window_start=min(times), window_end=max(times),
        evidence=[s.graph_id for s in signins], dedup_key=uuid.uuid4().hex,
        **{"details": {"sign_ins": len(signins)}, **fields})


def _page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response, response.content.decode()


# Threats ------------------------------------------------------------------------------------


def test_the_threats_page_shows_the_chart_the_latest_events_and_countries(client, viewer):
    tenant = make_tenant(name="Contoso")
    _event(tenant, _signins(tenant, 2))
    _event(tenant, kind=EventKind.PASSWORD_SPRAY, users=["a@contoso.com", "b@contoso.com"],
           ip_address="198.51.100.9", countries=["US"])
    _event(tenant, kind=EventKind.NEW_COUNTRY, countries=["US"], at=timezone.now()
           - timedelta(days=40))  # listed, but before the chart and the country table
    SecurityEvent.objects.create(kind=EventKind.XSS, severity="error")  # not a detection
    response, page = _page(client, viewer, "/threats/")
    assert 'id="threats-chart"' in page and 'id="threats-data"' in page
    assert "js/threats.js" in page
    chart = response.context["chart"]
    assert {s["kind"]: s["total"] for s in chart["series"]} == {
        "password_spray": 1, "legacy_auth": 1}
    assert len(chart["days"]) == 30 and chart["days"][-1] == timezone.localdate().isoformat()
    assert response.context["page_obj"].paginator.count == 3
    assert {(r.country, r.events, r.users) for r in response.context["countries"]} == {
        ("NL", 1, 1), ("US", 1, 2)}
    assert f"/threats/users/?tenant={tenant.code}&amp;user=kim%40contoso.com" in page
    assert "198.51.100.9" in page and "203.0.113.7" in page  # its own, and its sign-ins'
    assert "Cross-site scripting" not in page


def test_an_empty_threats_page_says_so(client, viewer):
    _response, page = _page(client, viewer, "/threats/")
    assert "No detection events in this period." in page
    assert "No detection events match these filters." in page
    assert 'id="threats-chart"' not in page and "js/threats.js" not in page


def test_the_threats_page_filters_by_tenant_kind_address_user_and_verdict(client, viewer):
    ours, theirs = make_tenant(), make_tenant()
    legacy = _event(ours)
    spray = _event(ours, kind=EventKind.PASSWORD_SPRAY, users=["akim@contoso.com"],
                   ip_address="198.51.100.9")
    _event(theirs, users=["lee@contoso.com"], verdict=Verdict.BENIGN)
    client.force_login(viewer)

    def shown(query):
        return set(client.get(f"/threats/?{query}").context["page_obj"].object_list)

    assert shown(f"tenant={ours.code}") == {legacy, spray}
    assert shown("kind=password_spray") == {spray}
    assert shown("ip=198.51.100.9") == {spray}
    assert shown("user=KIM@contoso.com") == {legacy}  # "akim" is someone else
    assert shown(f"tenant={ours.code}&verdict=none") == {legacy, spray}
    assert len(shown("verdict=benign")) == 1


@pytest.mark.parametrize("query, message", [
    ("tenant=not-a-uuid", "No tenant has this code."),
    (f"tenant={uuid.uuid4()}", "No tenant has this code."),
    ("kind=port_scan", "Select a valid choice."),
    ("ip=999.1.1.1", "Enter a valid IPv4 or IPv6 address."),
    ("page=99", "That page does not exist; showing the first page."),
])
def test_bad_threat_filters_are_explained_and_ignored(client, viewer, query, message):
    _event(make_tenant())
    response, page = _page(client, viewer, f"/threats/?{query}")
    assert message in html.unescape(page)
    assert response.context["page_obj"].paginator.count == 1


def test_an_alert_on_an_attack_on_this_app_links_to_the_security_page(client, viewer):
    client.force_login(viewer)
    response = client.get("/threats/?kind=login_failed&ip=192.0.2.1")
    assert response.status_code == 302 and response["Location"] == "/security/"


def test_the_page_makes_as_many_queries_for_fifty_events_as_for_five(client, viewer):
    tenant = make_tenant()
    client.force_login(viewer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/threats/").status_code == 200
        return len(captured)

    for n in range(5):
        _event(tenant, _signins(tenant, 2, user=f"u{n}@contoso.com"), users=[f"u{n}@contoso.com"])
    few = queries()
    for n in range(45):
        _event(tenant, _signins(tenant, 2, user=f"v{n}@contoso.com"), users=[f"v{n}@contoso.com"])
    assert queries() == few


def _legacy_at(tenant, at, country, n=1):
    return make_rows(SignIn, tenant, n, created=lambda i: at + timedelta(minutes=i),
                     user_principal_name=KIM, client_app_used="IMAP", ip_address="203.0.113.7",
                     country=country)


def _summary_queries(client) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/threats/")
    assert response.status_code == 200
    return response, [q["sql"] for q in captured.captured_queries]


def _counted_countries(queries: list[str]) -> bool:
    return any("COUNT(DISTINCT" in sql for sql in queries)


def test_the_chart_and_countries_are_counted_once_until_an_event_changes(client, viewer):
    """Asked again, the 30-day summary comes from the cache; a later detection run that
    extends the event (a sign-in from another country) shows at once."""
    tenant = make_tenant()
    noon = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    _legacy_at(tenant, noon, "NL", 2)
    runner.run(tenant)
    client.force_login(viewer)
    first, counted = _summary_queries(client)
    assert {(r.country, r.events, r.users) for r in first.context["countries"]} == {("NL", 1, 1)}
    again, cached = _summary_queries(client)
    assert _counted_countries(counted) and not _counted_countries(cached)
    assert len(cached) < len(counted)
    assert again.context["countries"] == first.context["countries"]
    _legacy_at(tenant, noon + timedelta(hours=1), "JP")
    assert runner.run(tenant).updated == 1
    extended, recounted = _summary_queries(client)
    assert _counted_countries(recounted)
    assert {(r.country, r.events, r.users) for r in extended.context["countries"]} == {
        ("NL", 1, 1), ("JP", 1, 1)}
    assert sum(s["total"] for s in extended.context["chart"]["series"]) == 1


def test_a_verdict_shows_at_once_in_a_summary_filtered_by_verdict(client, viewer):
    event = _event(make_tenant())
    client.force_login(viewer)
    untriaged = client.get("/threats/?verdict=none").context["countries"]
    assert [(r.country, r.events) for r in untriaged] == [("NL", 1)]
    event.record_verdict(Verdict.BENIGN, "Known travel", "olive")
    assert client.get("/threats/?verdict=none").context["countries"] == []
    assert [(r.country, r.events) for r in
            client.get("/threats/?verdict=benign").context["countries"]] == [("NL", 1)]


def test_a_deleted_event_leaves_the_summary_at_once(client, viewer):
    tenant = make_tenant()
    _event(tenant)
    gone = _event(tenant, countries=["US"])
    client.force_login(viewer)
    assert len(client.get("/threats/").context["countries"]) == 2
    gone.delete()
    assert [r.country for r in client.get("/threats/").context["countries"]] == ["NL"]


# One event ----------------------------------------------------------------------------------


def test_the_event_page_shows_exactly_its_evidence(client, viewer):
    tenant, other = make_tenant(), make_tenant()
    evidence = _signins(tenant, 2, app_display_name="Evidence App")
    _signins(tenant, 1, app_display_name="Bystander App")  # same time, not named
    event = _event(tenant, evidence)
    # The same Graph id in another tenant is another sign-in.
    _signins(other, 1, graph_id=evidence[0].graph_id, app_display_name="Other Tenant App")
    response, page = _page(client, viewer, f"/threats/events/{event.pk}/")
    assert [s.pk for s in response.context["signins"]] == [s.pk for s in evidence]
    assert page.count("Evidence App") == 2 * 2  # each in its cell and its cell's title
    assert "Bystander App" not in page and "Other Tenant App" not in page
    assert "IMAP" in page and "Amsterdam" in page
    # Viewers read: no forms.
    assert "Record the verdict" not in page and "Accept the risk" not in page


def test_evidence_no_longer_stored_is_counted(client, viewer):
    tenant = make_tenant()
    event = _event(tenant, _signins(tenant, 1))
    event.evidence = [*event.evidence, "gone-1", "gone-2"]
    event.details = {"sign_ins": 300}
    event.save()
    response, page = _page(client, viewer, f"/threats/events/{event.pk}/")
    assert response.context["missing"] == 2
    assert "2 sign-ins named as evidence are no longer stored" in page
    assert "This event counts 300 sign-ins; the first 3 are kept as evidence." in page


def test_only_detection_events_have_a_page(client, viewer):
    attack = SecurityEvent.objects.create(kind=EventKind.XSS, severity="error")
    client.force_login(viewer)
    assert client.get(f"/threats/events/{attack.pk}/").status_code == 404
    assert client.get("/threats/events/999999/").status_code == 404


def test_an_operator_records_a_verdict_and_it_is_audited(client, operator):
    event = _event(make_tenant())
    client.force_login(operator)
    page = client.get(f"/threats/events/{event.pk}/").content.decode()
    assert "Record the verdict" in page and "Accept the risk" in page
    response = client.post(f"/threats/events/{event.pk}/verdict",
                           {"verdict": Verdict.FALSE_POSITIVE, "note": "VPN of the office"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.verdict, event.verdict_by, event.verdict_note) == (
        Verdict.FALSE_POSITIVE, "olivia", "VPN of the office")
    assert event.verdict_at is not None
    entry = AuditEntry.objects.get(action="threat.verdict")
    assert entry.actor == "olivia" and entry.target.startswith(f"security.securityevent:{event.pk}")
    assert entry.details["verdict"] == "false_positive" and entry.details["previous"] == ""
    assert "Verdict recorded" in client.get(f"/threats/events/{event.pk}/").content.decode()


def test_a_viewer_may_not_record_a_verdict(client, viewer):
    event = _event(make_tenant())
    client.force_login(viewer)
    response = client.post(f"/threats/events/{event.pk}/verdict", {"verdict": Verdict.BENIGN})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.verdict == "" and not AuditEntry.objects.filter(action="threat.verdict").exists()


def test_an_unknown_verdict_is_refused_with_a_message(client, operator):
    event = _event(make_tenant())
    client.force_login(operator)
    response = client.post(f"/threats/events/{event.pk}/verdict", {"verdict": "maybe"},
                           follow=True)
    assert "Select a valid choice." in html.unescape(response.content.decode())
    event.refresh_from_db()
    assert event.verdict == ""


# Accepted risks -----------------------------------------------------------------------------


def _risk(**fields):
    today = timezone.localdate()
    return {"kind": EventKind.LEGACY_AUTH, "user": KIM, "network": "", "country": "",
            "reason": "Scanner mailbox, replaced in Q3",
            "expires_on": (today + timedelta(days=30)).isoformat(), **fields}


@pytest.mark.parametrize("fields, message", [
    ({"reason": "  "}, "This field is required."),
    ({"expires_on": ""}, "This field is required."),
    ({"expires_on": (timezone.localdate() - timedelta(days=1)).isoformat()},
     "The expiry date is in the past."),
    ({"expires_on": (timezone.localdate() + timedelta(days=366)).isoformat()},
     "A risk can be accepted for at most 365 days."),
    ({"user": "", "network": "", "country": ""},
     "Name a user, an IP address or network, or a country."),
    ({"network": "10.0.0.0/33"}, "is not a network in CIDR notation"),
    ({"country": "J1"}, "Enter a two-letter country code, e.g. JP."),
    ({"country": "Japan"}, "Ensure this value has at most 2 characters"),
])
def test_an_accepted_risk_is_validated(client, operator, fields, message):
    event = _event(make_tenant())
    client.force_login(operator)
    response = client.post(f"/threats/events/{event.pk}/accept", _risk(**fields))
    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    assert not DetectionException.objects.exists()


def test_the_risk_form_is_prefilled_with_the_events_scope(client, operator):
    tenant = make_tenant()
    event = _event(tenant, _signins(tenant, 2))
    _response, _ = _page(client, operator, f"/threats/events/{event.pk}/")
    form = _response.context["risk_form"]
    assert form.initial == {"kind": "legacy_auth", "user": KIM, "network": "203.0.113.7",
                            "country": "NL"}


def test_an_accepted_risk_suppresses_later_matching_findings(client, operator):
    tenant = make_tenant()
    day = timezone.now() - timedelta(days=2)
    _signins(tenant, 2, at=day)
    _signins(tenant, 1, at=day, user="lee@contoso.com")
    assert runner.run(tenant).recorded == 2
    event = SecurityEvent.objects.get(kind=EventKind.LEGACY_AUTH, users=[KIM])
    client.force_login(operator)
    response = client.post(f"/threats/events/{event.pk}/accept",
                           _risk(network="203.0.113.7", country="nl"))
    assert response.status_code == 302
    risk = DetectionException.objects.get()
    assert (risk.tenant, risk.author, risk.country, risk.network) == (
        tenant, "olivia", "NL", "203.0.113.7/32")
    assert risk.expires > timezone.now() + timedelta(days=30)
    entry = AuditEntry.objects.get(action="threat.exception_added")
    assert entry.actor == "olivia" and entry.details["event"] == event.pk

    # The next day: Kim's legacy sign-ins are accepted, Lee's are not.
    _signins(tenant, 2, at=day + timedelta(days=1))
    _signins(tenant, 1, at=day + timedelta(days=1), user="lee@contoso.com")
    summary = runner.run(tenant)
    assert (summary.suppressed, summary.recorded) == (1, 1)
    assert SecurityEvent.objects.filter(kind=EventKind.LEGACY_AUTH, users=[KIM]).count() == 1


def test_a_viewer_may_not_accept_a_risk(client, viewer):
    event = _event(make_tenant())
    client.force_login(viewer)
    assert client.post(f"/threats/events/{event.pk}/accept", _risk()).status_code == 403
    assert not DetectionException.objects.exists()


def test_the_accepted_risks_page_lists_active_and_expired_and_ends_one_early(client, operator,
                                                                             viewer):
    tenant = make_tenant(name="Contoso")
    now = timezone.now()
    active = DetectionException.objects.create(
        tenant=tenant, user=KIM, reason="Printer scans to mail", author="olivia",
        expires=now + timedelta(days=3))
    DetectionException.objects.create(country="BR", reason="Trip to São Paulo", author="adam",
                                      expires=now - timedelta(days=1))
    response, page = _page(client, viewer, "/threats/exceptions/")
    assert response.context["active"] == [active]
    assert [r.reason for r in response.context["page_obj"]] == ["Trip to São Paulo"]
    assert "Printer scans to mail" in page and "Every tenant" in page and "End now" not in page
    assert client.post(f"/threats/exceptions/{active.pk}/end").status_code == 403

    client.force_login(operator)
    assert "End now" in client.get("/threats/exceptions/").content.decode()
    response = client.post(f"/threats/exceptions/{active.pk}/end", follow=True)
    assert "The accepted risk has ended" in response.content.decode()
    active.refresh_from_db()
    assert active.expires <= timezone.now()
    assert AuditEntry.objects.filter(action="threat.exception_ended").count() == 1
    again = client.post(f"/threats/exceptions/{active.pk}/end", follow=True)
    assert "already expired" in again.content.decode()
    assert AuditEntry.objects.filter(action="threat.exception_ended").count() == 1


def test_an_empty_accepted_risks_page_says_so(client, viewer):
    _response, page = _page(client, viewer, "/threats/exceptions/")
    assert "No risk is accepted at the moment." in page
    assert "No accepted risk has expired yet." in page


def test_the_admin_sets_the_author_of_an_accepted_risk(client, administrator):
    client.force_login(administrator)
    response = client.post("/admin/security/detectionexception/add/", {
        "kind": "", "user": KIM, "network": "", "country": "", "reason": "Test account",
        "expires_0": "2030-01-01", "expires_1": "00:00:00", "tenant": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert DetectionException.objects.get().author == "adam"


# One user -----------------------------------------------------------------------------------


def test_the_timeline_marks_the_sign_ins_a_detection_used(client, viewer):
    tenant = make_tenant()
    kims = _signins(tenant, 4)
    _signins(tenant, 2, user="lee@contoso.com")
    event = _event(tenant, kims[1:3])
    _event(tenant, users=["lee@contoso.com"])
    response, page = _page(client, viewer, f"/threats/users/?tenant={tenant.code}&user={KIM}")
    rows = response.context["rows"]
    assert [s.pk for s, _events in rows] == [s.pk for s in reversed(kims)]  # newest first
    assert {s.pk for s, events in rows if events == [event]} == {kims[1].pk, kims[2].pk}
    assert page.count('class="involved"') == 2
    assert response.context["timeline"].events == [event]
    assert f'href="/threats/events/{event.pk}/"' in page
    assert not response.context["timeline"].truncated


def test_the_timeline_says_when_it_shows_only_the_newest(client, viewer, monkeypatch):
    from security import threats

    monkeypatch.setattr(threats, "TIMELINE_LIMIT", 3)
    tenant = make_tenant()
    _signins(tenant, 5)
    response, page = _page(client, viewer, f"/threats/users/?user={KIM}")
    assert len(response.context["rows"]) == 3 and response.context["timeline"].truncated
    assert "Only the newest 3 sign-ins are shown" in page


def test_the_timeline_asks_for_a_user_and_explains_bad_input(client, viewer):
    _response, page = _page(client, viewer, "/threats/users/")
    assert "Name a user" in page
    _response, page = _page(client, viewer, f"/threats/users/?tenant=nope&user={KIM}")
    assert "No tenant has this code." in page
    _response, page = _page(client, viewer, f"/threats/users/?tenant={make_tenant().code}")
    assert "This field is required." in page


def test_a_user_with_no_sign_ins_has_an_empty_timeline(client, viewer):
    _response, page = _page(client, viewer, f"/threats/users/?user={KIM}")
    assert "No sign-ins of this user in this period." in page
    assert "No detection involved this user in this period." in page


# Posture ------------------------------------------------------------------------------------

E3, EMS, UNNAMED = (str(uuid.uuid4()) for _ in range(3))


def _directory(tenant):
    now = timezone.now()
    old, recent = now - timedelta(days=100), now - timedelta(days=1)
    make_rows(SubscribedSku, tenant, 1, sku_id=E3, sku_part_number="SPE_E3")
    make_rows(SubscribedSku, tenant, 1, sku_id=EMS.upper(), sku_part_number="EMS")
    member = {"account_enabled": True, "is_licensed": True, "created_in_graph": old}
    make_rows(DirectoryUser, tenant, 2, last_sign_in=old, assigned_licenses=[{"skuId": E3}],
              **member)
    make_rows(DirectoryUser, tenant, 1, assigned_licenses=[{"skuId": E3}, {"skuId": EMS}],
              **member)  # never signed in: idle and never used
    make_rows(DirectoryUser, tenant, 1, last_sign_in=old,
              assigned_licenses=[{"skuId": UNNAMED}], **member)
    make_rows(DirectoryUser, tenant, 1, last_sign_in=recent, **member)  # active
    make_rows(DirectoryUser, tenant, 1, last_sign_in=old, last_non_interactive_sign_in=recent,
              **member)  # its phone still syncs mail: in use
    make_rows(DirectoryUser, tenant, 1, **{**member, "account_enabled": False})  # disabled
    make_rows(DirectoryUser, tenant, 1, **{**member, "created_in_graph": recent})  # new
    make_rows(DirectoryUser, tenant, 1, account_enabled=True, is_licensed=False,
              created_in_graph=old)  # never used, unlicensed
    make_rows(DirectoryUser, tenant, 2, user_type=UserType.GUEST, account_enabled=True)
    make_rows(DirectoryUser, tenant, 1, user_type=UserType.GUEST, deleted=True)
    make_rows(Mailbox, tenant, 1, storage_used_bytes=95, prohibit_send_quota_bytes=100)
    make_rows(Mailbox, tenant, 1, storage_used_bytes=50, prohibit_send_quota_bytes=100)
    make_rows(Mailbox, tenant, 1, storage_used_bytes=99, prohibit_send_quota_bytes=None)
    make_rows(OneDriveAccount, tenant, 1, storage_used_bytes=91, storage_allocated_bytes=100)
    make_rows(OneDriveAccount, tenant, 1, storage_used_bytes=10, storage_allocated_bytes=100)


def test_posture_counts_idle_licences_guests_unused_accounts_and_full_storage(
        client, viewer, settings):
    settings.QUOTA_WARNING_PERCENT = 90.0
    tenant, other = make_tenant(), make_tenant()
    _directory(tenant)
    _directory(other)
    response, page = _page(client, viewer, f"/threats/posture/?tenant={tenant.code}&days=30")
    posture = response.context["posture"]
    assert posture.days == 30
    assert posture.inactive.count == 4
    # Idle licences per product live on the licences page, which posture links to.
    assert f'href="/licences/?tenant={tenant.code}"' in page
    assert posture.guests.count == 2
    assert posture.never_used.count == 2
    assert (posture.mailboxes.count, posture.onedrive.count) == (1, 1)
    assert "95 %" in page and "91 %" in page
    # Every tenant: twice as many.
    response, _page_html = _page(client, viewer, "/threats/posture/")
    assert response.context["posture"].inactive.count == 8


def test_a_long_posture_table_shows_its_first_rows_and_links_to_them_all(
        client, viewer, monkeypatch):
    monkeypatch.setattr(posture, "ROWS", 2)
    tenant = make_tenant()
    make_rows(DirectoryUser, tenant, 3, user_type=UserType.GUEST, account_enabled=True)
    make_rows(DirectoryUser, make_tenant(), 1, user_type=UserType.GUEST, account_enabled=True)
    response, page = _page(client, viewer, f"/threats/posture/?tenant={tenant.code}")
    guests = response.context["posture"].guests
    assert (guests.count, len(guests.rows)) == (3, 2)
    assert "Showing the first 2 of 3." in page
    link = response.context["full_lists"]["guests"]
    assert f'<a href="{escape(link)}">See them all</a>' in page
    # The explorer behind the link lists exactly the check's accounts.
    listed = client.get(link).context["page_obj"].paginator.count
    assert listed == guests.count


def test_posture_days_default_to_the_tenants_setting(client, viewer):
    tenant = make_tenant()
    DetectionSettings.objects.create(tenant=tenant, inactive_days=60)
    response, _page_html = _page(client, viewer, f"/threats/posture/?tenant={tenant.code}")
    assert response.context["posture"].days == 60
    response, _page_html = _page(client, viewer,
                                 f"/threats/posture/?tenant={tenant.code}&days=14")
    assert response.context["posture"].days == 14


@pytest.mark.parametrize("query, message", [
    ("days=7", "Showing 30 days."),
    ("days=thirty", "Select a valid choice."),
    ("tenant=00000000-0000-0000-0000-00000000000g", "No tenant has this code."),
    (f"tenant={uuid.uuid4()}", "Showing every tenant."),
])
def test_bad_posture_parameters_are_explained(client, viewer, query, message):
    response, page = _page(client, viewer, f"/threats/posture/?{query}")
    assert message in html.unescape(page)
    assert response.context["posture"].days in (14, 30, 60, 90)


def test_an_empty_posture_page_says_so(client, viewer):
    _response, page = _page(client, viewer, "/threats/posture/")
    assert "Every licensed account signed in during this period." in page
    assert "No guest accounts." in page
    assert "No mailbox is near its quota." in page


# Hostile input ------------------------------------------------------------------------------


def test_hostile_names_and_places_are_rendered_inert(client, operator):
    tenant = make_tenant(name=HOSTILE)
    upn = f"{HOSTILE}@evil.example"
    signins = _signins(tenant, 1, user=upn, city=HOSTILE, app_display_name=HOSTILE)
    event = _event(tenant, signins, users=[upn.lower()], countries=["<b>"],
                   details={"sign_ins": 1, "note": HOSTILE})
    make_rows(DirectoryUser, tenant, 1, user_principal_name=upn, display_name=HOSTILE,
              user_type=UserType.GUEST)
    DetectionException.objects.create(tenant=tenant, user=upn, reason=HOSTILE,
                                      expires=timezone.now() + timedelta(days=1))
    client.force_login(operator)
    for url in ["/threats/", f"/threats/events/{event.pk}/", "/threats/exceptions/",
                f"/threats/users/?tenant={tenant.code}&user={upn}", "/threats/posture/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert HOSTILE not in page and HOSTILE.lower() not in page, url
        assert "&lt;script&gt;" in page, url


# Alerts and navigation ----------------------------------------------------------------------


def test_an_alert_on_a_detection_links_to_its_events(client, viewer):
    tenant = make_tenant()
    event = _event(tenant)
    rule = AlertRule.objects.create(name="Legacy", source=AlertSource.SECURITY,
                                    metric="legacy_auth", comparison="gte", threshold=1,
                                    severity="error")
    alert = make_alert(rule=rule, labels={"user": KIM})
    _response, page = _page(client, viewer, f"/alerts/{alert.code}/")
    link = "/threats/?kind=legacy_auth&amp;user=kim%40contoso.com"
    assert link in page
    response = client.get(html.unescape(link))
    assert list(response.context["page_obj"]) == [event]


def test_every_detection_has_an_alert_rule_at_its_severity():
    AlertRule.objects.filter(source=AlertSource.SECURITY).delete()
    import_module("monitoring.migrations.0007_detection_rules").add_detection_rules(apps, None)
    rules = {r.metric: r for r in AlertRule.objects.filter(source=AlertSource.SECURITY)}
    assert set(rules) == {kind.value for kind in DETECTION_KINDS}
    for kind in DETECTION_KINDS:
        rule = rules[kind.value]
        assert (rule.severity, rule.threshold, rule.comparison, rule.for_seconds) == (
            EVENT_SEVERITY[kind], 1, "gte", 1)
        assert rule.name == kind.label
        rule.full_clean()


def test_the_threats_link_is_shown_to_those_who_may_read_it(client, viewer, outsider):
    _response, page = _page(client, viewer, "/threats/posture/")
    assert 'href="/threats/"' in page
    client.force_login(outsider)
    assert client.get("/threats/").status_code == 403


@pytest.mark.parametrize("details, shown, hidden", [
    ({"scope": "user", "country": "BR"}, ["Scope", "New for the user", "Country", "BR"],
     ["<code>scope</code>", ">user<"]),
    ({"risk_level": "high", "risk_state": "atRisk"}, ["Risk during sign-in", "High", "At risk"],
     ["atRisk"]),
    ({"succeeded": True, "error_code": 50126}, ["Succeeded", "Yes",
                                                "AADSTS50126: Wrong user name or password"],
     ["<code>succeeded</code>"]),
    ({"from": {"city": "Tokyo", "country": "JP"}, "to": {"city": "Paris", "country": "FR"}},
     ["From", "Tokyo, JP", "To", "Paris, FR"], ['{"city"']),
    ({"brand_new_key": 3}, ["Brand new key", "3"], ["brand_new_key"]),
], ids=["scope", "risk", "outcome", "travel", "unknown key"])
def test_the_event_page_labels_details_and_translates_values(client, viewer, details, shown,
                                                             hidden):
    event = _event(make_tenant(), details={"sign_ins": 1, **details})
    _response, page = _page(client, viewer, f"/threats/events/{event.pk}/")
    for text in ["Sign-ins counted", *shown]:
        assert text in page, text
    for text in ["<code>sign_ins</code>", *hidden]:
        assert text not in page, text


def test_the_event_page_details_speak_japanese(client, viewer):
    event = _event(make_tenant(), details={"sign_ins": 1, "scope": "tenant"})
    client.force_login(viewer)
    page = client.get(f"/threats/events/{event.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "範囲" in page and "Scope" not in page
