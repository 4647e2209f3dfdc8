"""Stubbed services: routes indexed by method and path, states, faults and the request journal.

`StubService.select` picks the most specific matching route, or explains the closest misses.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from interlock.stubs.http_faults import HttpFault
from interlock.stubs.stub_routes import StubRequest, StubRoute

STATE_HEADER = "x-interlock-state"
STARTED = "Started"
CLOSEST = 3
JOURNAL_BODY = 4096
"""Bytes of each request body the journal keeps."""


@dataclass
class Selection:
    """The chosen route, or none and the closest routes with why each did not match."""

    route: StubRoute | None
    closest: list[dict[str, Any]] = field(default_factory=list)
    provider_state: str | None = None


class StubService:
    """One stubbed service: its routes, provider state, scenario states and faults."""

    def __init__(self, name: str, routes: list[StubRoute] | None = None) -> None:
        self.name = name
        self.routes: list[StubRoute] = []
        self._exact: dict[tuple[str, str], list[tuple[int, StubRoute]]] = {}
        self._patterns: dict[str, list[tuple[int, StubRoute]]] = {}
        self.provider_state: str | None = None
        self.scenarios: dict[str, str] = {}
        self.faults: list[HttpFault] = []
        self.sequence = 0
        # a broker-served pact's verdict (verified, provider_version, environment); None for
        # sources whose verification nobody recorded
        self.trust: dict[str, Any] | None = None
        for route in routes or []:
            self.add(route)

    def add(self, route: StubRoute) -> None:
        order = len(self.routes)
        self.routes.append(route)
        method = route.method or "*"
        if route.path is not None:
            self._exact.setdefault((method, route.path), []).append((order, route))
        else:
            self._patterns.setdefault(method, []).append((order, route))
        if route.scenario is not None:
            self.scenarios.setdefault(route.scenario.name, STARTED)

    def reset(self) -> None:
        """Back to the start: no provider state, every scenario `Started`, fault counts zero."""
        self.provider_state = None
        self.scenarios = dict.fromkeys(self.scenarios, STARTED)
        for fault in self.faults:
            fault.hits = 0

    def _blocked(self, route: StubRoute, state: str | None) -> str | None:
        """Why a route cannot answer in the current states (None when it can)."""
        step = route.scenario
        if step is not None and step.required is not None:
            current = self.scenarios.get(step.name, STARTED)
            if current != step.required:
                return f"scenario {step.name!r} is in state {current!r}, needs {step.required!r}"
        if state is not None and route.provider_states and state not in route.provider_states:
            wanted = ", ".join(repr(s) for s in route.provider_states)
            return f"provider state is {state!r}, this interaction needs {wanted}"
        return None

    def select(self, request: StubRequest) -> Selection:
        state = request.headers.get(STATE_HEADER) or self.provider_state
        method = request.method
        candidates = (
            self._exact.get((method, request.path), [])
            + self._exact.get(("*", request.path), [])
            + self._patterns.get(method, [])
            + self._patterns.get("*", [])
        )
        best: StubRoute | None = None
        best_key: tuple[int, int, int, int] | None = None
        for order, route in candidates:
            if self._blocked(route, state) is not None or not route.matches(request):
                continue
            in_state = 1 if state is not None and state in route.provider_states else 0
            key = (-route.priority, in_state, route.specificity, -order)
            if best_key is None or key > best_key:
                best, best_key = route, key
        if best is not None:
            self._advance(best)
            return Selection(best, provider_state=state)
        return Selection(None, self._closest(request, state), state)

    def _advance(self, route: StubRoute) -> None:
        if route.scenario is not None and route.scenario.next is not None:
            self.scenarios[route.scenario.name] = route.scenario.next
        if route.next_provider_state is not None:
            self.provider_state = route.next_provider_state

    def _closest(self, request: StubRequest, state: str | None) -> list[dict[str, Any]]:
        ranked: list[tuple[int, int, dict[str, Any]]] = []
        for order, route in enumerate(self.routes[:500]):
            reasons = route.mismatches(request)
            blocked = self._blocked(route, state)
            if blocked is not None:
                reasons.append(blocked)
            far = sum(10 for r in reasons if r.startswith(("method", "path")))
            entry = {"id": route.id, "description": route.description, "mismatches": reasons}
            ranked.append((far + len(reasons), order, entry))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [entry for _, _, entry in ranked[:CLOSEST]]

    def faults_for(self, method: str, path: str, rng: random.Random) -> list[HttpFault]:
        """The faults this request gets (each counted, drawn by its toxicity)."""
        if not self.faults:
            return []
        return [f for f in self.faults if f.applies(method, path) and f.fires(rng)]

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "stubs": len(self.routes),
            "provider_state": self.provider_state,
            "scenarios": dict(self.scenarios),
            "faults": [fault.to_json() for fault in self.faults],
            "trust": self.trust,
        }


class Journal:
    """The recent requests, bounded: a stub under load keeps only the last `size` entries.

    Entries are kept as received and made into JSON only when read: a stub under load journals
    every request and is asked for a few.
    """

    def __init__(self, size: int = 1000) -> None:
        self._entries: deque[_Entry] = deque(maxlen=size)
        self._unmatched: deque[_Entry] = deque(maxlen=size)
        self._lock = threading.Lock()

    @property
    def entries(self) -> list[dict[str, Any]]:
        """Every kept request, oldest first."""
        with self._lock:
            kept = list(self._entries)
        return [_entry_json(entry) for entry in kept]

    @property
    def unmatched(self) -> list[dict[str, Any]]:
        """The kept requests that no stub matched, oldest first."""
        with self._lock:
            kept = list(self._unmatched)
        return [_entry_json(entry) for entry in kept]

    def add(
        self,
        service: str,
        request: StubRequest,
        status: int,
        route: StubRoute | None,
        closest: list[dict[str, Any]] | None = None,
        faults: list[str] | None = None,
    ) -> None:
        body = request.body
        entry = (
            time.time(),
            service,
            request.method,
            request.target,
            request.headers,
            body if len(body) <= JOURNAL_BODY else body[:JOURNAL_BODY],
            status,
            route.id if route is not None else None,
            closest,
            faults,
        )
        with self._lock:
            self._entries.append(entry)
            if route is None:
                self._unmatched.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._unmatched.clear()


# time, service, method, target, headers, body (cut), status, matched route, closest, faults
_Entry = tuple[
    float,
    str,
    str,
    str,
    dict[str, str],
    bytes,
    int,
    str | None,
    list[dict[str, Any]] | None,
    list[str] | None,
]


def _entry_json(entry: _Entry) -> dict[str, Any]:
    at, service, method, target, headers, body, status, matched, closest, faults = entry
    out: dict[str, Any] = {
        "time": datetime.fromtimestamp(at, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "service": service,
        "method": method,
        "path": target,
        "status": status,
        "matched": matched,
        "headers": headers,
        "body": body.decode("utf-8", errors="replace"),
    }
    if faults:
        out["faults"] = faults
    if closest is not None:
        out["closest"] = closest
    return out
