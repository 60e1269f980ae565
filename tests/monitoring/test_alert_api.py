"""/api/v1/alerts/: list, filters, detail, and acknowledge/resolve with their permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from m365admin.choices import AlertSource, Severity
from monitoring.choices import AlertStatus
from monitoring.models import Alert, AlertRule, AlertTransition
from tests.factories import make_alert, make_tenant

pytestmark = pytest.mark.django_db

LIST = "/api/v1/alerts/"


def _url(alert: Alert, action: str = "") -> str:
    return f"{LIST}{alert.code}/{action}"


@pytest.fixture
def alert():
    return make_alert()


@pytest.fixture
def sync_rule():
    return AlertRule.objects.create(
        name="Sync failing", source=AlertSource.SYNC, metric="consecutive_failures",
        comparison="gte", threshold=3, severity=Severity.ERROR,
    )


# Reading


def test_it_refuses_anonymous_callers(client, alert):
    # 401 with a Bearer challenge: JWT is the first authentication the API offers.
    for response in (client.get(LIST), client.get(_url(alert))):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_users_without_view_alert(client, outsider, alert):
    client.force_login(outsider)
    assert client.get(LIST).status_code == 403


def test_it_lists_alerts_newest_first(client, viewer, alert):
    older = make_alert(last_seen=timezone.now() - timedelta(hours=2))
    alert.acknowledge(None, "looking")
    client.force_login(viewer)
    body = client.get(LIST).json()
    assert body["count"] == 2
    first, second = body["results"]
    assert first["code"] == str(alert.code) and second["code"] == str(older.code)
    assert first["rule"] == "CPU high"
    assert first["source"] == AlertSource.METRIC
    assert first["status"] == AlertStatus.ACKNOWLEDGED
    assert first["transitions"] == 1 and second["transitions"] == 0
    assert set(first) == {
        "code", "rule", "source", "tenant", "labels", "status", "severity", "summary", "value",
        "count", "first_seen", "last_seen", "fired", "acknowledged", "acknowledged_by",
        "resolved", "resolved_by", "silenced", "transitions", "kind", "previous",
        "tenant_name", "silenced_until", "title",
    }


def test_it_lists_in_a_fixed_number_of_queries(client, viewer, django_assert_num_queries):
    tenant = make_tenant()
    for _ in range(5):
        make_alert(tenant=tenant)
    client.force_login(viewer)
    # session, user, owes a second factor?, permissions (one query for the user's and their
    # groups'), count, page; the active silences only when an alert shown is silenced (its
    # "silenced until")
    with django_assert_num_queries(6):
        assert client.get(LIST).status_code == 200
    Alert.objects.filter(tenant=tenant).update(silenced=True)
    with django_assert_num_queries(7):
        assert client.get(LIST).status_code == 200


def test_it_filters_by_severity_status_source_and_tenant(client, viewer, alert, sync_rule):
    tenant = make_tenant()
    synced = make_alert(rule=sync_rule, tenant=tenant, labels={"collector": "users"})
    resolved = make_alert(status=AlertStatus.RESOLVED)
    client.force_login(viewer)

    def codes(query: str) -> set[str]:
        response = client.get(f"{LIST}?{query}")
        assert response.status_code == 200, response.content
        return {row["code"] for row in response.json()["results"]}

    assert codes("severity=error") == {str(synced.code)}
    assert codes("severity=warning&severity=error") == {str(alert.code), str(synced.code),
                                                        str(resolved.code)}
    assert codes("status=resolved") == {str(resolved.code)}
    assert codes("source=sync") == {str(synced.code)}
    assert codes(f"tenant={tenant.code}") == {str(synced.code)}
    assert codes("tenant=00000000-0000-0000-0000-000000000000") == set()
    assert client.get(f"{LIST}?severity=bogus").status_code == 400


def test_open_means_firing_or_acknowledged_and_neither_silenced_nor_held_back(
    client, viewer, alert
):
    acknowledged = make_alert(status=AlertStatus.ACKNOWLEDGED)
    make_alert(status=AlertStatus.PENDING)
    make_alert(status=AlertStatus.RESOLVED)
    make_alert(silenced=True)
    make_alert(inhibited_by=alert)
    client.force_login(viewer)
    rows = client.get(f"{LIST}?open=true").json()["results"]
    assert {row["code"] for row in rows} == {str(alert.code), str(acknowledged.code)}
    assert client.get(f"{LIST}?open=false").json()["count"] == 4


def test_it_shows_one_alert_by_code(client, viewer, alert):
    client.force_login(viewer)
    body = client.get(_url(alert)).json()
    assert body["code"] == str(alert.code) and body["summary"] == alert.summary
    assert client.get(f"{LIST}00000000-0000-0000-0000-000000000000/").status_code == 404


# Acting


def test_an_operator_acknowledges_with_a_note(client, operator, alert):
    client.force_login(operator)
    response = client.post(_url(alert, "acknowledge"), {"note": "on it"},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == AlertStatus.ACKNOWLEDGED
    assert body["acknowledged_by"] == operator.username
    assert body["transitions"] == 1
    transition = AlertTransition.objects.get(alert=alert)
    assert (transition.from_status, transition.to_status) == (AlertStatus.FIRING,
                                                              AlertStatus.ACKNOWLEDGED)
    assert transition.actor == operator and transition.note == "on it"


def test_the_note_is_optional_and_the_trailing_slash_too(client, operator, alert):
    client.force_login(operator)
    response = client.post(_url(alert, "resolve/"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == AlertStatus.RESOLVED
    assert response.json()["resolved_by"] == operator.username
    assert AlertTransition.objects.get(alert=alert).note == ""


def test_acknowledging_a_resolved_alert_is_a_conflict(client, operator, alert):
    alert.resolve(None)
    client.force_login(operator)
    response = client.post(_url(alert, "acknowledge"), {"note": "late"},
                           content_type="application/json")
    assert response.status_code == 409
    assert response.json() == {"detail": "This alert is already resolved."}
    assert AlertTransition.objects.filter(alert=alert).count() == 1


def test_resolving_twice_is_a_conflict(client, operator, alert):
    client.force_login(operator)
    assert client.post(_url(alert, "resolve")).status_code == 200
    response = client.post(_url(alert, "resolve"))
    assert response.status_code == 409
    assert "resolved" in response.json()["detail"]
    assert AlertTransition.objects.filter(alert=alert).count() == 1


def test_a_note_longer_than_2000_characters_is_refused(client, operator, alert):
    client.force_login(operator)
    response = client.post(_url(alert, "acknowledge"), {"note": "x" * 2001},
                           content_type="application/json")
    assert response.status_code == 400
    assert "note" in response.json()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FIRING


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_a_viewer_may_not_act(client, viewer, alert, action):
    client.force_login(viewer)
    assert client.post(_url(alert, action)).status_code == 403
    assert not AlertTransition.objects.exists()


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_anonymous_callers_may_not_act(client, alert, action):
    assert client.post(_url(alert, action)).status_code == 401
    assert not AlertTransition.objects.exists()


def test_acting_needs_the_csrf_token_with_a_session(operator, alert):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert client.post(_url(alert, "acknowledge")).status_code == 403
    assert not AlertTransition.objects.exists()


def test_acting_on_an_unknown_alert_is_not_found(client, operator):
    client.force_login(operator)
    response = client.post(f"{LIST}00000000-0000-0000-0000-000000000000/acknowledge")
    assert response.status_code == 404
