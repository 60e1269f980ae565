"""The detections against the Graph simulator's tenant, synced over HTTPS as in production.

The simulator plants, each week: a password-spray burst (one address, 20 accounts, one try
each), a brute force (one account, 12 failures from one address), and an impossible-travel
pair (Japan, then New York, Frankfurt or São Paulo within the hour); its everyday traffic
mixes in legacy-protocol sign-ins, risky sign-ins and sign-ins from unusual countries. Every
planted anomaly must be found with the right users and evidence, and no event may rest on
ordinary sign-ins alone: the false-positive count below is zero, per detection.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from collectors.simulator import data
from collectors.sync.runner import run_collector
from m365admin.choices import Collector, SyncStatus
from m365admin.models import SignIn
from security.choices import EventKind
from security.detections import legacy_auth, runner
from security.models import DetectionCursor, SecurityEvent
from tests.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db(transaction=True)

UNUSUAL = {p[2] for p in data.UNUSUAL_PLACES} | {p[2] for p in data.TRAVEL_FAR}
SPRAY = tuple(data.SPRAY_IPS)
BRUTE = data.BRUTE_IPS + "."


@pytest.fixture
def synced(make_sim_tenant):
    tenant, _spec = make_sim_tenant(users=60, signins=3000, days=21, seed=11)
    for collector in (Collector.USERS, Collector.SIGNINS):
        run = run_collector(tenant, collector)
        assert run.status == SyncStatus.SUCCEEDED, run.error
    run_queued_tasks()  # the detections the sign-in sync queued
    return tenant


def _signins(tenant, event) -> list[SignIn]:
    return list(SignIn.objects.filter(tenant=tenant, graph_id__in=event.evidence)
                .between(event.window_start, event.window_end + timedelta(seconds=1)))


def _travel_starts(stored: list[SignIn]) -> set[str]:
    """The Japanese first halves of the planted travel pairs (the simulator starts them in
    Tokyo whatever the user's home: for a London user that is a new country too)."""
    starts = set()
    for second in (s for s in stored if "unlikelyTravel" in (s.risk_event_types or [])):
        starts |= {s.graph_id for s in stored
                   if s.user_graph_id == second.user_graph_id and s.country == "JP"
                   and timedelta(0) < second.created - s.created < timedelta(hours=1)}
    return starts


def _anomalous(row: SignIn, planted: set[str]) -> bool:
    """A sign-in the simulator planted as unusual: what an event may rest on."""
    return (row.graph_id in planted or row.country in UNUSUAL
            or (row.ip_address or "").startswith((*SPRAY, BRUTE))
            or row.client_app_used.lower() in legacy_auth.LEGACY_CLIENTS
            or row.risk_level_during_sign_in in ("medium", "high"))


def test_every_planted_anomaly_is_found_and_nothing_else(synced):
    tenant = synced
    events = list(SecurityEvent.objects.filter(tenant=tenant))
    by_kind = {kind: [e for e in events if e.kind == kind] for kind in EventKind}
    stored = list(SignIn.objects.filter(tenant=tenant))

    # The sprays: one event per burst, from the burst's address, naming its accounts.
    burst_ips = {s.ip_address for s in stored if (s.ip_address or "").startswith(SPRAY)}
    sprays = by_kind[EventKind.PASSWORD_SPRAY]
    assert {e.ip_address for e in sprays} == burst_ips
    for event in sprays:
        targeted = {s.user_principal_name.lower() for s in stored
                    if s.ip_address == event.ip_address}
        assert set(event.users) == targeted and len(event.users) >= 10

    # The brute forces: one per burst, against the burst's account.
    brute_users = {s.user_principal_name.lower() for s in stored
                   if (s.ip_address or "").startswith(BRUTE)}
    brutes = by_kind[EventKind.BRUTE_FORCE]
    assert brutes and {u for e in brutes for u in e.users} == brute_users
    assert all(len(e.evidence) >= 10 for e in brutes)

    # The impossible-travel pairs: the user flagged, with both sign-ins as evidence.
    far = [s for s in stored if "unlikelyTravel" in (s.risk_event_types or [])]
    assert far
    travels = by_kind[EventKind.IMPOSSIBLE_TRAVEL]
    for second in far:
        assert any(second.graph_id in e.evidence for e in travels), second

    # Legacy protocols, risky sign-ins and new countries from the everyday mix.
    legacy_ok = [s for s in stored
                 if s.succeeded and s.client_app_used.lower() in legacy_auth.LEGACY_CLIENTS]
    assert legacy_ok and any(e.severity == "error" for e in by_kind[EventKind.LEGACY_AUTH])
    assert by_kind[EventKind.RISKY_SIGN_IN]
    assert by_kind[EventKind.NEW_COUNTRY]

    # False positives: events resting on ordinary sign-ins only. Zero for every detection.
    planted = _travel_starts(stored)
    false_positives = {
        kind: sum(1 for e in found
                  if not any(_anomalous(s, planted) for s in _signins(tenant, e)))
        for kind, found in by_kind.items() if found
    }
    assert false_positives == {kind: 0 for kind in false_positives}, [
        (e.kind, e.users, e.countries, e.details, [(s.created, s.country, s.city, s.ip_address)
                                                    for s in _signins(tenant, e)])
        for kind, found in by_kind.items() for e in found
        if not any(_anomalous(s, planted) for s in _signins(tenant, e))]
    # Nothing planted for these, so nothing found.
    assert not by_kind[EventKind.DISTRIBUTED_SPRAY]


def test_reading_the_same_sign_ins_again_adds_nothing(synced):
    before = SecurityEvent.objects.count()
    DetectionCursor.objects.filter(name=f"signins:{synced.pk}").update(last_id=0)
    summary = runner.run(synced)
    assert summary.recorded == 0 and SecurityEvent.objects.count() == before
