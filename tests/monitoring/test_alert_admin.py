"""Alert admin: bulk acknowledge/resolve with a note, conflicts, permissions; rules, silences."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from m365admin.choices import AlertSource, Severity
from monitoring.choices import AlertStatus
from monitoring.models import Alert, AlertRule, AlertTransition, Silence
from tests.factories import make_alert

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/monitoring/alert/"


def _act(client, action: str, alerts, note: str | None = None, **extra):
    """The action's first step (no note: the form) or its second (with `apply` and the note)."""
    data = {"action": action, "_selected_action": [a.pk for a in alerts], **extra}
    if note is not None:
        data.update(apply="yes", note=note)
    return client.post(CHANGELIST, data, follow=note is not None)


def _offered(page) -> set[str]:
    form = page.context["action_form"]
    return {value for value, _ in form.fields["action"].choices if value} if form else set()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def staff_operator(operator):
    operator.is_staff = True
    operator.save()
    return operator


@pytest.fixture
def staff_viewer(viewer):
    viewer.is_staff = True
    viewer.save()
    return viewer


def test_acknowledge_asks_for_a_note_first(client, admin):
    alerts = [make_alert(), make_alert()]
    client.force_login(admin)
    response = _act(client, "acknowledge", alerts)
    assert response.status_code == 200
    assert response.templates[0].name == "admin/monitoring/alert_note.html"
    assert b'name="note"' in response.content
    assert response.content.count(b'name="_selected_action"') == 2
    assert not AlertTransition.objects.exists()


def test_it_acknowledges_in_bulk_with_the_note(client, staff_operator):
    alerts = [make_alert(), make_alert()]
    client.force_login(staff_operator)
    response = _act(client, "acknowledge", alerts, note="Disk cleanup running")
    assert response.status_code == 200
    assert _messages(response) == ["2 acknowledged"]
    for alert in alerts:
        alert.refresh_from_db()
        assert alert.status == AlertStatus.ACKNOWLEDGED
        assert alert.acknowledged_by == staff_operator
        transition = alert.transitions.get()
        assert transition.actor == staff_operator
        assert transition.note == "Disk cleanup running"
        assert transition.to_status == AlertStatus.ACKNOWLEDGED


def test_it_resolves_in_bulk_and_reports_conflicts(client, admin):
    open_ = [make_alert(), make_alert(status=AlertStatus.ACKNOWLEDGED), make_alert()]
    resolved = [make_alert(status=AlertStatus.RESOLVED), make_alert(status=AlertStatus.RESOLVED)]
    client.force_login(admin)
    response = _act(client, "resolve", open_ + resolved, note="Fixed upstream")
    assert _messages(response) == ["3 resolved; 2 were already resolved"]
    assert Alert.objects.filter(status=AlertStatus.RESOLVED, resolved_by=admin).count() == 3
    transitions = AlertTransition.objects.all()
    assert len(transitions) == 3
    assert {t.note for t in transitions} == {"Fixed upstream"}
    assert {t.alert_id for t in transitions} == {a.pk for a in open_}


def test_acknowledge_reports_each_kind_of_conflict(client, admin):
    alerts = [make_alert(), make_alert(status=AlertStatus.ACKNOWLEDGED),
              make_alert(status=AlertStatus.RESOLVED)]
    client.force_login(admin)
    response = _act(client, "acknowledge", alerts, note="")
    assert _messages(response) == [
        "1 acknowledged; 1 was already acknowledged; 1 was already resolved"
    ]
    assert AlertTransition.objects.count() == 1


def test_a_note_longer_than_2000_characters_shows_the_form_again(client, admin):
    alert = make_alert()
    client.force_login(admin)
    response = _act(client, "acknowledge", [alert], note="x" * 2001)
    assert response.templates[0].name == "admin/monitoring/alert_note.html"
    assert response.context["form"].errors["note"]
    assert not AlertTransition.objects.exists()


def test_a_viewer_is_not_offered_the_actions_and_cannot_post_them(client, staff_viewer):
    alert = make_alert()
    client.force_login(staff_viewer)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert _offered(page) == set()  # delete needs delete_alert too
    for action in ("acknowledge", "resolve"):
        assert _act(client, action, [alert]).templates[0].name == "admin/change_list.html"
        _act(client, action, [alert], note="sneaky")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FIRING
    assert not AlertTransition.objects.exists()


def test_an_operator_is_offered_the_actions(client, staff_operator):
    make_alert()
    client.force_login(staff_operator)
    assert _offered(client.get(CHANGELIST)) == {"acknowledge", "resolve"}


def test_the_change_page_is_read_only_and_lists_the_transitions(client, admin):
    alert = make_alert()
    alert.acknowledge(admin, "first look")
    client.force_login(admin)
    response = client.get(f"{CHANGELIST}{alert.pk}/change/")
    assert response.status_code == 200
    assert b"first look" in response.content
    assert b'name="_save"' not in response.content
    assert client.get(f"{CHANGELIST}add/").status_code == 403


@pytest.mark.parametrize("age, expected", [("1h", {"new"}), ("24h", {"new", "day"}),
                                           ("7d", {"new", "day", "week"}), ("older", {"old"})])
def test_the_age_filter(client, admin, age, expected):
    now = timezone.now()
    for summary, ago in [("new", timedelta(minutes=5)), ("day", timedelta(hours=5)),
                         ("week", timedelta(days=3)), ("old", timedelta(days=30))]:
        make_alert(summary=summary, first_seen=now - ago)
    client.force_login(admin)
    response = client.get(f"{CHANGELIST}?age={age}")
    assert {a.summary for a in response.context["cl"].result_list} == expected


def test_the_changelist_filters_and_searches(client, admin):
    make_alert(summary="CPU at 93 %")
    make_alert(summary="Disk full", severity=Severity.ERROR)
    client.force_login(admin)
    for query in ["severity__exact=error", "status__exact=firing", "rule__source__exact=metric",
                  "q=disk"]:
        assert client.get(f"{CHANGELIST}?{query}").status_code == 200
    result = client.get(f"{CHANGELIST}?q=disk").context["cl"].result_list
    assert [a.summary for a in result] == ["Disk full"]


# Rules and silences


def test_a_rule_with_an_unknown_metric_shows_the_model_error(client, admin):
    client.force_login(admin)
    response = client.post("/admin/monitoring/alertrule/add/", {
        "name": "Bad", "source": AlertSource.METRIC, "metric": "temperature",
        "comparison": "gt", "threshold": "80", "for_seconds": "60", "hysteresis": "0",
        "severity": Severity.WARNING, "enabled": "on",
    })
    assert response.status_code == 200
    assert "metric" in response.context["adminform"].form.errors
    assert not AlertRule.objects.filter(name="Bad").exists()


def test_a_silence_is_authored_by_whoever_saves_it(client, admin):
    client.force_login(admin)
    now = timezone.now()
    response = client.post("/admin/monitoring/silence/add/", {
        "matchers": '{"component": "graph"}', "reason": "Maintenance",
        "starts_0": now.strftime("%Y-%m-%d"), "starts_1": now.strftime("%H:%M:%S"),
        "ends_0": (now + timedelta(days=1)).strftime("%Y-%m-%d"), "ends_1": "00:00:00",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Silence.objects.get().author == admin


def test_the_silence_list_shows_active_and_expired(client, admin):
    now = timezone.now()
    Silence.objects.create(reason="current", ends=now + timedelta(hours=1), author=admin)
    Silence.objects.create(reason="past", starts=now - timedelta(days=2),
                           ends=now - timedelta(days=1), author=admin)
    client.force_login(admin)
    response = client.get("/admin/monitoring/silence/")
    assert {s.reason: s.active for s in response.context["cl"].result_list} == {
        "current": True, "past": False}
    expired = client.get("/admin/monitoring/silence/?state=expired").context["cl"].result_list
    assert [s.reason for s in expired] == ["past"]
