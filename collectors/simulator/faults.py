"""Fault injection: make chosen requests fail, stall, or come back damaged."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

KINDS = ("status", "delay", "truncate", "not_json", "gone", "batch_item_status", "mutate")


@dataclass
class Fault:
    """One rule. `path` is a regex searched in the percent-decoded path+query (`$select`,
    not `%24select`); inner `$batch` requests are matched as `/<version>/<url>`.

    kind:
      status            answer `status` instead (429/503/504/403/401/...), with `retry_after`
                        as the Retry-After header when given, `code`/`message` in the body;
                        401 also revokes the presented access token.
      delay             sleep `seconds` before answering normally.
      truncate          send only the first half of the JSON body (Content-Length matches).
      not_json          an HTML error page with `status` (default 502).
      gone              410 + Location to a fresh initial delta URL.
      batch_item_status inner `$batch` requests (optionally only `ids`) come back `status`
                        (default 429) with `retry_after` in the item's headers.
      mutate            `func(body)` rewrites the JSON body (return the new body, or None
                        after changing it in place).
    """

    kind: str
    path: str = ""
    method: str | None = None
    tenant: str | None = None
    after: int = 0
    times: int | None = 1
    status: int | None = None
    retry_after: str | None = None
    code: str | None = None
    message: str | None = None
    seconds: float = 0.0
    ids: Collection[str] | None = None
    func: Callable[[Any], Any] | None = None
    seen: int = field(default=0, init=False)
    applied: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {KINDS}")
        if self.kind == "status" and self.status is None:
            raise ValueError("a status fault needs status=")
        if self.kind == "mutate" and self.func is None:
            raise ValueError("a mutate fault needs func=")
        self._regex = re.compile(self.path)

    def _matches(self, method: str, target: str, tenant_id: str | None) -> bool:
        return ((self.method is None or self.method.upper() == method.upper())
                and (self.tenant is None or (tenant_id or "") == self.tenant.lower())
                and self._regex.search(target) is not None)


class Faults:
    """The simulator's fault list (`sim.faults`); thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))

    def __len__(self) -> int:
        return len(self._faults)

    def take(self, method: str, target: str, tenant_id: str | None, kinds: Collection[str],
             item_id: str | None = None) -> list[Fault]:
        """Faults of `kinds` that fire for this request (counting every match toward `after`)."""
        fired = []
        with self._lock:
            for fault in self._faults:
                if fault.kind not in kinds or not fault._matches(method, target, tenant_id):
                    continue
                if fault.ids is not None and (item_id is None or item_id.lower() not in
                                              {i.lower() for i in fault.ids}):
                    continue
                fault.seen += 1
                if fault.seen > fault.after and (fault.times is None or fault.applied < fault.times):
                    fault.applied += 1
                    fired.append(fault)
        return fired
