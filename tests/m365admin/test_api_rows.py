"""The fast list pages (m365admin.api.rows) answer exactly what the serializers answer.

Each list is compared, row by row and field by field, with its serializer's output for the
same rows rendered by DRF's own JSON renderer: in UTC and in another zone, in English and in
Japanese, with the values that differ most between the two paths (nulls, related rows that are
absent, time zones, JSON, IPv6, translated titles, silences).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone as django_timezone
from django.utils import translation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.test import APIRequestFactory, force_authenticate

from m365admin.api.rows import MsgspecJSONRenderer
from m365admin.api.serializers import DirectoryUserSerializer, SignInSerializer
from m365admin.api.views import SignInViewSet
from m365admin.choices import AlertSource, Severity
from m365admin.models import DirectoryUser, SignIn
from monitoring.api.serializers import AlertSerializer
from monitoring.api.views import AlertViewSet
from monitoring.models import AlertRule, Silence
from security.timezones import SESSION_KEY
from tests.factories import make_alert, make_rows, make_tenant

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=123456)
ZONES = pytest.mark.parametrize("zone,language", [("UTC", "en"), ("Asia/Tokyo", "ja")])


def _list(client, viewer, zone: str, language: str, url: str) -> list[dict]:
    client.force_login(viewer)
    session = client.session
    session[SESSION_KEY] = zone
    session.save()
    response = client.get(url, {"limit": 1000, "page_size": 1000},
                          HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()["results"]


def _serialized(serializer_class, objects, zone: str, language: str, **context) -> list[dict]:
    """What the serializer makes of the rows, through DRF's JSON renderer."""
    with django_timezone.override(zone), translation.override(language):
        data = serializer_class(objects, many=True, context=context).data
        return json.loads(JSONRenderer().render(data))


def _assert_same(listed: list[dict], expected: list[dict]) -> None:
    assert len(listed) == len(expected) > 0
    for got, want in zip(listed, expected, strict=True):
        assert list(got) == list(want)  # the serializer's field order too
        for name in want:
            assert got[name] == want[name], name


@ZONES
def test_sign_ins_are_listed_as_the_serializer_writes_them(client, viewer, zone, language):
    tenant = make_tenant()
    make_rows(SignIn, tenant, 3, created=lambda i: NOW - timedelta(minutes=i),
              error_code=lambda i: (0, 50126, 53003)[i], ip_address=lambda i: (
                  "203.0.113.7", "2001:db8::1", None)[i],
              latitude=lambda i: (35.6895, None, -0.5)[i], longitude=139.69171,
              risk_event_types=lambda i: ([], ["unfamiliarFeatures", "anonymizedIPAddress"],
                                          [])[i],
              device_compliant=lambda i: (True, None, False)[i], user_display_name="Åsa 名前")
    make_rows(SignIn, make_tenant(), 1, created=NOW - timedelta(hours=1), is_interactive=None)
    listed = _list(client, viewer, zone, language, "/api/v1/sign-ins/")
    rows = SignIn.objects.select_related("tenant").order_by("-created", "-id")
    _assert_same(listed, _serialized(SignInSerializer, rows, zone, language))


@ZONES
def test_users_are_listed_as_the_serializer_writes_them(client, viewer, zone, language):
    tenant = make_tenant()
    make_rows(DirectoryUser, tenant, 3, last_sign_in=lambda i: (NOW, None, NOW)[i],
              created_in_graph=lambda i: (None, NOW - timedelta(days=400), NOW)[i],
              account_enabled=lambda i: (True, False, None)[i],
              assigned_licenses=lambda i: ([], [{"skuId": "c7df2760", "disabledPlans": []}],
                                           [])[i],
              is_licensed=lambda i: i == 1, last_seen=NOW, last_seen_source="interactive",
              deleted=lambda i: i == 2, deleted_reason=lambda i: ("", "", "deleted")[i])
    make_rows(DirectoryUser, make_tenant(), 2)
    listed = _list(client, viewer, zone, language, "/api/v1/users/")
    rows = DirectoryUser.objects.select_related("tenant").order_by(
        "tenant__name", "user_principal_name")
    _assert_same(listed, _serialized(DirectoryUserSerializer, rows, zone, language))


@ZONES
def test_alerts_are_listed_as_the_serializer_writes_them(
    client, viewer, operator, zone, language
):
    tenant = make_tenant()
    seeded = AlertRule.objects.create(
        name="Repeated failed sign-ins", source=AlertSource.SECURITY, metric="brute_force",
        comparison="gt", threshold=0, severity=Severity.CRITICAL)
    older = make_alert(tenant=tenant, last_seen=NOW - timedelta(hours=3), value=None)
    make_alert(rule=seeded, tenant=None, labels={"ip": "203.0.113.9", "user": "adele@x"},
               last_seen=NOW - timedelta(hours=2), previous=older, value=12.5)
    acknowledged = make_alert(tenant=tenant, last_seen=NOW - timedelta(hours=1))
    acknowledged.acknowledge(operator, "looking")
    resolved = make_alert(tenant=tenant, labels={"component": "graph"}, last_seen=NOW)
    resolved.resolve(operator, "fixed")
    silenced = make_alert(tenant=tenant, labels={"component": "cache"}, last_seen=NOW)
    Silence.create(rule=None, matchers={"component": "cache"}, ends=NOW + timedelta(hours=4),
                   reason="maintenance", author=operator)
    listed = _list(client, viewer, zone, language, "/api/v1/alerts/")
    assert next(a for a in listed if a["code"] == str(silenced.code))["silenced_until"]
    rows = AlertViewSet.queryset.all()
    _assert_same(listed, _serialized(AlertSerializer, rows, zone, language,
                                     silences=list(Silence.objects.active())))


def test_filters_and_cursor_pages_still_apply(client, viewer):
    tenant = make_tenant()
    make_rows(SignIn, tenant, 5, created=lambda i: NOW - timedelta(minutes=i),
              error_code=lambda i: 50126 if i % 2 else 0)
    make_rows(SignIn, make_tenant(), 3, created=NOW)
    client.force_login(viewer)
    first = client.get("/api/v1/sign-ins/", {"tenant": str(tenant.code), "page_size": 2}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    seen = [row["created"] for page in (first, second, third) for row in page["results"]]
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)
    assert third["next"] is None
    assert {row["tenant"] for row in first["results"]} == {str(tenant.code)}


def test_indent_is_honoured_and_line_separators_escaped():
    rendered = MsgspecJSONRenderer().render(
        {"name": "a\u2028b", "when": NOW}, "application/json; indent=4")
    assert b"\n    " in rendered and b"\\u2028" in rendered
    assert json.loads(rendered) == {"name": "a\u2028b",
                                    "when": NOW.isoformat().replace("+00:00", "Z")}


def test_the_browsable_api_stays_when_it_is_enabled(viewer):
    make_rows(SignIn, make_tenant(), 2, created=NOW, user_display_name="Adele Vance")
    view = SignInViewSet.as_view({"get": "list"},
                                 renderer_classes=[JSONRenderer, BrowsableAPIRenderer])
    request = APIRequestFactory().get("/api/v1/sign-ins/", HTTP_ACCEPT="text/html")
    request.client_ip = "127.0.0.1"  # security.middleware sets it on every request
    force_authenticate(request, get_user_model().objects.get(pk=viewer.pk))
    response = view(request)
    response.render()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"Adele Vance" in response.content
