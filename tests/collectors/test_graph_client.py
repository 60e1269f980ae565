"""GraphClient against the Graph simulator over real HTTPS (no mocks of our code).

Waits go through an injected sleep that records the requested seconds and returns at once.
"""

from __future__ import annotations

import itertools
import logging
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from typing import Any

import pytest

from collectors.graph import (
    GraphAuthError,
    GraphBreakerOpen,
    GraphClient,
    GraphConfig,
    GraphLicenseRequired,
    GraphMalformedResponse,
    GraphResyncRequired,
    GraphThrottled,
    GraphUnavailable,
    Limiter,
)
from collectors.simulator import Fault, GraphSimulator, RequestRecord, SimTenant

TENANT = "6c7e3a2b-1111-4a4a-9b9b-000000000001"
BASIC = "6c7e3a2b-2222-4a4a-9b9b-000000000002"  # no Entra ID P1/P2
CLIENT_ID = "b3f1d0c2-0000-4000-8000-00000000c11e"
SECRET = "s3cr3t-value~do-not-log"
USERS = 25


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphSimulator]:
    simulator = GraphSimulator(host="127.0.0.1", port=0, state_dir=tmp_path_factory.mktemp("sim"))
    for tenant_id, premium in ((TENANT, True), (BASIC, False)):
        simulator.add_tenant(SimTenant(tenant_id=tenant_id, client_id=CLIENT_ID,
                                       client_secret=SECRET, users=USERS, signins=50, days=7,
                                       seed=3, premium=premium))
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def no_faults(sim: GraphSimulator) -> Iterator[None]:
    yield
    sim.faults.clear()


class Waits(list[float]):
    """An injected sleep: records each wait instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class Clock:
    def __init__(self) -> None:
        self.now = 5_000.0

    def __call__(self) -> float:
        return self.now


def make_client(sim: GraphSimulator, tenant_id: str = TENANT, *, secret: str = SECRET,
                authority: str | None = None, max_attempts: int = 6,
                limiter: Limiter | None = None,
                timeout: float = 5.0) -> tuple[GraphClient, Waits]:
    client = GraphClient(
        GraphConfig(tenant_id=tenant_id, client_id=CLIENT_ID, client_secret=secret,
                    authority_url=authority or sim.authority_url(tenant_id),
                    graph_url=sim.base_url, ca_bundle=sim.ca_bundle, timeout=timeout),
        limiter=limiter,
        max_attempts=max_attempts,
    )
    waits = Waits()
    client.sleep = waits
    client.random = lambda: 0.5  # backoff for attempt n is then exactly 1.5 * 2**(n-1)
    return client, waits


def served_since(sim: GraphSimulator, mark: int, pattern: str = "") -> list[RequestRecord]:
    return [r for r in sim.requests.snapshot()[mark:] if pattern in r.path]


def token_posts(records: list[RequestRecord]) -> list[RequestRecord]:
    return [r for r in records if r.method == "POST" and r.path.endswith("/oauth2/v2.0/token")]


# Tokens


def test_it_fetches_one_token_for_many_calls(sim: GraphSimulator) -> None:
    mark = len(sim.requests)
    client, _ = make_client(sim)
    for _ in range(3):
        assert client.get("/v1.0/users", params={"$top": "1"})["value"]
    records = served_since(sim, mark)
    assert [r.path.split("?")[0] for r in records[:2]] == [
        f"/{TENANT}/v2.0/.well-known/openid-configuration", f"/{TENANT}/oauth2/v2.0/token"]
    assert len(token_posts(records)) == 1
    assert all(r.headers["authorization"].startswith("Bearer") for r in records[2:])
    assert client.stats.requests == 5


def test_a_wrong_secret_is_a_one_line_auth_error_without_the_secret(
    sim: GraphSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wr0ng-secret-value-xyz"
    client, _ = make_client(sim, secret=wrong)
    with pytest.raises(GraphAuthError) as info:
        client.get("/v1.0/users")
    text = str(info.value)
    assert "\n" not in text and "\r" not in text
    assert TENANT in text and sim.authority_url(TENANT) in text
    assert "invalid_client" in text and "AADSTS7000215" in text
    assert info.value.code == "invalid_client"
    for secret in (wrong, SECRET):
        assert secret not in text
        assert secret not in caplog.text
        assert secret not in repr(client.config)


def test_an_unreachable_authority_is_a_one_line_auth_error(sim: GraphSimulator) -> None:
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client, waits = make_client(sim, authority=f"https://127.0.0.1:{closed_port}/{TENANT}")
    with pytest.raises(GraphAuthError) as info:
        client.get("/v1.0/users")
    text = str(info.value)
    assert "\n" not in text and TENANT in text and str(closed_port) in text
    assert "Connection refused" in text
    # Five refused connections open the token breaker; four backoff waits came before.
    assert waits == [1.5, 3.0, 6.0, 12.0]
    assert client.breaker_states() == {"token": "open"}
    assert client.stats.snapshot().failures == 5


def test_an_expired_token_is_dropped_once_and_the_call_retried(sim: GraphSimulator) -> None:
    client, _ = make_client(sim)
    client.get("/v1.0/subscribedSkus")
    mark = len(sim.requests)
    sim.faults.add(Fault("status", path=r"^/v1\.0/subscribedSkus", status=401, tenant=TENANT))
    assert client.get("/v1.0/subscribedSkus")["value"]
    records = served_since(sim, mark)
    assert [r.status for r in records if "subscribedSkus" in r.path] == [401, 200]
    assert len(token_posts(records)) == 1


def test_a_second_401_is_an_auth_error(sim: GraphSimulator) -> None:
    client, _ = make_client(sim)
    sim.faults.add(Fault("status", path=r"^/v1\.0/subscribedSkus", status=401, times=2))
    with pytest.raises(GraphAuthError, match="InvalidAuthenticationToken"):
        client.get("/v1.0/subscribedSkus")


# Paging


def test_it_follows_next_links_and_resends_consistency_level(sim: GraphSimulator) -> None:
    client, _ = make_client(sim)
    mark = len(sim.requests)
    pages = list(client.iter_pages(
        "/v1.0/users",
        params={"$count": "true", "$top": "10", "$filter": "userType ne 'Guest'",
                "$select": "id,userType"},
        headers={"ConsistencyLevel": "eventual"},
    ))
    assert len(pages) >= 2
    assert pages[0].count == sum(len(p.items) for p in pages)
    assert all(p.count is None for p in pages[1:])
    assert all(p.next_link == q.url for p, q in itertools.pairwise(pages))
    assert pages[-1].next_link is None
    assert all(item["userType"] != "Guest" for p in pages for item in p.items)
    records = served_since(sim, mark, "/v1.0/users")
    assert len(records) == len(pages)
    assert all(r.headers.get("consistencylevel") == "eventual" for r in records)


def test_a_truncated_page_is_requested_again_at_the_same_url(sim: GraphSimulator) -> None:
    client, waits = make_client(sim)
    whole = [page.items for page in client.iter_pages("/v1.0/users", params={"$top": "5"})]
    mark = len(sim.requests)
    sim.faults.add(Fault("truncate", path=r"^/v1\.0/users", after=1, tenant=TENANT))
    again = [page.items for page in client.iter_pages("/v1.0/users", params={"$top": "5"})]
    assert again == whole
    served = served_since(sim, mark, "/v1.0/users")
    assert served[1].path == served[2].path  # the damaged second page, then the same URL
    assert waits == [1.5]  # the first backoff: its 1 s floor plus half of it as jitter


def test_bodies_damaged_every_time_fail_clearly_after_three_requests(sim: GraphSimulator) -> None:
    client, waits = make_client(sim)
    client.get("/v1.0/subscribedSkus")
    sim.faults.add(Fault("truncate", path=r"^/v1\.0/users", tenant=TENANT, times=None))
    pages = client.iter_pages("/v1.0/users", params={"$top": "5"})
    with pytest.raises(GraphMalformedResponse, match="truncated or invalid JSON") as info:
        next(pages)
    assert info.value.status == 200 and "\n" not in str(info.value)
    assert len(waits) == 2

    sim.faults.add(Fault("not_json", path=r"^/v1\.0/subscribedSkus", status=200, times=None))
    with pytest.raises(GraphMalformedResponse, match="expected JSON, got text/html"):
        client.get("/v1.0/subscribedSkus")


# Throttling and transient failures


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [(429, "2", 2.0), (429, "0.5", 0.5), (429, None, 1.5), (503, "1", 1.0), (504, None, 1.5)],
)
def test_it_waits_and_retries_transient_answers(
    sim: GraphSimulator, status: int, retry_after: str | None, expected: float
) -> None:
    client, waits = make_client(sim)
    client.get("/v1.0/subscribedSkus")  # token first, so the counts below are Graph's
    client.stats.snapshot_and_reset()
    sim.faults.add(Fault("status", path=r"^/v1\.0/subscribedSkus", status=status,
                         retry_after=retry_after, tenant=TENANT))
    assert client.get("/v1.0/subscribedSkus")["value"]
    assert waits == [expected]
    stats = client.stats.snapshot_and_reset()
    assert (stats.requests, stats.throttled, stats.waited_seconds, stats.failures) == (
        2, int(status == 429), expected, int(status >= 500))
    assert client.stats.requests == 0


def test_a_timeout_is_retried_after_backoff(sim: GraphSimulator) -> None:
    client, waits = make_client(sim, timeout=0.2)
    client.get("/v1.0/subscribedSkus")
    sim.faults.add(Fault("delay", path=r"^/v1\.0/subscribedSkus", seconds=0.4))
    assert client.get("/v1.0/subscribedSkus")["value"]
    assert waits == [1.5]
    assert client.stats.failures == 1


def test_it_honours_an_http_date_retry_after(sim: GraphSimulator) -> None:
    client, waits = make_client(sim)
    sim.faults.add(Fault("status", path=r"^/v1\.0/subscribedSkus", status=429,
                         retry_after=formatdate(time.time() + 3, usegmt=True)))
    assert client.get("/v1.0/subscribedSkus")["value"]
    assert len(waits) == 1 and 1.5 < waits[0] <= 3.0  # the date has one-second resolution
    assert client.stats.throttled == 1


def test_it_backs_off_exponentially_and_gives_up_as_throttled(sim: GraphSimulator) -> None:
    client, waits = make_client(sim, max_attempts=4)
    client.random = lambda: 1.0
    sim.faults.add(Fault("status", path=r"^/v1\.0/subscribedSkus", status=429, times=None))
    with pytest.raises(GraphThrottled) as info:
        client.get("/v1.0/subscribedSkus")
    assert info.value.status == 429 and info.value.code == "TooManyRequests"
    assert "\n" not in str(info.value)
    assert waits == [2.0, 4.0, 8.0]
    assert client.stats.throttled == 4
    assert client.breaker_states()["subscribedSkus"] == "closed"  # 429 is not a failure


def test_the_limiter_caps_requests_in_flight(sim: GraphSimulator) -> None:
    client, _ = make_client(sim, limiter=Limiter(2))
    client.get("/v1.0/subscribedSkus")  # the token, outside the timing
    sim.faults.add(Fault("delay", path=r"^/v1\.0/subscribedSkus", seconds=0.2, times=None))
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: client.get("/v1.0/subscribedSkus"), range(4)))
    assert time.monotonic() - started >= 0.39  # two waves of two, not one wave of four


# Circuit breaker


def test_the_breaker_opens_rejects_half_opens_and_closes(sim: GraphSimulator) -> None:
    client, _waits = make_client(sim)
    clock = Clock()
    client.clock = clock
    sim.faults.add(Fault("status", path=r"^/v1\.0/subscribedSkus", status=503, times=None))
    mark = len(sim.requests)
    with pytest.raises(GraphUnavailable) as info:
        client.get("/v1.0/subscribedSkus")
    assert not isinstance(info.value, GraphBreakerOpen)
    assert len(served_since(sim, mark, "subscribedSkus")) == 5  # opened on the 5th failure
    assert client.breaker_states()["subscribedSkus"] == "open"

    mark = len(sim.requests)
    with pytest.raises(GraphBreakerOpen, match=f"tenant {TENANT}, service subscribedSkus"):
        client.get("/v1.0/subscribedSkus")
    assert served_since(sim, mark, "subscribedSkus") == []
    assert client.get("/v1.0/users", params={"$top": "1"})["value"]  # other services go on

    clock.now += 60
    assert client.breaker_states()["subscribedSkus"] == "half_open"
    mark = len(sim.requests)
    with pytest.raises(GraphUnavailable):
        client.get("/v1.0/subscribedSkus")  # the trial fails: open again at once
    assert len(served_since(sim, mark, "subscribedSkus")) == 1
    assert client.breaker_states()["subscribedSkus"] == "open"

    clock.now += 60
    sim.faults.clear()
    assert client.get("/v1.0/subscribedSkus")["value"]
    assert client.breaker_states()["subscribedSkus"] == "closed"


# Licence and delta


def test_a_tenant_without_premium_gets_license_required(sim: GraphSimulator) -> None:
    client, _ = make_client(sim, BASIC)
    with pytest.raises(GraphLicenseRequired) as info:
        client.get("/v1.0/auditLogs/signIns")
    assert info.value.status == 403
    assert info.value.code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    assert client.breaker_states()["auditLogs"] == "closed"


def _delta_round(client: GraphClient, start: str) -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    delta_link = None
    for page in client.iter_pages(start):
        items += page.items
        delta_link = page.delta_link
    assert delta_link is not None
    return items, delta_link


def test_a_delta_round_reports_removals_and_a_410_asks_for_resync(sim: GraphSimulator) -> None:
    client, _ = make_client(sim)
    sim.delta_page_size = 10
    try:
        items, delta_link = _delta_round(client, "/v1.0/users/delta?$select=id,displayName")
    finally:
        sim.delta_page_size = 100
    assert len({i["id"] for i in items}) == len(sim.tenant(TENANT).users)

    victim = items[3]["id"]
    sim.tenant(TENANT).delete_user(victim)
    changes, _ = _delta_round(client, delta_link)
    assert {"id": victim, "@removed": {"reason": "changed"}} in changes

    sim.faults.add(Fault("gone", path=r"^/v1\.0/users/delta", tenant=TENANT))
    with pytest.raises(GraphResyncRequired) as info:
        client.get(delta_link)
    assert info.value.status == 410
    location = info.value.location
    assert location and location.startswith(f"{sim.base_url}/v1.0/users/delta")
    assert "$deltatoken" not in str(info.value)


# $batch


def test_batch_chunks_by_twenty_and_correlates_by_id(sim: GraphSimulator) -> None:
    client, waits = make_client(sim)
    user_ids = list(sim.tenant(TENANT).users)
    requests = [{"id": f"u{n}", "method": "GET", "url": f"/users/{uid}?$select=id"}
                for n, uid in enumerate(user_ids)]
    mark = len(sim.requests)
    results = client.batch(requests)
    assert len(served_since(sim, mark, "/$batch")) == 2  # 20 + 5
    assert {key: r.body["id"] for key, r in results.items()} == {
        f"u{n}": uid for n, uid in enumerate(user_ids)}
    assert all(r.status == 200 for r in results.values())
    assert waits == []


def test_batch_retries_only_throttled_items_after_the_largest_retry_after(
    sim: GraphSimulator,
) -> None:
    client, waits = make_client(sim)
    uid = next(iter(sim.tenant(TENANT).users))
    url = f"/users/{uid}?$select=id"
    requests = [{"id": str(n), "method": "GET", "url": url} for n in range(4)]
    requests.append({"id": "after", "method": "GET", "url": "/subscribedSkus", "dependsOn": ["2"]})
    sim.faults.add(Fault("batch_item_status", path="/users/", ids=["1"], retry_after="1"))
    sim.faults.add(Fault("batch_item_status", path="/users/", ids=["2"], retry_after="0.25"))
    mark = len(sim.requests)
    results = client.batch(requests)
    assert waits == [1.0]
    assert {key: r.status for key, r in results.items()} == {
        "0": 200, "1": 200, "2": 200, "3": 200, "after": 200}
    assert len(served_since(sim, mark, "/$batch")) == 2
    assert client.stats.throttled == 2


def test_batch_surfaces_failed_dependencies(sim: GraphSimulator) -> None:
    client, waits = make_client(sim)
    results = client.batch([
        {"id": "missing", "method": "GET", "url": "/users/00000000-0000-0000-0000-000000000000"},
        {"id": "dependent", "method": "GET", "url": "/subscribedSkus", "dependsOn": ["missing"]},
    ])
    assert results["missing"].status == 404
    assert results["dependent"].status == 424
    assert waits == []


def test_batch_resends_everything_after_an_outer_424(sim: GraphSimulator) -> None:
    client, waits = make_client(sim)
    sim.faults.add(Fault("status", path=r"/\$batch$", status=424, retry_after="2"))
    results = client.batch([{"id": "skus", "method": "GET", "url": "/subscribedSkus"}])
    assert results["skus"].status == 200
    assert waits == [2.0]


def test_batch_refuses_what_graph_would_reject_whole() -> None:
    client = GraphClient(GraphConfig(tenant_id="t", client_id="c", client_secret="s",
                                     authority_url="https://127.0.0.1:9/t"))
    with pytest.raises(ValueError, match="duplicate"):
        client.batch([{"id": "a", "method": "GET", "url": "/x"},
                      {"id": "A", "method": "GET", "url": "/y"}])
    spread = [{"id": str(n), "method": "GET", "url": "/x"} for n in range(21)]
    spread[20]["dependsOn"] = ["0"]
    with pytest.raises(ValueError, match="another chunk"):
        client.batch(spread)


# Reports


def test_a_report_download_follows_the_redirect_without_the_token(sim: GraphSimulator) -> None:
    client, _ = make_client(sim)
    mark = len(sim.requests)
    text = client.download_report("/v1.0/reports/getMailboxUsageDetail(period='D7')")
    assert text.startswith("Report Refresh Date,User Principal Name,")
    assert len(text.splitlines()) > 1
    redirect, download = served_since(sim, mark)[-2:]
    assert redirect.status == 302 and redirect.headers["authorization"].startswith("Bearer")
    assert download.path.startswith("/data/download/") and download.status == 200
    assert "authorization" not in download.headers


def test_it_refuses_to_send_the_token_to_another_host(sim: GraphSimulator) -> None:
    client, _ = make_client(sim)
    with pytest.raises(ValueError, match="outside"):
        client.get("https://evil.example/v1.0/users")


def test_config_repr_hides_the_secret() -> None:
    config = GraphConfig(tenant_id="t", client_id="c", client_secret="hush")
    assert "hush" not in repr(config)
    assert config.authority == "https://login.microsoftonline.com/t"
