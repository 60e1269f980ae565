"""One sign-in's page (/signins/<pk>/): every field, the error explained, and who may see it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from m365admin.choices import RiskLevel, RiskState
from m365admin.models import SignIn
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def signin():
    [row] = make_rows(
        SignIn, make_tenant(name="Contoso"), 1, created=NOW - timedelta(minutes=5),
        user_display_name="Adele Vance", user_principal_name="adele@contoso.com",
        error_code=53003, failure_reason="Access has been blocked by Conditional Access policies.",
        conditional_access_status="failure", ip_address="203.0.113.9", country="JP",
        city="Tokyo", operating_system="Windows 11", browser="Edge 120",
        device_compliant=False, device_managed=True, correlation_id="corr-1",
        risk_level_during_sign_in=RiskLevel.HIGH, risk_state=RiskState.AT_RISK,
    )
    return SignIn.objects.get(graph_id=row.graph_id)


def test_it_shows_every_part_of_the_sign_in(client, viewer, signin):
    client.force_login(viewer)
    html = client.get(f"/signins/{signin.pk}/").content.decode()
    for text in ("Adele Vance", "adele@contoso.com", "Blocked by Conditional Access",
                 "https://login.microsoftonline.com/error?code=53003", "203.0.113.9", "Tokyo",
                 "Windows 11", "Edge 120", "corr-1", "High", "At risk",
                 # Graph's conditionalAccessStatus "failure", in words
                 "<dt>Conditional Access</dt><dd>Failed</dd>"):
        assert text in html, text
    assert "atRisk" not in html and ">failure<" not in html


def test_the_list_links_each_row_to_its_details(client, viewer, signin):
    client.force_login(viewer)
    assert f'href="/signins/{signin.pk}/"' in client.get("/signins/").content.decode()


def test_an_unknown_sign_in_is_404(client, viewer, signin):
    client.force_login(viewer)
    assert client.get(f"/signins/{signin.pk + 1000}/").status_code == 404


def test_an_outsider_gets_403(client, outsider, signin):
    client.force_login(outsider)
    assert client.get(f"/signins/{signin.pk}/").status_code == 403


def test_anonymous_is_sent_to_login(client, signin):
    assert client.get(f"/signins/{signin.pk}/").status_code == 302
