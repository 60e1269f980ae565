"""One labelled time zone per person (/account/time-zone/, security/timezones.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from m365admin.models import SignIn
from m365admin.models.preferences import Preference
from tests.factories import make_rows, make_tenant

pytestmark = pytest.mark.django_db

PAGE = "/account/time-zone/"


@pytest.fixture
def signed_in(client, viewer):
    client.force_login(viewer)
    return client


def test_pages_name_the_default_zone_once(signed_in, settings):
    settings.TIME_ZONE_DEFAULT = "Europe/Paris"
    html = signed_in.get("/").content.decode()
    assert 'data-time-zone="Europe/Paris"' in html
    assert html.count('class="time-zone"') == 1


def test_a_chosen_zone_changes_every_time_on_the_page(signed_in, viewer):
    at = datetime(2026, 12, 5, 8, 46, tzinfo=UTC)
    [row] = make_rows(SignIn, make_tenant(), 1, created=datetime.now(UTC) - timedelta(minutes=5))
    SignIn.objects.filter(pk=row.pk).update(created=at)
    assert "08:46:00" in signed_in.get(f"/signins/{row.pk}/").content.decode()
    response = signed_in.post(PAGE, {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    html = signed_in.get(f"/signins/{row.pk}/").content.decode()
    assert "2026-12-05 17:46:00" in html and "(Asia/Tokyo)" in html
    assert Preference.objects.get(user=viewer).time_zone == "Asia/Tokyo"


def test_the_choice_follows_the_person_into_a_new_session(client, viewer):
    Preference.objects.create(user=viewer, time_zone="America/New_York")
    response = client.post("/accounts/login/", {"username": "victor", "password": "pw-victor-123456"})
    assert response.status_code == 302
    assert 'data-time-zone="America/New_York"' in client.get("/").content.decode()


def test_an_unknown_zone_is_a_form_error_and_nothing_is_saved(signed_in, viewer):
    response = signed_in.post(PAGE, {"time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"]
    assert not Preference.objects.filter(user=viewer).exists()


def test_the_form_offers_the_current_zone(signed_in, settings):
    settings.TIME_ZONE_DEFAULT = "Asia/Tokyo"
    assert signed_in.get(PAGE).context["form"].initial["time_zone"] == "Asia/Tokyo"


def test_anonymous_is_sent_to_login(client):
    assert client.get(PAGE).status_code == 302


def test_the_export_keeps_iso_times_with_their_offset(signed_in):
    make_rows(SignIn, make_tenant(), 1, created=datetime.now(UTC) - timedelta(minutes=5))
    signed_in.post(PAGE, {"time_zone": "Asia/Tokyo"})
    body = b"".join(signed_in.get("/signins/export.csv").streaming_content).decode("utf-8-sig")
    created = body.splitlines()[1].split(",")[0]
    assert datetime.fromisoformat(created).utcoffset() is not None
