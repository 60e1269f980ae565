"""Circuit breakers for one tenant, one per Graph service (users, auditLogs, reports, token, ...).

A failed attempt is a 5xx, a timeout or a connection error. Any other answer, 4xx and 429
included, proves the service is up and resets the count.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from m365admin.texts import message

from .errors import GraphBreakerOpen

FAILURE_THRESHOLD = 5
COOL_DOWN_SECONDS = 60.0


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class _Circuit:
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    since: float = 0.0  # when it opened, or when the half-open trial started


class CircuitBreakers:
    def __init__(
        self,
        tenant_id: str,
        clock: Callable[[], float],
        threshold: int = FAILURE_THRESHOLD,
        cool_down: float = COOL_DOWN_SECONDS,
    ) -> None:
        self.tenant_id = tenant_id
        self.clock = clock
        self._threshold = threshold
        self._cool_down = cool_down
        self._circuits: dict[str, _Circuit] = {}
        self._lock = threading.Lock()

    def before_call(self, service: str) -> None:
        """Let the attempt through, or raise GraphBreakerOpen."""
        with self._lock:
            circuit = self._circuits.setdefault(service, _Circuit())
            if circuit.state is BreakerState.CLOSED:
                return
            now = self.clock()
            waited = now - circuit.since
            # A half-open trial that never reported back (its thread died) must not block forever.
            if waited >= self._cool_down:
                circuit.state = BreakerState.HALF_OPEN
                circuit.since = now
                return
            if circuit.state is BreakerState.HALF_OPEN:
                reason = message("graph.breaker.trial")
            else:
                reason = message("graph.breaker.failures", n=circuit.failures)
        retry_in = self._cool_down - waited
        raise GraphBreakerOpen(
            message("graph.breaker", tenant=self.tenant_id, service=service, why=reason,
                    seconds=round(retry_in)),
            retry_in=retry_in,
        )

    def record_success(self, service: str) -> None:
        with self._lock:
            self._circuits[service] = _Circuit()

    def record_failure(self, service: str) -> BreakerState:
        """Count a failed attempt and return the resulting state."""
        with self._lock:
            circuit = self._circuits.setdefault(service, _Circuit())
            circuit.failures += 1
            if circuit.state is BreakerState.HALF_OPEN or circuit.failures >= self._threshold:
                circuit.state = BreakerState.OPEN
                circuit.since = self.clock()
            return circuit.state

    def states(self) -> dict[str, str]:
        """State per service seen so far; an open circuit past its cool-down shows half_open."""
        with self._lock:
            now = self.clock()
            return {
                service: str(
                    BreakerState.HALF_OPEN
                    if circuit.state is BreakerState.OPEN and now - circuit.since >= self._cool_down
                    else circuit.state
                )
                for service, circuit in self._circuits.items()
            }
