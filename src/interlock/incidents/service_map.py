"""The service graph correlation reads: declared calls from the catalog plus the edges
observed in the span store over the window, and which of those carried errors."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from interlock.catalog import CatalogGraph, EdgeKind, NodeKind
from interlock.incidents.service_labels import ServiceNames
from interlock.telemetry import SpanStore, StatusCode, TraceQuery

_NS = 1_000_000_000


@dataclass
class MapSnapshot:
    """Who calls whom (declared or observed), and the observed calls that failed."""

    calls: dict[str, set[str]] = field(default_factory=dict)
    failing: dict[str, set[str]] = field(default_factory=dict)

    def add(self, caller: str, callee: str, failed: bool = False) -> None:
        if caller == callee:
            return
        self.calls.setdefault(caller, set()).add(callee)
        if failed:
            self.failing.setdefault(caller, set()).add(callee)
            self.failing.setdefault(callee, set()).add(caller)  # walked both ways

    def callees(self, service: str) -> set[str]:
        return self.calls.get(service, set())

    def callers(self, service: str) -> set[str]:
        return {caller for caller, callees in self.calls.items() if service in callees}

    def failing_path(self, start: str, goal: str, max_hops: int) -> list[str] | None:
        """The shortest path of at most `max_hops` failing edges from `start` to `goal`."""
        before: dict[str, str | None] = {start: None}
        queue = deque([(start, 0)])
        while queue:
            node, hops = queue.popleft()
            if node == goal:
                path = [node]
                while (previous := before[path[-1]]) is not None:
                    path.append(previous)
                return path[::-1]
            if hops == max_hops:
                continue
            for nxt in sorted(self.failing.get(node, ())):
                if nxt not in before:
                    before[nxt] = node
                    queue.append((nxt, hops + 1))
        return None

    def downstream(self, services: Iterable[str], depth: int) -> dict[str, int]:
        """`services` at distance 0 and what they call, up to `depth` hops, by distance."""
        distance = {name: 0 for name in services}
        frontier = list(distance)
        for hop in range(1, depth + 1):
            frontier = [c for s in frontier for c in self.callees(s) if c not in distance]
            for callee in frontier:
                distance[callee] = hop
        return distance


class ServiceMap:
    """Declared plus observed edges; observed ones are re-read at most every `ttl_s`."""

    def __init__(
        self,
        graph: CatalogGraph,
        names: ServiceNames,
        store: SpanStore | None,
        window_s: float,
        ttl_s: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.names = names
        self._store = store
        self._window_s = window_s
        self._ttl_s = ttl_s
        self._clock = clock
        self._declared = _declared(graph)
        self._snapshot: MapSnapshot | None = None
        self._read_at = 0.0
        self._traces: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    def snapshot(self) -> MapSnapshot:
        """The map now (cached): a correlation reads it once per alert."""
        with self._lock:
            now = self._clock()
            if self._snapshot is None or now - self._read_at > self._ttl_s:
                self._snapshot = self._read(now)
                self._read_at = now
            return self._snapshot

    def _read(self, now: float) -> MapSnapshot:
        snapshot = MapSnapshot()
        for caller, callee in self._declared:
            snapshot.add(caller, callee)
        if self._store is None:
            return snapshot
        start = int((now - self._window_s) * _NS)
        for edge in self._store.edges(start, int(now * _NS)):
            if edge.callee_kind != "service":
                continue
            snapshot.add(
                self.names.catalog_name(edge.caller),
                self.names.catalog_name(edge.callee),
                failed=edge.errors > 0,
            )
        return snapshot

    def failing_traces(self, service: str) -> tuple[str, ...]:
        """Ids of recent failing traces through `service` (cached like the map)."""
        if self._store is None:
            return ()
        with self._lock:
            now = self._clock()
            cached = self._traces.get(service)
            if cached and now - cached[0] <= self._ttl_s:
                return cached[1]
        query = TraceQuery(
            service=self.names.telemetry_name(service),
            status=StatusCode.ERROR,
            start_unix_nano=int((now - self._window_s) * _NS),
            limit=50,
        )
        found = tuple(summary.trace_id for summary in self._store.search(query))
        with self._lock:
            self._traces[service] = (now, found)
        return found


def _declared(graph: CatalogGraph) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    services = {node.id: node.name for node in graph.nodes(NodeKind.SERVICE)}
    for edge in graph.edges(EdgeKind.CALLS):
        if edge.source in services and edge.target in services:
            pairs.append((services[edge.source], services[edge.target]))
    providers: dict[str, list[str]] = {}
    for edge in graph.edges(EdgeKind.PROVIDES):
        if edge.source in services:
            providers.setdefault(edge.target, []).append(services[edge.source])
    for edge in graph.edges(EdgeKind.CONSUMES):
        for provider in providers.get(edge.target, []):
            if edge.source in services:
                pairs.append((services[edge.source], provider))
    return pairs
