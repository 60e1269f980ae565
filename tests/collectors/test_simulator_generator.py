"""SimTenant: determinism for a seed, realistic composition, mutators, scale."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from collectors.simulator import SimTenant
from collectors.simulator.clock import DAY_US, to_us

ANCHOR = datetime(2025, 3, 1, tzinfo=UTC)
TENANT = "3c4d5e6f-7a8b-4c9d-8e0f-000000000071"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
REAL_SKUS = {
    "ENTERPRISEPACK": "6fd2c87f-b296-42f0-b197-1e91e994b900",
    "SPE_E5": "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
    "EXCHANGESTANDARD": "4b9405b0-7788-4568-add1-99614e613b69",
    "AAD_PREMIUM": "078d2b04-f1bd-4111-bbd4-b4b1b354cef4",
    "POWER_BI_PRO": "f8a1db68-be16-40ed-86d5-cb42ce701560",
}


def _tenant(tenant_id: str = TENANT, seed: int = 1, users: int = 300, **kw: object) -> SimTenant:
    return SimTenant(tenant_id, "c", "s", users=users, signins=2000, seed=seed, anchor=ANCHOR, **kw)


def _signins(tenant: SimTenant) -> list[dict[str, object]]:
    now = to_us(ANCHOR)
    return list(tenant.signins.iter_all(now - 30 * DAY_US, now, beta=True))


def test_the_same_seed_gives_the_same_tenant() -> None:
    first, second = _tenant(), _tenant()
    assert list(first.users.values()) == list(second.users.values())
    assert first.groups == second.groups and first.issues == second.issues
    assert _signins(first) == _signins(second)


def test_seeds_and_tenants_give_different_ids() -> None:
    base = _tenant()
    reseeded = _tenant(seed=2)
    other = _tenant("3c4d5e6f-7a8b-4c9d-8e0f-000000000072")
    assert not set(base.users) & set(reseeded.users)
    assert not set(base.users) & set(other.users)
    assert not {s["id"] for s in _signins(base)} & {s["id"] for s in _signins(other)}


def test_ids_are_guid_shaped_and_unique() -> None:
    tenant = _tenant()
    signins = _signins(tenant)
    assert all(GUID.match(i) for i in tenant.users)
    assert all(GUID.match(str(s["id"])) for s in signins)
    assert len({s["id"] for s in signins}) == len(signins) == 2000


def test_the_population_is_realistic() -> None:
    tenant = _tenant(users=600)
    users = list(tenant.users.values())
    assert any(re.search(r"[\u4e00-\u9fff]", u["displayName"]) for u in users)
    assert any(re.fullmatch(r"[A-Za-z]+ [A-Za-z]+", u["displayName"]) for u in users)
    assert all(re.fullmatch(r"[a-z0-9._#A-Z-]+@[a-z0-9.]+", u["userPrincipalName"]) for u in users)
    guests = [u for u in users if u["userType"] == "Guest"]
    assert guests and all("#EXT#@" in u["userPrincipalName"] for u in guests)
    assert any(not u["accountEnabled"] for u in users)
    kinds = Counter(m["kind"] for m in tenant.meta.values())
    assert kinds["service"] and kinds["room"] and kinds["leaver"]
    assert any(tenant.sign_in_activity(u["id"]) is None for u in users)
    assert any(not u["assignedLicenses"] for u in users if u["userType"] == "Member")
    skus = {s["skuPartNumber"]: s for s in tenant.subscribed_skus()}
    for part, sku_id in REAL_SKUS.items():
        assert skus[part]["skuId"] == sku_id
    assert {u["department"] for u in users} > {None}


def test_non_premium_tenants_have_no_entra_premium_licences() -> None:
    tenant = _tenant(premium=False)
    assigned = {lic["skuId"] for u in tenant.users.values() for lic in u["assignedLicenses"]}
    assert not assigned & {REAL_SKUS["AAD_PREMIUM"], REAL_SKUS["SPE_E5"]}


def test_mutators_feed_the_change_log_and_consumed_units() -> None:
    tenant = _tenant(users=40)
    e3 = REAL_SKUS["ENTERPRISEPACK"]
    before = tenant.consumed_units().get(e3, 0)
    user = tenant.add_user(displayName="新人 花子", assignedLicenses=[{"skuId": e3, "disabledPlans": []}])
    assert tenant.consumed_units()[e3] == before + 1
    tenant.update_user(user["id"], jobTitle="主任")
    tenant.update_user(user["id"], jobTitle="主任")  # no change, no event
    other = next(iter(tenant.users))
    tenant.update_user(other, jobTitle="課長")
    tenant.delete_user(other)
    assert tenant.changes_since(0) == [(user["id"], "add", frozenset()),
                                       (other, "changed", frozenset())]
    tenant.delete_user(other, permanent=True)
    assert tenant.changes_since(0)[-1] == (other, "deleted", frozenset())
    with pytest.raises(KeyError):
        tenant.delete_user(other)


def test_a_hundred_thousand_users_generate_quickly() -> None:
    started = time.perf_counter()
    tenant = SimTenant("3c4d5e6f-7a8b-4c9d-8e0f-000000000079", "c", "s", users=100_000,
                       signins=1_000_000, anchor=ANCHOR)
    elapsed = time.perf_counter() - started
    assert len(tenant.users) == 100_000
    assert len({u["userPrincipalName"] for u in tenant.users.values()}) == 100_000
    assert elapsed < 30  # a few seconds on a developer machine; this CI box is ~3x slower
