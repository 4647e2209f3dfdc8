"""RCA mechanisms on constructed traces with known answers: gaps, per-operation shifts, rare
paths, logs and metrics as evidence."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from interlock.telemetry import LogRecord, MetricPoint, MetricStore, Span, SpanKind
from interlock.telemetry.rca.metrics import metric_evidence
from interlock.telemetry.rca.window import diagnose

_MS = 1_000_000
_S = 1_000_000_000
Delays = dict[str, float]  # what is slow: "self:svc" or "gap:caller->callee" -> extra ms


@dataclass
class Builder:
    """Traces of a small system; each call has a 0.5 ms gap and each handler ~1 ms self time."""

    seed: int
    spans: list[Span] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def _id(self, bits: int) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def serve(
        self,
        trace: str,
        parent: str | None,
        service: str,
        calls: list[tuple[str, list]],  # type: ignore[type-arg]  # nested call trees
        at: int,
        extra: Delays,
        self_ms: float = 1.0,
    ) -> int:
        span_id = self._id(64)
        own = self_ms * self.rng.uniform(0.8, 1.2) + extra.get(f"self:{service}", 0.0)
        cursor = at + int(own / 2 * _MS)
        for callee, inner in calls:
            client = self._id(64)
            gap = 0.5 * self.rng.uniform(0.8, 1.2) + extra.get(f"gap:{service}->{callee}", 0.0)
            gap += extra.get(f"gap:*->{callee}", 0.0) + extra.get(f"gap:{service}->*", 0.0)
            tiny = 0.2 if callee == "flags" else 1.0
            end = self.serve(trace, client, callee, inner, cursor + int(gap / 2 * _MS), extra, tiny)
            client_end = end + int(gap / 2 * _MS)
            peer = {"peer.service": callee, "http.request.method": "GET"}
            call = Span(trace, client, span_id, "GET", SpanKind.CLIENT, cursor, client_end, service)
            call.attributes = peer
            self.spans.append(call)
            cursor = client_end
        end = cursor + int(own / 2 * _MS)
        if f"log:{service}" in extra:
            message = f"Exception in handler: KeyError {self._id(16)}"
            attrs = {"exception.type": "KeyError"}
            record = LogRecord(end, end, 17, "ERROR", message, service, trace, span_id, attrs)
            self.logs.append(record)
        attributes = {"http.request.method": "GET", "http.route": f"/{service}"}
        served = Span(trace, span_id, parent, f"GET /{service}", SpanKind.SERVER, at, end, service)
        served.attributes = attributes
        self.spans.append(served)
        return end

    def traces(
        self, shapes: list[tuple[float, str, list]], extra: Delays, n: int
    ) -> list[list[Span]]:  # type: ignore[type-arg]
        """`n` traces, each of one of `shapes` (weight, entry service, calls) at random."""
        self.spans = []
        for i in range(n):
            weights = [w for w, _, _ in shapes]
            _, entry, calls = self.rng.choices(shapes, weights)[0]
            self.serve(self._id(128), None, entry, calls, i * 10 * _MS, extra)
        grouped: dict[str, list[Span]] = {}
        for span in self.spans:
            grouped.setdefault(span.trace_id, []).append(span)
        return list(grouped.values())


# front -> (api -> (db-ish leaf "store"), cache), front -> search -> cache; admin -> cache
SHAPES = [
    (1.0, "front", [("api", [("store", []), ("cache", [])]), ("search", [("cache", [])])]),
    (0.5, "admin", [("cache", []), ("search", [])]),
]


def _rank(extra: Delays, shapes: list = SHAPES, n: int = 400, logs: bool = False) -> list[str]:  # type: ignore[type-arg]
    before = Builder(1).traces(shapes, {}, n)
    builder = Builder(2)
    now = builder.traces(shapes, extra, n)
    found = diagnose(before, now, (), builder.logs if logs else ())
    return [s.name for s in found.ranking]


def test_gap_grown_on_every_edge_into_one_callee_names_the_callee() -> None:
    """cache is called by api, search and admin; all three gaps grew: cache, not its callers."""
    assert "cache" == _rank({"gap:*->cache": 40})[0]


def test_gap_grown_on_every_edge_out_of_one_caller_names_the_caller() -> None:
    """front's calls to api and search are both slow before the handler: front's egress."""
    assert "front" == _rank({"gap:front->*": 40})[0]


def test_gap_grown_on_one_edge_alone_names_the_edge() -> None:
    """api -> cache alone: api -> store, search -> cache and admin -> cache stay quick."""
    assert "api->cache" == _rank({"gap:api->cache": 40})[0]


def test_tiny_operation_slowed_400_times_is_not_lost_beside_a_5_s_gap() -> None:
    """flags takes 0.2 ms; at x400 (80 ms) it ranks in the top two beside a 5 s edge gap."""
    shapes = [
        (1.0, "front", [("api", [("flags", [])]), ("search", [("cache", []), ("store", [])])]),
        (0.5, "admin", [("cache", [])]),
    ]
    ranked = _rank({"self:flags": 80, "gap:search->cache": 5000}, shapes)
    assert "flags" in ranked[:2]


def test_small_noise_in_a_tiny_operation_is_not_promoted() -> None:
    """A healthy window against a healthy baseline names nobody."""
    assert [] == _rank({})


def test_service_only_in_rare_short_traces_is_judged() -> None:
    """login runs in 2% of traces, all short; its own slowdown ranks it first."""
    shapes = [*SHAPES, (0.03, "front", [("login", [])])]
    assert "login" == _rank({"self:login": 30}, shapes, n=1500)[0]


def test_exception_only_in_logs_ranks_its_service() -> None:
    """search logs an exception per request; no span has an error status or a longer time."""
    assert "search" == _rank({"log:search": 1}, logs=True)[0]


def test_slow_callee_does_not_blame_its_callers() -> None:
    """store's own handler is slower: api and front keep their self times."""
    ranked = _rank({"self:store": 50})
    assert "store" == ranked[0]
    assert "api" not in ranked[:1] and "front" not in ranked[:1]


NOW = (time.time_ns() // _S - 3600) * _S
"""Metric points an hour old: inside the store's retention."""


def _metric_store(tmp_path: Path, value: Callable[[str, int, bool], float]) -> MetricStore:
    store = MetricStore(tmp_path / "metrics.db")
    points = []
    for step in range(60):
        for service in ("api", "search", "cache"):
            window = step >= 30
            at = NOW + 10 * step * _S
            cpu = value(service, step, window)
            points.append(MetricPoint(service, "process.cpu.utilization", "gauge", "1", at, cpu))
    store.write(points)
    return store


def test_saturated_cpu_is_evidence_against_its_service(tmp_path: Path) -> None:
    """search's CPU goes from ~0.3 to ~0.97 in the window; the others stay."""
    rng = random.Random(3)
    store = _metric_store(
        tmp_path,
        lambda s, _, w: rng.uniform(0.95, 0.99) if w and s == "search" else rng.uniform(0.2, 0.4),
    )
    found = metric_evidence(store, NOW + 300 * _S, NOW + 600 * _S, NOW, NOW + 300 * _S)
    assert ["search"] == [e.suspect for e in found]
    assert "process.cpu.utilization" in found[0].text


def test_memory_that_keeps_growing_is_evidence(tmp_path: Path) -> None:
    """cache's memory rises steadily through the window; noise elsewhere is not."""
    store = MetricStore(tmp_path / "metrics.db")
    rng = random.Random(4)
    points = []
    for step in range(60):
        for service in ("api", "cache"):
            leak = 2e6 * (step - 30) if service == "cache" and step >= 30 else 0.0
            value = 300e6 * rng.uniform(0.97, 1.03) + leak
            at = NOW + step * 10 * _S
            points.append(MetricPoint(service, "process.memory.usage", "gauge", "By", at, value))
    store.write(points)
    found = metric_evidence(store, NOW + 300 * _S, NOW + 600 * _S, NOW, NOW + 300 * _S)
    assert ["cache"] == [e.suspect for e in found]
