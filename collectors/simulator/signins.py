"""The sign-in log as an indexable stream: sign-in n is a pure function of (tenant, seed, n).

Three sorted sources are merged on the fly:
- the uniform stream: `count - episodes` sign-ins spread evenly over the last `days` days and
  continuing at the same rate after the anchor, so a live demo keeps receiving sign-ins;
- episodes: one per period, each a password-spray burst (one IP, many accounts, 50126 within
  minutes), a brute-force burst (one account, 12 failures from one IP within minutes, the
  last two locked out: 50053) and an impossible-travel pair (same user, Japan then far away
  within an hour);
- explicit sign-ins added by tests (`SimTenant.add_signins`).
Finding the first sign-in at or after an instant is O(1) for the generated sources and
O(log n) for the explicit list, and nothing but the explicit list is held in memory.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from . import data
from .clock import DAY_US, US, iso, parse_iso, to_us
from .ids import guid_from_int, key64, mix64

if TYPE_CHECKING:
    from .tenant import SimTenant

Place = tuple[str, str, str, float, float, str]
BETA_ONLY = ("userAgent", "homeTenantId", "resourceTenantId", "authenticationRequirement",
             "authenticationDetails", "authenticationMethodsUsed", "signInEventTypes",
             "userType", "mfaDetail", "tokenIssuerType", "tokenIssuerName",
             "processingTimeInMilliseconds", "originalRequestId", "uniqueTokenIdentifier",
             "signInIdentifier", "crossTenantAccessType", "flaggedForReview",
             "authenticationProtocol", "incomingTokenType", "clientCredentialType",
             "homeTenantName", "isTenantRestricted",
             "servicePrincipalId", "autonomousSystemNumber", "authenticationProcessingDetails",
             "networkLocationDetails", "authenticationRequirementPolicies",
             "sessionLifetimePolicies")
_SPRAY_SIZE = 20
_BRUTE_SIZE = 12
_NO_GEO: dict[str, Any] = {}


class SignInStream:
    def __init__(self, tenant: SimTenant, count: int, days: int) -> None:
        self.tenant_id = tenant.tenant_id
        self.key = key64(tenant.tenant_id, tenant.seed, "signins")
        self.window = days * DAY_US
        self.epoch = tenant.anchor_us - self.window
        recent = tenant.anchor_us - 10 * DAY_US
        self.pool = [self._entry(tenant, u) for u in tenant.users.values()
                     if (tenant.meta[u["id"]]["last_interactive"] or 0) >= recent]
        if not self.pool:
            self.pool = [self._entry(tenant, u) for u in tenant.users.values()]
        self.disabled = [self._entry(tenant, u) for u in tenant.users.values()
                         if not u["accountEnabled"]] or self.pool
        self.spray = min(_SPRAY_SIZE, len(self.pool))
        self.episode_size = self.spray + _BRUTE_SIZE + 2
        self.episodes = max(1, days // 7)
        if not self.pool or count < 3 * self.episodes * self.episode_size or self.spray < 3:
            self.episodes = 0
        self.uniform = max(0, count - self.episodes * self.episode_size) if self.pool else 0
        self.step = self.window // self.uniform if self.uniform else 0
        self.period = self.window // self.episodes if self.episodes else 0
        self._extra: list[tuple[int, int, dict[str, Any]]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()

    @staticmethod
    def _entry(tenant: SimTenant, user: dict[str, Any]) -> tuple[str, str, str, str, Place]:
        home = tenant.meta[user["id"]]["home"]
        place = data.JP_PLACES[home] if home >= 0 else data.HOME_PLACES[-1 - home]
        return (user["id"], user["userPrincipalName"], user["displayName"] or "",
                (user["userType"] or "Member").lower(), place)

    # Uniform stream

    def uniform_time(self, n: int) -> int:
        return self.epoch + (n * self.window) // self.uniform + mix64(self.key ^ n) % self.step

    def uniform_first(self, t: int) -> int:
        if not self.uniform:
            return 0
        n = max(0, ((t - self.epoch) * self.uniform) // self.window - 1)
        while self.uniform_time(n) < t:
            n += 1
        return n

    def uniform_item(self, n: int, beta: bool, at: int | None = None) -> dict[str, Any]:
        h = mix64(self.key ^ (n << 1) ^ 0x51)
        roll = h % 10000
        user = self.pool[(h >> 14) % len(self.pool)]
        place: Place | None = user[4]
        client = data.MODERN_CLIENTS[(h >> 40) & 1]
        code, risk, mfa, ca = 0, None, roll < 6000, "success" if roll < 6000 else "notApplied"
        app = data.APPS[(h >> 44) % len(data.APPS)]
        if 7700 <= roll < 8100:
            client, app = data.LEGACY_CLIENTS[(h >> 40) % len(data.LEGACY_CLIENTS)], data.EXCHANGE_APP
            code = (0 if client == "Exchange ActiveSync" and (h >> 50) & 1
                    else (53003 if (h >> 51) & 1 else 50126))
            ca = "failure" if code == 53003 else "notApplied"
        elif roll < 8700 and roll >= 8100:
            code = 50126
        elif 8700 <= roll < 8900:
            code = 50053
        elif 8900 <= roll < 9300:
            code, ca = 50076, "failure"
        elif 9300 <= roll < 9500:
            code, ca, place = 53003, "failure", data.UNUSUAL_PLACES[(h >> 46) % len(data.UNUSUAL_PLACES)]
        elif 9500 <= roll < 9600:
            user, code = self.disabled[(h >> 14) % len(self.disabled)], 50057
        elif 9600 <= roll < 9800:
            place = data.UNUSUAL_PLACES[(h >> 46) % len(data.UNUSUAL_PLACES)]
            risk = ("high" if (h >> 52) & 1 else "medium",
                    "anonymizedIPAddress" if (h >> 53) & 1 else "unfamiliarFeatures")
            code = 50126 if (h >> 54) & 1 else 0
        elif 9800 <= roll < 9950:
            place = data.UNUSUAL_PLACES[(h >> 46) % len(data.UNUSUAL_PLACES)]
        elif roll >= 9950:
            place = None
        return self._build(h, self.uniform_time(n) if at is None else at, user, place, client,
                           app, code, ca, mfa, risk, beta, fraction=True)

    # Episodes

    # Bounded, and the stream lives as long as the process (B019).
    @lru_cache(maxsize=256)  # noqa: B019 — per (stream, e): a page touches one or two episodes
    def episode(self, e: int) -> list[tuple[int, str, int]]:
        """Sorted (time, kind, index) of episode e."""
        h = mix64(self.key ^ (e << 8) ^ 0xE)
        base = self.epoch + e * self.period
        half = self.period // 2
        start = base + h % max(1, half - 3600 * US)
        events = []
        for j in range(self.spray):
            start += (5 + mix64(h ^ j) % 15) * US
            events.append((start - start % US, "spray", j))
        # The brute force starts an hour after the spray: the two never share a window.
        start += 3600 * US
        for j in range(_BRUTE_SIZE):
            start += (10 + mix64(h ^ (j + 0x100)) % 30) * US
            events.append((start - start % US, "brute", j))
        first = base + half + mix64(h ^ 0xA) % max(1, half - 2 * 3600 * US)
        first -= first % US
        events.append((first, "travel", 0))
        events.append((first + (35 + mix64(h ^ 0xB) % 20) * 60 * US, "travel", 1))
        return sorted(events)  # a late brute force may run into the travel pair

    def episode_time(self, m: int) -> int:
        return self.episode(m // self.episode_size)[m % self.episode_size][0]

    def episode_first(self, t: int) -> int:
        if not self.episodes:
            return 0
        e = max(0, (t - self.epoch) // self.period)
        events = self.episode(e)
        j = bisect.bisect_left(events, (t, "", -1))
        return e * self.episode_size + j

    def episode_item(self, m: int, beta: bool) -> dict[str, Any]:
        e = m // self.episode_size
        at, kind, j = self.episode(e)[m % self.episode_size]
        h = mix64(self.key ^ (e << 8) ^ 0xE)
        if kind == "spray":
            offset = mix64(h ^ 0x5) % len(self.pool)
            user = self.pool[(offset + j * 7919) % len(self.pool)]
            prefix = data.SPRAY_IPS[h & 1]
            place = data.UNUSUAL_PLACES[(h >> 3) % len(data.UNUSUAL_PLACES)]
            place = (*place[:5], prefix.rstrip(".") + f".{1 + (h >> 9) % 250}")
            code = 50053 if j % 9 == 8 else 50126
            return self._build(mix64(h ^ (j + 1)), at, user, place, "Browser", data.APPS[3],
                               code, "notApplied", False, None, beta, exact_ip=True)
        if kind == "brute":
            user = self.pool[(h >> 23) % len(self.pool)]
            place = data.UNUSUAL_PLACES[(h >> 29) % len(data.UNUSUAL_PLACES)]
            place = (*place[:5], data.BRUTE_IPS + f".{1 + (h >> 35) % 250}")
            code = 50053 if j >= _BRUTE_SIZE - 2 else 50126
            return self._build(mix64(h ^ (j + 0x200)), at, user, place, "Browser", data.APPS[3],
                               code, "notApplied", False, None, beta, exact_ip=True)
        user = self.pool[(h >> 17) % len(self.pool)]
        if j == 0:
            place = data.JP_PLACES[0]
            return self._build(mix64(h ^ 0x71), at, user, place, "Browser", data.APPS[1], 0,
                               "success", True, None, beta)
        place = data.TRAVEL_FAR[(h >> 5) % len(data.TRAVEL_FAR)]
        return self._build(mix64(h ^ 0x72), at, user, place, "Browser", data.APPS[1], 0,
                           "success", True, ("medium", "unlikelyTravel"), beta, aggregated=True)

    # Explicit sign-ins

    def add(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        by_id = {entry[0]: entry for entry in self.pool + self.disabled}
        by_upn = {entry[1].lower(): entry for entry in self.pool + self.disabled}
        added = []
        with self._lock:
            for given in items:
                seq = next(self._seq)
                user = by_id.get(str(given.get("userId", "")).lower()) or by_upn.get(
                    str(given.get("userPrincipalName", "")).lower()) or (
                    self.pool[0] if self.pool else None)
                if "createdDateTime" not in given:
                    given = {**given, "createdDateTime": iso(to_us(datetime.now(UTC)))}
                at = parse_iso(given["createdDateTime"])
                item = self._build(mix64(self.key ^ 0xADD ^ (seq << 20)), at, user,
                                   user[4] if user else None, "Browser", data.APPS[0], 0,
                                   "success", True, None, True)
                item["riskEventTypes"] = []
                # The built item shares cached sub-objects (location, device) with the stream:
                # merging into them in place would move every sign-in of that place.
                item = copy.deepcopy(item)
                _merge(item, copy.deepcopy(given))
                self._extra.insert(bisect.bisect(self._extra, (at, seq)), (at, seq, item))
                added.append(copy.deepcopy(item))
        return added

    @staticmethod
    def time_of(item: dict[str, Any]) -> int:
        return parse_iso(item["createdDateTime"])

    # Listing

    def cursor(self, lo: int, hi: int, desc: bool) -> dict[str, Any]:
        """Positions of the three sources for sign-ins with lo <= createdDateTime <= hi."""
        with self._lock:
            extra = list(self._extra)
        firsts: tuple[Callable[[int], int], ...] = (self.uniform_first, self.episode_first,
                  lambda t: bisect.bisect_left(extra, (t, -1)))
        bounds = []
        for index, first in enumerate(firsts):
            enabled = (self.uniform, self.episodes, 1)[index]
            start, stop = (first(lo), first(hi + 1)) if enabled else (0, 0)
            bounds.append([stop - 1, start - 1] if desc else [start, stop])
        return {"desc": desc, "bounds": bounds, "extra": extra}

    def take(self, cursor: dict[str, Any], beta: bool, limit: int, max_scan: int,
             keep: Callable[[dict[str, Any]], bool] | None) -> tuple[list[dict[str, Any]], bool]:
        """Up to `limit` matching items from the cursor (advanced in place); True when done."""
        desc, bounds, extra = cursor["desc"], cursor["bounds"], cursor["extra"]
        times: list[Callable[[int], int]] = [self.uniform_time, self.episode_time,
                                             lambda i: extra[i][0]]
        step = -1 if desc else 1
        out: list[dict[str, Any]] = []
        scanned = 0
        while len(out) < limit and scanned < max_scan:
            heads = [times[s](pos) if (pos > end if desc else pos < end) else None
                     for s, (pos, end) in enumerate(bounds)]
            live = [s for s in range(3) if heads[s] is not None]
            if not live:
                return out, True
            pick = max if desc else min
            best = pick(live, key=lambda s: heads[s])  # type: ignore[arg-type,return-value]
            others = [heads[s] for s in live if s != best]
            fence = pick(others) if others else None  # type: ignore[type-var]
            # Run the winning source until another source's head comes first: most pages are
            # a single source, and this inner loop is the hot path.
            pos, end = bounds[best]
            time_of = times[best]
            at = heads[best]
            while True:
                item = self._item(best, pos, beta, extra, at)
                pos += step
                scanned += 1
                if keep is None or keep(item):
                    out.append(item)
                if len(out) >= limit or scanned >= max_scan or (pos <= end if desc else pos >= end):
                    break
                at = time_of(pos)
                if fence is not None and (at < fence if desc else at > fence):
                    break
            bounds[best][0] = pos
        done = all((pos <= end) if desc else (pos >= end) for pos, end in bounds)
        return out, done

    def _item(self, source: int, pos: int, beta: bool,
              extra: list[tuple[int, int, dict[str, Any]]], at: int | None) -> dict[str, Any]:
        if source == 0:
            return self.uniform_item(pos, beta, at)
        if source == 1:
            return self.episode_item(pos, beta)
        item = extra[pos][2]
        if beta:
            return {k: v for k, v in item.items() if k != "riskEventTypes"}
        return {k: v for k, v in item.items() if k not in BETA_ONLY}

    def iter_all(self, lo: int, hi: int, beta: bool = False) -> Iterator[dict[str, Any]]:
        """Every sign-in in [lo, hi], oldest first (for tests and tooling)."""
        cursor = self.cursor(lo, hi, desc=False)
        while True:
            items, done = self.take(cursor, beta, 1000, 1000, None)
            yield from items
            if done:
                return

    # Item construction

    def _build(self, h: int, at: int, user: Any, place: Place | None, client: str,
               app: tuple[str, str, str, str], code: int, ca: str, mfa: bool,
               risk: tuple[str, str] | None, beta: bool, fraction: bool = False,
               exact_ip: bool = False, aggregated: bool = False) -> dict[str, Any]:
        # Hot path (a 1,000-item page builds 1,000 of these): constant sub-objects come from
        # caches and are shared between items; mutate faults deep-copy before changing them.
        user_id, upn, display, user_type, _ = user
        if place is None:
            location = _NO_LOCATION
            ip = f"2001:db8:{(h >> 8) & 0xFFFF:x}::{h & 0xFFFF:x}"
        else:
            location = _location(place, (h >> 58) % 50 == 0)
            ip = place[5] if exact_ip else f"{place[5]}.{(h >> 24) & 0xFF}.{1 + (h >> 32) % 254}"
        device = (h >> 36) % len(data.DEVICES)
        level, event = risk or ("none", None)
        events = [event] if event else _EMPTY
        created = iso(at, fraction=fraction)
        item: dict[str, Any] = {
            "id": guid_from_int(h ^ 0x1D), "createdDateTime": created,
            "userDisplayName": display, "userPrincipalName": upn, "userId": user_id,
            "appId": app[0], "appDisplayName": app[1], "ipAddress": ip, "clientAppUsed": client,
            "correlationId": guid_from_int(h ^ 0xC0), "conditionalAccessStatus": ca,
            "isInteractive": True, "riskDetail": "none",
            "riskLevelAggregated": level if aggregated or risk else "none",
            "riskLevelDuringSignIn": "none" if aggregated else level,
            "riskState": "atRisk" if risk else "none",
            "riskEventTypes": events, "riskEventTypes_v2": events,
            "resourceDisplayName": app[3], "resourceId": app[2], "status": _status(code),
            "deviceDetail": _device(device), "location": location,
            "appliedConditionalAccessPolicies": _policies(ca, code),
        }
        if not beta:
            return item
        del item["riskEventTypes"]
        os_name = data.DEVICES[device][0]
        item.update({
            "userAgent": data.USER_AGENTS.get(os_name, ""),
            "homeTenantId": self.tenant_id if user_type == "member" else guid_from_int(h ^ 0x7E),
            "resourceTenantId": self.tenant_id, "homeTenantName": "", "isTenantRestricted": False,
            "authenticationRequirement": "multiFactorAuthentication" if mfa or code == 50076
            else "singleFactorAuthentication",
            "authenticationDetails": _auth_details(created, code, mfa),
            "authenticationMethodsUsed": _methods(code, mfa),
            "signInEventTypes": _INTERACTIVE, "userType": user_type,
            "tokenIssuerType": "AzureAD", "tokenIssuerName": "",
            "processingTimeInMilliseconds": 50 + (h >> 20) % 900,
            "originalRequestId": item["id"], "uniqueTokenIdentifier": guid_from_int(h ^ 0x0F),
            "signInIdentifier": upn, "crossTenantAccessType": "none", "flaggedForReview": False,
            "authenticationProtocol": "none", "incomingTokenType": "none",
            "clientCredentialType": "none", "servicePrincipalId": "",
            "autonomousSystemNumber": 2500 + (h >> 28) % 60000,
            "authenticationProcessingDetails": _EMPTY, "networkLocationDetails": _EMPTY,
            "authenticationRequirementPolicies": _EMPTY, "sessionLifetimePolicies": _EMPTY,
            "mfaDetail": _mfa_detail(mfa and code == 0),
        })
        return item


_EMPTY: list[Any] = []
_INTERACTIVE = ["interactiveUser"]
_NO_LOCATION = {"city": None, "state": None, "countryOrRegion": None, "geoCoordinates": _NO_GEO}


@lru_cache(maxsize=128)
def _location(place: Place, no_geo: bool) -> dict[str, Any]:
    city, state, country, lat, lon, _ = place
    geo = _NO_GEO if no_geo else {"altitude": None, "latitude": lat, "longitude": lon}
    return {"city": city, "state": state, "countryOrRegion": country, "geoCoordinates": geo}


@lru_cache(maxsize=16)
def _device(index: int) -> dict[str, Any]:
    os_name, browser = data.DEVICES[index]
    return {"deviceId": "", "displayName": None, "operatingSystem": os_name, "browser": browser,
            "isCompliant": None, "isManaged": None, "trustType": None}


@lru_cache(maxsize=16)
def _status(code: int) -> dict[str, Any]:
    failure = data.FAILURES.get(code)
    return {"errorCode": code, "failureReason": failure[0] if failure else None,
            "additionalDetails": failure[1] if failure else None}


@lru_cache(maxsize=32)
def _policies(ca: str, code: int) -> list[dict[str, Any]]:
    (mfa_id, mfa_name), (legacy_id, legacy_name) = data.CA_POLICIES
    return [
        {"id": mfa_id, "displayName": mfa_name, "enforcedGrantControls": ["Mfa"],
         "enforcedSessionControls": [],
         "result": "success" if ca == "success" else "failure" if code == 50076 else "notApplied"},
        {"id": legacy_id, "displayName": legacy_name, "enforcedGrantControls": ["Block"],
         "enforcedSessionControls": [], "result": "failure" if code == 53003 else "notApplied"},
    ]


def _auth_details(created: str, code: int, mfa: bool) -> list[dict[str, Any]]:
    ok = code not in (50126, 50053, 50057)
    steps = [{"authenticationStepDateTime": created, "authenticationMethod": "Password",
              "authenticationMethodDetail": "Password in the cloud", "succeeded": ok,
              "authenticationStepResultDetail": "Correct password" if ok else
              "Invalid username or password or Invalid on-premise username or password.",
              "authenticationStepRequirement": "Primary authentication"}]
    if mfa and code == 0:
        steps.append({"authenticationStepDateTime": created,
                      "authenticationMethod": "Mobile app notification",
                      "authenticationMethodDetail": None, "succeeded": True,
                      "authenticationStepResultDetail": "MFA successfully completed",
                      "authenticationStepRequirement": "Multifactor authentication"})
    return steps


@lru_cache(maxsize=32)
def _methods(code: int, mfa: bool) -> list[str]:
    ok = code not in (50126, 50053, 50057)
    return (["Password"] if ok else []) + (["Mobile app notification"] if mfa and code == 0 else [])


@lru_cache(maxsize=2)
def _mfa_detail(used: bool) -> dict[str, Any]:
    return {"authMethod": "Mobile app notification" if used else None, "authDetail": None}


def _merge(target: dict[str, Any], given: dict[str, Any]) -> None:
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict) and value:
            _merge(target[key], value)
        else:
            target[key] = value
