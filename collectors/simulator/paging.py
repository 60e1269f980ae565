"""Server-side continuation state behind opaque `$skiptoken` / `$deltatoken` / `$skip` links."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from typing import Any


class TokenStore:
    """Bounded LRU of token -> (tenant, kind, created, state); states are never mutated, so
    re-fetching the same link (a retry after 429) returns the same page."""

    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[str, tuple[str, str, int, Any]] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def put(self, tenant_id: str, kind: str, created_us: int, state: Any) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._entries[token] = (tenant_id, kind, created_us, state)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return token

    def get(self, token: str, tenant_id: str, kind: str) -> tuple[int, Any] | None:
        """(created, state), or None when unknown, evicted, or issued to another tenant."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is None or entry[0] != tenant_id or entry[1] != kind:
                return None
            self._entries.move_to_end(token)
            return entry[2], entry[3]

    def __len__(self) -> int:
        return len(self._entries)
