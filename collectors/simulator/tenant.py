"""SimTenant: a seeded, deterministic Microsoft 365 tenant with mutators that feed users delta."""

from __future__ import annotations

import bisect
import copy
import random
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from . import data
from .clock import DAY_US, iso, to_us
from .ids import guid, guid_from_int, key64, mix64
from .orgdata import build_groups, build_health
from .permissions import ALL as ALL_PERMISSIONS
from .signins import SignInStream

USER_PROPERTIES = {
    "id", "businessPhones", "displayName", "givenName", "surname", "jobTitle", "mail",
    "mobilePhone", "officeLocation", "preferredLanguage", "userPrincipalName", "accountEnabled",
    "userType", "createdDateTime", "assignedLicenses", "department", "companyName",
    "usageLocation", "city", "country", "mailNickname", "employeeId", "onPremisesSyncEnabled",
    "proxyAddresses", "creationType", "externalUserState", "lastPasswordChangeDateTime",
    "otherMails", "deletedDateTime", "ageGroup", "state", "streetAddress", "postalCode",
    "faxNumber", "employeeType", "employeeHireDate", "identities", "imAddresses",
    "onPremisesImmutableId", "onPremisesLastSyncDateTime", "onPremisesSamAccountName",
    "passwordPolicies", "showInAddressList", "securityIdentifier", "assignedPlans",
    "provisionedPlans", "licenseAssignmentStates", "signInActivity", "manager",
}
# Graph returns these 501 when $select-ed on the collection (single GET only).
SINGLE_ONLY_PROPERTIES = {
    "aboutMe", "birthday", "hireDate", "interests", "mySite", "pastProjects", "preferredName",
    "responsibilities", "schools", "skills", "mailboxSettings",
}
DEFAULT_PROPERTIES = [
    "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
    "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id",
]
_NONE_STYLES = ("", None, "0001-01-01T00:00:00Z")


class SimTenant:
    """One tenant's live data. Everything is derived from (tenant_id, seed) unless mutated."""

    def __init__(self, tenant_id: str, client_id: str, client_secret: str, users: int = 50,
                 signins: int = 2000, days: int = 30, seed: int = 1, premium: bool = True,
                 domain: str | None = None, display_name: str | None = None,
                 anchor: datetime | None = None,
                 permissions: Iterable[str] = ALL_PERMISSIONS) -> None:
        self.tenant_id = tenant_id.lower()
        self.client_id = client_id
        self.client_secret = client_secret
        self.seed = seed
        self.premium = premium
        # The application permissions an administrator consented to for the app (a set tests
        # may change; tokens issued afterwards carry the change).
        self.permissions = set(permissions)
        self.days = days
        self.display_name = display_name or data.COMPANY_NAMES[seed % len(data.COMPANY_NAMES)]
        slug = "".join(ch for ch in self.display_name.lower() if ch.isalnum()) or "tenant"
        self.domain = (domain or f"{slug}{self.tenant_id[:4]}.onmicrosoft.com").lower()
        # The sign-in stream and relative dates hang off this instant; pass it for repeatable output.
        self.anchor_us = to_us(anchor or datetime.now(UTC).replace(second=0, microsecond=0))
        self.display_concealed_names = False
        self.lock = threading.RLock()
        self.users: dict[str, dict[str, Any]] = {}
        self.deleted_users: dict[str, dict[str, Any]] = {}
        self.meta: dict[str, dict[str, Any]] = {}
        self._upns: set[str] = set()
        self._upn_counts: dict[str, int] = {}
        self._version = 0
        self._added = 0
        self._events: list[tuple[int, str, str, frozenset[str]]] = []
        self._prepaid: dict[str, dict[str, int]] = {}
        self._user_key = key64(self.tenant_id, seed, "user")
        for index in range(users):
            user, meta = self._generate_user(index)
            self.users[user["id"]] = user
            self.meta[user["id"]] = meta
        self._init_prepaid()
        self.groups, self.teams = build_groups(self)
        self.health, self.issues = build_health(self)
        self.signins = SignInStream(self, signins, days)

    def __repr__(self) -> str:
        return f"SimTenant({self.tenant_id!r}, users={len(self.users)})"

    # Generation

    def _unique_upn(self, local: str) -> str:
        # A counter per local part: name pools are small, so probing would be quadratic.
        n = self._upn_counts.get(local, 0)
        while True:
            n += 1
            upn = f"{local}{n if n > 1 else ''}@{self.domain}"
            if upn not in self._upns:
                break
        self._upn_counts[local] = n
        self._upns.add(upn)
        return upn

    def _generate_user(self, index: int) -> tuple[dict[str, Any], dict[str, Any]]:
        # Keyed by a per-tenant base and the index (hashlib per user made 100k users slow).
        key = mix64(self._user_key ^ index)
        r = random.Random(key)
        roll = r.random()
        kind = ("admin" if index == 0 else "guest" if roll < 0.08 else "service" if roll < 0.11
                else "room" if roll < 0.13 else "leaver" if roll < 0.18 else "member")
        created = self.anchor_us - int(r.uniform(30, 1800) * DAY_US)
        japanese = r.random() < 0.8
        if japanese:
            (fam_k, fam_r), (giv_k, giv_r) = r.choice(data.JP_FAMILY), r.choice(data.JP_GIVEN)
            given, surname, display, local = giv_k, fam_k, f"{fam_k} {giv_k}", f"{giv_r}.{fam_r}"
        else:
            given, surname = r.choice(data.EN_GIVEN), r.choice(data.EN_FAMILY)
            display, local = f"{given} {surname}", f"{given}.{surname}".lower()
        user: dict[str, Any] = {
            "id": guid_from_int((key << 64) | mix64(key)),
            "businessPhones": [f"+81 3-{r.randint(1000, 9999)}-{r.randint(1000, 9999)}"],
            "displayName": display, "givenName": given, "surname": surname,
            "jobTitle": r.choice(data.JOB_TITLES), "mail": None,
            "mobilePhone": f"+81 90-{r.randint(1000, 9999)}-{r.randint(1000, 9999)}"
            if r.random() < 0.6 else None,
            "officeLocation": r.choice(data.OFFICES),
            "preferredLanguage": "ja-JP" if japanese else "en-US",
            "userPrincipalName": "", "accountEnabled": True, "userType": "Member",
            "createdDateTime": iso(created), "assignedLicenses": [],
            "department": r.choice(data.DEPARTMENTS), "companyName": self.display_name,
            "usageLocation": "JP", "city": None, "country": "Japan", "mailNickname": "",
            "employeeId": f"{100000 + index}", "onPremisesSyncEnabled": True if r.random() < 0.4 else None,
            "proxyAddresses": [], "creationType": None, "externalUserState": None,
            "lastPasswordChangeDateTime": iso(created + int(r.uniform(0, 20) * DAY_US)),
        }
        if kind == "admin":
            user.update(displayName="管理者 システム", givenName="システム", surname="管理者",
                        jobTitle="IT 管理者", department="情報システム部")
            local = "admin"
        elif kind == "guest":
            domain = r.choice(data.GUEST_DOMAINS)
            external = f"{local}_{domain}"
            user.update(userType="Guest", creationType="Invitation", jobTitle=None,
                        department=None, businessPhones=[], employeeId=None, usageLocation=None,
                        onPremisesSyncEnabled=None, companyName=None, officeLocation=None,
                        externalUserState=r.choice(["Accepted", "Accepted", "PendingAcceptance"]))
            user["mail"] = f"{local}@{domain}"
            user["userPrincipalName"] = self._unique_upn(f"{external}#EXT#")
        elif kind in ("service", "room"):
            display, local = r.choice(data.SERVICE_ACCOUNTS if kind == "service" else data.ROOMS)
            user.update(displayName=display, givenName=None, surname=None, jobTitle=None,
                        department=None, mobilePhone=None, businessPhones=[], employeeId=None,
                        accountEnabled=(kind == "service"))
        elif kind == "leaver":
            user["accountEnabled"] = False
        if not user["userPrincipalName"]:
            user["userPrincipalName"] = self._unique_upn(local)
            user["mail"] = user["userPrincipalName"]
        upn = user["userPrincipalName"]
        user["mailNickname"] = upn.split("@")[0].replace("#EXT#", "")
        if user["mail"]:
            user["proxyAddresses"] = [f"SMTP:{user['mail']}"]
        user["assignedLicenses"] = self._pick_licences(kind, r)
        return user, self._meta_for(kind, user, created, r)

    def _pick_licences(self, kind: str, r: Any) -> list[dict[str, Any]]:
        parts: list[str] = []
        if kind == "admin":
            parts = ["SPE_E5" if self.premium else "ENTERPRISEPACK", "POWER_BI_PRO"]
        elif kind in ("member", "leaver"):
            roll = r.random()
            if roll >= 0.08:
                parts.append("ENTERPRISEPACK" if roll < 0.5 or (not self.premium and roll < 0.68)
                             else "SPE_E5" if roll < 0.68 else "EXCHANGESTANDARD")
                if r.random() < 0.2:
                    parts.append("POWER_BI_PRO")
                if self.premium and parts[0] != "SPE_E5" and r.random() < 0.35:
                    parts.append("AAD_PREMIUM")
                if r.random() < 0.1:
                    parts.append("FLOW_FREE")
            if kind == "leaver" and r.random() < 0.5:
                parts = []
        elif kind == "service" and r.random() < 0.5:
            parts = ["EXCHANGESTANDARD"]
        return [{"disabledPlans": [], "skuId": data.SKUS[p][0]} for p in parts]

    def _meta_for(self, kind: str, user: dict[str, Any], created: int, r: Any) -> dict[str, Any]:
        activity = r.random()
        never = kind in ("room", "service") or activity < 0.05 or (
            kind == "guest" and user["externalUserState"] == "PendingAcceptance")
        if never:
            last = None
        elif kind == "leaver" or activity < 0.15:
            last = self.anchor_us - int(r.uniform(60, 400) * DAY_US)  # stale account
        else:
            last = self.anchor_us - int(r.uniform(0, 3) * DAY_US)
        if never and kind == "member":
            created = self.anchor_us - int(r.uniform(1, 14) * DAY_US)  # a new hire
            user["createdDateTime"] = iso(created)
        last = max(last, created + DAY_US) if last is not None else None
        home = r.randrange(len(data.JP_PLACES)) if user["preferredLanguage"] == "ja-JP" \
            else -1 - r.randrange(len(data.HOME_PLACES))
        return {
            "kind": kind, "home": home, "last_interactive": last,
            "last_noninteractive": (last + int(r.uniform(0, 0.5) * DAY_US)
                                    if last and r.random() < 0.7 else None),
            "last_success": last if last and r.random() < 0.9 else None,
            "none_style": r.randrange(3), "rid": r.getrandbits(64),
            "mailbox": kind in ("admin", "member", "leaver", "room", "service"),
        }

    def _init_prepaid(self) -> None:
        consumed = self.consumed_units()
        for part, (sku_id, _) in data.SKUS.items():
            used = consumed.get(sku_id, 0)
            if not used and part not in ("ENTERPRISEPACK", "FLOW_FREE"):
                continue
            units = {"enabled": used + 5 + used // 10, "lockedOut": 0, "suspended": 0, "warning": 0}
            if part == "FLOW_FREE":
                units["enabled"] = 10000
            elif part == "POWER_BI_PRO":  # an expired trial in its grace period
                units = {"enabled": 0, "lockedOut": 0, "suspended": 0, "warning": used + 3}
            elif part == "EXCHANGESTANDARD":  # over-assigned: "available" goes negative
                units["enabled"] = max(0, used - 1)
            self._prepaid[sku_id] = units

    # Derived views

    def consumed_units(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.lock:
            for user in self.users.values():
                for licence in user.get("assignedLicenses") or []:
                    counts[licence["skuId"]] = counts.get(licence["skuId"], 0) + 1
        return counts

    def subscribed_skus(self) -> list[dict[str, Any]]:
        consumed = self.consumed_units()
        out = []
        for sku_id, units in self._prepaid.items():
            part = data.SKU_PART_BY_ID[sku_id]
            status = "Warning" if units["warning"] and not units["enabled"] else "Enabled"
            out.append({
                "accountName": self.display_name, "accountId": guid(self.tenant_id, "account"),
                "appliesTo": "User", "capabilityStatus": status,
                "consumedUnits": consumed.get(sku_id, 0),
                "id": f"{self.tenant_id}_{sku_id}", "prepaidUnits": dict(units),
                "servicePlans": [{"servicePlanId": plan_id, "servicePlanName": name,
                                  "provisioningStatus": "Success", "appliesTo": "User"}
                                 for plan_id, name in data.SKUS[part][1]],
                "skuId": sku_id, "skuPartNumber": part,
                "subscriptionIds": [guid(self.tenant_id, "subscription", part)],
            })
        return out

    def subscriptions(self) -> list[dict[str, Any]]:
        """companySubscription per SKU (its id is the SKU's subscriptionIds entry): the Power
        BI trial has expired into Warning within days, Exchange renews within the month, the
        rest in months; free SKUs have no lifecycle date."""
        out = []
        for sku_id, units in self._prepaid.items():
            part = data.SKU_PART_BY_ID[sku_id]
            days = {"POWER_BI_PRO": 9, "EXCHANGESTANDARD": 21, "FLOW_FREE": None}.get(part, 200)
            out.append({
                "createdDateTime": iso(self.anchor_us - 400 * DAY_US),
                "commerceSubscriptionId": guid(self.tenant_id, "commerce", part),
                "id": guid(self.tenant_id, "subscription", part),
                "isTrial": part == "POWER_BI_PRO",
                "nextLifecycleDateTime": iso(self.anchor_us + days * DAY_US) if days else None,
                "serviceStatus": [{"appliesTo": "User", "provisioningStatus": "Success",
                                   "servicePlanId": plan_id, "servicePlanName": name}
                                  for plan_id, name in data.SKUS[part][1]],
                "skuId": sku_id, "skuPartNumber": part,
                "status": "Warning" if units["warning"] and not units["enabled"] else "Enabled",
                "totalLicenses": units["enabled"] + units["warning"],
                "ownerId": None, "ownerTenantId": None, "ownerType": None,
            })
        return out

    def sign_in_activity(self, user_id: str) -> dict[str, Any] | None:
        """signInActivity as Graph shows it; None (property omitted) for never-signed-in users."""
        meta = self.meta.get(user_id)
        if not meta or meta["last_interactive"] is None:
            return None
        blank = _NONE_STYLES[meta["none_style"]]
        rid = meta["rid"]

        def stamp(us: int | None, n: int) -> tuple[Any, Any]:
            if us is None:
                return blank, "" if blank is not None else None
            return iso(us), guid_from_int(mix64(rid + n) << 64 | n)

        last, last_id = stamp(meta["last_interactive"], 1)
        non, non_id = stamp(meta["last_noninteractive"], 2)
        ok, ok_id = stamp(meta["last_success"], 3)
        return {"lastSignInDateTime": last, "lastSignInRequestId": last_id,
                "lastNonInteractiveSignInDateTime": non, "lastNonInteractiveSignInRequestId": non_id,
                "lastSuccessfulSignInDateTime": ok, "lastSuccessfulSignInRequestId": ok_id}

    def find_user(self, key: str) -> dict[str, Any] | None:
        """By id or userPrincipalName, case-insensitively (as GET /users/{id|upn})."""
        user = self.users.get(key.lower())
        if user:
            return user
        lowered = key.lower()
        with self.lock:
            return next((u for u in self.users.values()
                         if u["userPrincipalName"].lower() == lowered), None)

    # Mutators (each records an event for users delta)

    def _record(self, user_id: str, kind: str, fields: frozenset[str] = frozenset()) -> None:
        self._version += 1
        self._events.append((self._version, user_id, kind, fields))

    @property
    def version(self) -> int:
        return self._version

    def add_user(self, **fields: Any) -> dict[str, Any]:
        """Create a user from the generator's template (next index) overridden by fields."""
        with self.lock:
            self._added += 1
            index = 1_000_000_000 + self._added
            user, meta = self._generate_user(index)
            if "userPrincipalName" in fields:
                self._upns.discard(user["userPrincipalName"])
            user.update(fields)
            user["id"] = user["id"].lower()
            meta["last_interactive"] = meta["last_noninteractive"] = meta["last_success"] = None
            self.users[user["id"]] = user
            self.meta[user["id"]] = meta
            self._record(user["id"], "add")
            return copy.deepcopy(user)

    def update_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        with self.lock:
            user = self.users[user_id.lower()]
            changed = frozenset(k for k, v in fields.items() if user.get(k, None) != v)
            user.update(fields)
            if changed:
                self._record(user["id"], "update", changed)
            return copy.deepcopy(user)

    def delete_user(self, user_id: str, permanent: bool = False) -> None:
        """Soft delete (restorable, delta reason "changed") or permanent (reason "deleted")."""
        with self.lock:
            user_id = user_id.lower()
            user = self.users.pop(user_id, None)
            if user is not None and not permanent:
                user["deletedDateTime"] = iso(to_us(datetime.now(UTC)))
                self.deleted_users[user_id] = user
                self._record(user_id, "soft")
                return
            if user is None and self.deleted_users.pop(user_id, None) is None:
                raise KeyError(user_id)
            self._record(user_id, "hard")

    def restore_user(self, user_id: str) -> dict[str, Any]:
        with self.lock:
            user = self.deleted_users.pop(user_id.lower())
            user["deletedDateTime"] = None
            self.users[user["id"]] = user
            self._record(user["id"], "add")
            return copy.deepcopy(user)

    def add_signins(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add explicit sign-ins (partial dicts are completed from a generated template)."""
        added = self.signins.add(items)
        with self.lock:
            for item in added:
                meta = self.meta.get(item.get("userId", ""))
                if meta is None:
                    continue
                at = self.signins.time_of(item)
                if item.get("isInteractive", True):
                    meta["last_interactive"] = max(meta["last_interactive"] or 0, at)
                if item["status"]["errorCode"] == 0:
                    meta["last_success"] = max(meta["last_success"] or 0, at)
        return added

    def changes_since(self, version: int) -> list[tuple[str, str, frozenset[str]]]:
        """Collapsed per user: (user_id, "add" | "update" | "changed" | "deleted", fields)."""
        with self.lock:
            start = bisect.bisect_right(self._events, (version, "\uffff"))
            collapsed: dict[str, tuple[str, frozenset[str]]] = {}
            for _, user_id, kind, fields in self._events[start:]:
                previous = collapsed.pop(user_id, None)
                if kind == "update":
                    if previous and previous[0] == "update":
                        fields = previous[1] | fields
                    elif previous and previous[0] == "add":
                        kind, fields = "add", frozenset()
                    collapsed[user_id] = (kind, fields)
                elif kind == "soft":
                    collapsed[user_id] = ("changed", frozenset())
                elif kind == "hard":
                    collapsed[user_id] = ("deleted", frozenset())
                else:
                    collapsed[user_id] = ("add", frozenset())
            return [(user_id, kind, fields) for user_id, (kind, fields) in collapsed.items()]

    def tombstones(self) -> list[tuple[str, str]]:
        """Users removed so far, for the initial delta round: (id, reason)."""
        return [(user_id, kind) for user_id, kind, _ in self.changes_since(0)
                if kind in ("changed", "deleted")]
