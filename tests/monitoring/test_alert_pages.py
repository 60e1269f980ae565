"""/alerts/ and /alerts/<code>/: the list, one alert's page, and acting on it from there."""

from __future__ import annotations

import pytest

from m365admin.choices import Severity
from monitoring.choices import AlertStatus
from monitoring.models import AlertTransition, Delivery, NotificationChannel
from tests.factories import make_alert, make_tenant

pytestmark = pytest.mark.django_db

LIST = "/alerts/"


def _page(alert) -> str:
    return f"/alerts/{alert.code}/"


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_anonymous_users_are_sent_to_sign_in_and_outsiders_refused(client, outsider):
    alert = make_alert()
    assert client.get(LIST).status_code == 302
    assert client.get(_page(alert)).status_code == 302
    client.force_login(outsider)
    assert client.get(LIST).status_code == 403
    assert client.get(_page(alert)).status_code == 403


def test_the_list_shows_open_alerts_until_asked_for_others(client, viewer):
    firing = make_alert(summary="CPU at 97 %")
    resolved = make_alert(summary="Disk was full", status=AlertStatus.RESOLVED)
    client.force_login(viewer)
    page = client.get(LIST)
    assert page.status_code == 200
    assert [a.pk for g in page.context["groups"] for a in g.alerts] == [firing.pk]
    page = client.get(LIST, {"status": "resolved"})
    assert [a.pk for g in page.context["groups"] for a in g.alerts] == [resolved.pk]
    assert b"Disk was full" in page.content


def test_the_list_filters_by_tenant_and_sorts_by_severity(client, viewer):
    contoso = make_tenant(name="Contoso")
    warning = make_alert(severity=Severity.WARNING, tenant=contoso)
    critical = make_alert(severity=Severity.CRITICAL, tenant=contoso)
    make_alert(severity=Severity.ERROR)  # another scope
    client.force_login(viewer)
    page = client.get(LIST, {"open": "true", "tenant": str(contoso.code), "sort": "-severity"})
    assert [a.pk for a in page.context["page_obj"]] == [critical.pk, warning.pk]


def test_malformed_filters_are_reported_not_raised(client, viewer):
    make_alert()
    client.force_login(viewer)
    page = client.get(LIST, {"severity": "catastrophic", "sort": "colour"})
    assert page.status_code == 200
    assert page.context["problems"]
    assert b"Unknown sort order" in page.content


def test_the_empty_list_says_so(client, viewer):
    client.force_login(viewer)
    assert b"No alerts match these filters." in client.get(LIST).content


def test_an_alerts_page_shows_its_history_children_and_deliveries(client, viewer, operator):
    parent = make_alert(summary="Database down")
    child = make_alert(summary="Requests slow", inhibited_by=parent)
    parent.acknowledge(operator, "on it")
    channel = NotificationChannel.objects.create(name="Ops mail", kind="email",
                                                 config={"emails": ["ops@example.com"]})
    delivery = Delivery.objects.create(channel=channel, event="firing", due=parent.first_seen,
                                       status="sent", attempts=1)
    delivery.alerts.add(parent)
    client.force_login(viewer)
    page = client.get(_page(parent))
    html = page.content.decode()
    assert page.status_code == 200
    assert "on it" in html and operator.get_username() in html
    assert child.get_absolute_url() in html
    assert "Ops mail" in html
    assert 'name="note"' not in html  # a viewer is not offered the moves


def test_an_operator_acknowledges_then_resolves_with_notes(client, operator):
    alert = make_alert()
    client.force_login(operator)
    page = client.get(_page(alert))
    assert 'name="note"' in page.content.decode()
    response = client.post(f"{_page(alert)}acknowledge", {"note": "looking"}, follow=True)
    assert _messages(response) == ["Alert acknowledged."]
    response = client.post(f"{_page(alert)}resolve", {"note": "fixed the disk"}, follow=True)
    assert _messages(response) == ["Alert resolved."]
    alert.refresh_from_db()
    assert (alert.status, alert.resolved_by) == (AlertStatus.RESOLVED, operator)
    assert list(alert.transitions.values_list("to_status", "note", "actor")) == [
        ("acknowledged", "looking", operator.pk), ("resolved", "fixed the disk", operator.pk)]


def test_resolving_twice_is_a_clear_message_and_no_second_entry(client, operator):
    alert = make_alert()
    client.force_login(operator)
    client.post(f"{_page(alert)}resolve", {"note": "first"}, follow=True)
    response = client.post(f"{_page(alert)}resolve", {"note": "second"}, follow=True)
    assert _messages(response) == ["This alert is already resolved."]
    assert AlertTransition.objects.filter(alert=alert).count() == 1


def test_a_viewer_cannot_act_even_by_posting(client, viewer):
    alert = make_alert()
    client.force_login(viewer)
    assert client.post(f"{_page(alert)}acknowledge", {"note": "x"}).status_code == 403
    assert client.post(f"{_page(alert)}resolve", {"note": "x"}).status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FIRING


def test_a_note_that_is_too_long_is_refused_and_nothing_moves(client, operator):
    alert = make_alert()
    client.force_login(operator)
    response = client.post(f"{_page(alert)}resolve", {"note": "x" * 2001}, follow=True)
    assert "2000" in _messages(response)[0]
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FIRING


def test_hostile_summaries_and_labels_come_out_inert(client, viewer):
    alert = make_alert(summary='<script>alert(1)</script>',
                       labels={"user": '"><img src=x onerror=alert(1)>'})
    client.force_login(viewer)
    for url in (LIST, _page(alert)):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_unknown_alerts_are_404(client, viewer):
    client.force_login(viewer)
    assert client.get("/alerts/00000000-0000-0000-0000-000000000000/").status_code == 404
