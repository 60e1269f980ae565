"""The sign-in collector over real HTTPS against the simulator."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from collectors.simulator import Fault
from collectors.simulator.clock import to_us
from collectors.sync import signins
from collectors.sync.base import SyncContext
from collectors.sync.runner import run_collector
from collectors.sync.signin_rows import SignInItem
from m365admin.choices import Collector, SyncStatus
from m365admin.models import SignIn, SyncCheckpoint, SyncRun

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def graph_now(simulator):
    """The simulator's clock, held still: what Graph shows cannot grow between the sync's last
    request and the test's count (the stream adds a sign-in every minute or so)."""
    simulator.now = datetime.now(UTC)
    yield simulator.now
    simulator.now = None


def visible_signins(spec, graph_now: datetime) -> set[str]:
    now = to_us(graph_now)
    return {item["id"] for item in spec.signins.iter_all(now - to_us_days(30), now)}


def to_us_days(days: int) -> int:
    return days * 86_400 * 1_000_000


def stored(tenant) -> list[str]:
    return list(SignIn.objects.filter(tenant=tenant).values_list("graph_id", flat=True))


def signin_requests(simulator, tenant) -> list[str]:
    return [r.path for r in simulator.requests.snapshot()
            if r.tenant_id == tenant.tenant_id and "/auditLogs/signIns" in r.path]


def test_it_stores_every_visible_sign_in_once(sim_tenant, graph_now):
    tenant, spec = sim_tenant
    run = run_collector(tenant, Collector.SIGNINS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    ids = stored(tenant)
    assert len(ids) == len(set(ids))
    assert set(ids) == visible_signins(spec, graph_now)
    assert run.written == len(ids)
    checkpoint = SyncCheckpoint.objects.get(tenant=tenant, collector=Collector.SIGNINS)
    assert checkpoint.watermark >= run.started


def test_it_maps_the_generated_mix(sim_tenant):
    tenant, _ = sim_tenant
    run_collector(tenant, Collector.SIGNINS)
    rows = SignIn.objects.filter(tenant=tenant)
    assert rows.exclude(error_code=0).exists()  # failures with real error codes
    assert rows.filter(error_code=50126).exists()
    assert rows.exclude(country="").exists()


def assert_stored_exactly(tenant, spec, graph_now) -> None:
    ids = stored(tenant)
    assert len(ids) == len(set(ids))
    assert set(ids) == visible_signins(spec, graph_now)


@pytest.fixture
def stopped_mid_window(make_sim_tenant, simulator, settings):
    """A tenant whose first sign-in run failed at its third page: (tenant, spec, failed run)."""
    settings.SIGNIN_INITIAL_DAYS = 3
    tenant, spec = make_sim_tenant(signins=2600, days=2)
    simulator.faults.add(Fault("status", path=r"/auditLogs/signIns", tenant=spec.tenant_id,
                               status=500, after=2))
    failed = run_collector(tenant, Collector.SIGNINS)
    simulator.faults.clear()
    return tenant, spec, failed


def resume_with_link(tenant, change) -> SyncRun:
    """Rewrite the saved nextLink with `change`, then run the collector again."""
    checkpoint = SyncCheckpoint.objects.get(tenant=tenant, collector=Collector.SIGNINS)
    checkpoint.next_link = change(checkpoint.next_link)
    checkpoint.save()
    return run_collector(tenant, Collector.SIGNINS)


def test_a_run_failed_at_a_page_resumes_from_its_saved_next_link(stopped_mid_window, simulator,
                                                                  graph_now):
    tenant, spec, failed = stopped_mid_window
    assert failed.status == SyncStatus.FAILED
    assert "\n" not in failed.error and failed.error
    checkpoint = SyncCheckpoint.objects.get(tenant=tenant, collector=Collector.SIGNINS)
    # The open window's sign-ins are not behind the watermark until all of it is read.
    assert checkpoint.watermark is None or checkpoint.watermark <= checkpoint.window_start
    assert checkpoint.window_end is not None and "$skiptoken" in checkpoint.next_link
    assert 0 < len(stored(tenant)) < len(visible_signins(spec, graph_now))
    before = len(signin_requests(simulator, tenant))

    resumed = run_collector(tenant, Collector.SIGNINS)
    assert resumed.status == SyncStatus.SUCCEEDED, resumed.error
    assert_stored_exactly(tenant, spec, graph_now)
    assert "$skiptoken" in signin_requests(simulator, tenant)[before]
    assert failed.written + resumed.written == len(stored(tenant))


def test_a_saved_link_graph_no_longer_accepts_rereads_the_window(stopped_mid_window, graph_now):
    tenant, spec, _ = stopped_mid_window
    resumed = resume_with_link(tenant, lambda link: re.sub(r"skiptoken=[^&]+", "skiptoken=expired", link))
    assert resumed.status == SyncStatus.SUCCEEDED, resumed.error
    assert_stored_exactly(tenant, spec, graph_now)


def test_a_saved_link_to_another_graph_host_is_dropped_with_one_log_line(
        stopped_mid_window, graph_now, caplog):
    tenant, spec, _ = stopped_mid_window
    # The simulator restarted on another port since: the link points at the old one.
    resumed = resume_with_link(tenant, lambda link: re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:9", link))
    assert resumed.status == SyncStatus.SUCCEEDED, resumed.error
    assert_stored_exactly(tenant, spec, graph_now)
    assert len([r for r in caplog.records if "not on the current Graph host" in r.message]) == 1


def test_a_truncated_page_is_requested_again_and_nothing_of_it_is_lost(
        make_sim_tenant, simulator, graph_now):
    tenant, spec = make_sim_tenant(signins=2600, days=2)
    simulator.faults.add(Fault("truncate", path=r"/auditLogs/signIns", tenant=spec.tenant_id,
                               after=3))
    run = run_collector(tenant, Collector.SIGNINS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert_stored_exactly(tenant, spec, graph_now)
    assert run.written == len(stored(tenant))


def test_a_backfill_is_read_in_windows_and_written_counts_each_sign_in_once(
        make_sim_tenant, simulator, graph_now, settings):
    settings.SIGNIN_WINDOW_HOURS = 12
    tenant, spec = make_sim_tenant(signins=2600, days=2)
    run = run_collector(tenant, Collector.SIGNINS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert_stored_exactly(tenant, spec, graph_now)
    first_pages = [p for p in signin_requests(simulator, tenant) if "skiptoken" not in p]
    assert len(first_pages) == settings.SIGNIN_INITIAL_DAYS * 2  # 12 h windows
    # Each next page repeats the last sign-in of the one before; it is stored and counted once.
    assert run.written == len(stored(tenant)) < sum(1 for _ in signin_requests(simulator, tenant)) * 1000
    checkpoint = SyncCheckpoint.objects.get(tenant=tenant, collector=Collector.SIGNINS)
    assert (checkpoint.window_start, checkpoint.window_end, checkpoint.next_link) == (None, None, "")
    assert checkpoint.watermark >= run.started


def test_new_and_late_sign_ins_are_picked_up_incrementally(sim_tenant, settings):
    tenant, spec = sim_tenant
    run_collector(tenant, Collector.SIGNINS)
    count = len(stored(tenant))
    now = datetime.now(UTC)
    late = now - timedelta(minutes=settings.SIGNIN_OVERLAP_MINUTES - 5)  # arrived late
    user = next(iter(spec.users.values()))
    spec.add_signins([
        {"userId": user["id"], "createdDateTime": late.strftime("%Y-%m-%dT%H:%M:%SZ")},
        {"userId": user["id"], "createdDateTime": now.strftime("%Y-%m-%dT%H:%M:%SZ")},
    ])
    second = run_collector(tenant, Collector.SIGNINS)
    assert second.status == SyncStatus.SUCCEEDED
    assert len(stored(tenant)) == count + 2
    assert second.written < count  # only the overlap was read again


def test_a_tenant_without_premium_licences_is_skipped_with_the_reason(make_sim_tenant):
    tenant, _ = make_sim_tenant(premium=False)
    run = run_collector(tenant, Collector.SIGNINS)
    assert run.status == SyncStatus.SKIPPED
    assert "P1/P2" in run.error
    assert run.error_code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    assert SignIn.objects.filter(tenant=tenant).count() == 0


def test_throttling_is_waited_out(sim_tenant, simulator, graph_now):
    tenant, spec = sim_tenant
    simulator.faults.add(Fault("status", path=r"/auditLogs/signIns", tenant=spec.tenant_id,
                               status=429, retry_after="0.3"))
    run = run_collector(tenant, Collector.SIGNINS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert set(stored(tenant)) == visible_signins(spec, graph_now)


def test_unknown_enums_bad_dates_and_missing_fields_do_not_stop_a_sync(sim_tenant, simulator,
                                                                      graph_now, settings):
    tenant, spec = sim_tenant
    settings.SIGNIN_WINDOW_HOURS = 24 * settings.SIGNIN_INITIAL_DAYS  # the first page has items

    def damage(body):
        items = body["value"]
        items[0]["riskState"] = "somethingNew"
        items[1]["createdDateTime"] = ""
        items[2].pop("location", None)
        items[3]["ipAddress"] = "10.0.0.999"
        return body

    simulator.faults.add(Fault("mutate", path=r"/auditLogs/signIns", tenant=spec.tenant_id, func=damage))
    run = run_collector(tenant, Collector.SIGNINS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert run.rejected == 1
    assert SignIn.objects.filter(tenant=tenant, risk_state="somethingNew").count() == 1
    assert len(stored(tenant)) == len(visible_signins(spec, graph_now)) - 1


def test_a_page_that_is_not_json_fails_the_run_clearly(sim_tenant, simulator):
    tenant, spec = sim_tenant
    simulator.faults.add(Fault("not_json", path=r"/auditLogs/signIns", tenant=spec.tenant_id, times=None))
    run = run_collector(tenant, Collector.SIGNINS)
    assert run.status == SyncStatus.FAILED
    assert run.error and "\n" not in run.error
    assert stored(tenant) == []
    assert SyncCheckpoint.objects.get(tenant=tenant, collector=Collector.SIGNINS).watermark is None


def test_addresses_and_risk_events_keep_their_types(sim_tenant):
    tenant, spec = sim_tenant
    user = next(iter(spec.users.values()))
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    spec.add_signins([{"userId": user["id"], "createdDateTime": now, "ipAddress": "2001:db8::1",
                       "riskEventTypes_v2": ["unlikelyTravel", "anonymizedIPAddress"]}])
    run_collector(tenant, Collector.SIGNINS)
    stored = SignIn.objects.get(tenant=tenant, ip_address="2001:db8::1")
    assert stored.risk_event_types == ["unlikelyTravel", "anonymizedIPAddress"]


@pytest.mark.postgres
def test_a_page_another_writer_stored_meanwhile_is_upserted(sim_tenant, graph_now):
    tenant, spec = sim_tenant
    run_collector(tenant, Collector.SIGNINS)
    now = datetime.now(UTC)
    items = [msgspec.convert(item, SignInItem)
             for item in list(spec.signins.iter_all(0, to_us(now)))[:5]]
    run = SyncRun.objects.create(tenant=tenant, collector=Collector.SIGNINS)
    checkpoint = SyncCheckpoint.objects.get(tenant=tenant, collector=Collector.SIGNINS)
    ctx = SyncContext(tenant, client=None, run=run, checkpoint=checkpoint)
    checkpoint.window_start, checkpoint.window_end = now - timedelta(days=1), now
    # Told (wrongly) that nothing since 2000 is stored, the COPY collides with the rows
    # already there: the page falls back to the upsert instead of failing.
    page = signins.map_page(signins.RowMapper(tenant.pk, now), items, next_link="more")
    signins.store_page(ctx, page, stored_until=datetime(2000, 1, 1, tzinfo=UTC))
    assert SignIn.objects.filter(tenant=tenant).count() == len(visible_signins(spec, graph_now))
    assert run.written == 0  # all five were stored before


def test_sign_ins_graph_could_not_place_are_stored_as_unknown_and_raise_no_finding(sim_tenant):
    from security.choices import EventKind
    from security.models import SecurityEvent

    tenant, spec = sim_tenant
    user = next(iter(spec.users.values()))
    now = datetime.now(UTC)
    tokyo = {"city": "Tokyo", "countryOrRegion": "JP",
             "geoCoordinates": {"latitude": 35.69, "longitude": 139.69}}
    unplaced = [
        {"countryOrRegion": "ZZ", "geoCoordinates": {"latitude": 0, "longitude": 0}},
        {"countryOrRegion": "", "geoCoordinates": {}},
        {"countryOrRegion": "jp", "geoCoordinates": {"latitude": 0.0, "longitude": 0.0}},
    ]
    spec.add_signins([
        {"userId": user["id"], "createdDateTime": (now - timedelta(minutes=40 - 10 * n))
         .strftime("%Y-%m-%dT%H:%M:%SZ"), "ipAddress": f"198.51.100.{n}", "location": where}
        for n, where in enumerate([tokyo, *unplaced])
    ])
    run = run_collector(tenant, Collector.SIGNINS)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    places = {row["ip_address"]: row for row in SignIn.objects.filter(
        tenant=tenant, ip_address__startswith="198.51.100.").values(
        "ip_address", "country", "latitude", "longitude")}
    assert places["198.51.100.1"] == {"ip_address": "198.51.100.1", "country": "",
                                      "latitude": None, "longitude": None}
    assert places["198.51.100.2"]["country"] == "" and places["198.51.100.2"]["latitude"] is None
    assert places["198.51.100.3"]["country"] == "JP" and places["198.51.100.3"]["latitude"] is None
    evidence = set(SignIn.objects.filter(ip_address__startswith="198.51.100.").exclude(
        ip_address="198.51.100.0").values_list("graph_id", flat=True))
    for event in SecurityEvent.objects.filter(
            tenant=tenant, kind__in=[EventKind.IMPOSSIBLE_TRAVEL, EventKind.NEW_COUNTRY]):
        assert not evidence & set(event.evidence), event.details
