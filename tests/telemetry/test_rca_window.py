"""Root cause over a window: shop-shaped traffic with one injected fault, stored in a real store."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from interlock.telemetry import SpanKind, SQLiteSpanStore, StatusCode, TelemetrySettings
from interlock.telemetry.model import Span
from interlock.telemetry.rca.window import rca_window

_MS = 1_000_000
_S = 1_000_000_000
START = (time.time_ns() // _S - 3600) * _S
"""The baseline is the minute from START (an hour ago: inside retention), the window the next."""


@dataclass
class Fault:
    """One service misbehaving in a share of its calls: its own added latency, or an error."""

    service: str = ""
    latency_ms: float = 0.0
    error_rate: float = 0.0
    share: float = 1.0


@dataclass
class ShopTraffic:
    """Traces shaped like the example shop's (gateway → orders → inventory, payments)."""

    seed: int
    spans: list[Span] = field(default_factory=list)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    def _span(
        self,
        span_id: str,
        trace_id: str,
        parent_id: str | None,
        service: str,
        name: str,
        kind: SpanKind,
        start: int,
        end: int,
        error: bool,
        peer: str | None = None,
    ) -> None:
        self.spans.append(
            Span(
                trace_id=trace_id,
                span_id=span_id,
                parent_span_id=parent_id,
                name=name,
                kind=kind,
                start_unix_nano=start,
                end_unix_nano=end,
                service=service,
                status_code=StatusCode.ERROR if error else StatusCode.UNSET,
                attributes={"peer.service": peer} if peer else {},
            )
        )

    def _ms(self, low: float, high: float) -> int:
        return int(self.random.uniform(low, high) * _MS)

    def _serve(
        self, trace_id: str, parent_id: str | None, service: str, op: str, at: int, fault: Fault
    ) -> tuple[int, bool]:
        """Serve `op` in `service` from `at`, calling its callees in turn; (end, failed)."""
        span_id = f"{next(self.ids):016x}"
        hit = fault.service == service and self.random.random() < fault.share
        failed_here = hit and self.random.random() < fault.error_rate
        cursor = at + self._ms(1.0, 3.0) + (int(fault.latency_ms * _MS) if hit else 0)
        failed = failed_here
        for callee, callee_op in () if failed_here else _CALLS.get((service, op), ()):
            client_id = f"{next(self.ids):016x}"
            end, callee_failed = self._serve(
                trace_id, client_id, callee, callee_op, cursor + _MS // 2, fault
            )
            method = callee_op.split()[0]
            client_end = end + _MS // 2
            self._span(
                client_id, trace_id, span_id, service, method, SpanKind.CLIENT,
                cursor, client_end, callee_failed, callee,
            )  # fmt: skip
            cursor = client_end + self._ms(0.2, 0.8)
            if callee_failed:
                failed = True
                break
        end = cursor + self._ms(0.5, 1.5)
        self._span(span_id, trace_id, parent_id, service, op, SpanKind.SERVER, at, end, failed)
        return end, failed

    def request(self, at: int, fault: Fault) -> None:
        trace_id = f"{self.random.getrandbits(128):032x}"
        route = "POST /orders" if self.random.random() < 0.6 else "GET /products"
        self._serve(trace_id, None, "gateway", route, at, fault)

    def run(self, start: int, seconds: float, per_second: int, fault: Fault) -> None:
        for i in range(int(seconds * per_second)):
            self.request(start + i * _S // per_second, fault)


_CALLS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("gateway", "POST /orders"): (("orders", "POST /orders"),),
    ("gateway", "GET /products"): (("inventory", "GET /products"),),
    ("orders", "POST /orders"): (
        ("inventory", "POST /products/{id}/reserve"),
        ("payments", "POST /payments"),
    ),
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteSpanStore]:
    settings = TelemetrySettings(data_dir=tmp_path)
    store = SQLiteSpanStore(settings.spans_path, settings)
    yield store
    store.close()


def _diagnose(store: SQLiteSpanStore, fault: Fault, seed: int = 1) -> list[str]:
    traffic = ShopTraffic(seed)
    traffic.run(START, 60, 5, Fault())
    traffic.run(START + 60 * _S, 60, 5, fault)
    assert store.offer_spans(traffic.spans)
    assert store.flush(30)
    diagnosis = rca_window(store, START + 60 * _S, START + 120 * _S, START, START + 60 * _S)
    return [s.service for s in diagnosis.services]


def test_traffic_shape_is_a_proper_tree() -> None:
    """The generator's traces nest CLIENT spans under callers and SERVER spans under CLIENTs."""
    traffic = ShopTraffic(3)
    traffic.run(START, 1, 5, Fault())
    by_id = {s.span_id: s for s in traffic.spans}
    for span in traffic.spans:
        if span.service == "gateway" and span.kind == SpanKind.SERVER:
            assert span.parent_span_id is None
        else:
            parent = by_id[span.parent_span_id or ""]
            assert (
                SpanKind.CLIENT if span.kind == SpanKind.SERVER else SpanKind.SERVER
            ) == parent.kind


def test_window_ranks_mid_tier_latency_first_above_its_callers(store: SQLiteSpanStore) -> None:
    """orders is slow by itself; gateway's spans last as long but only orders' self time grew."""
    ranked = _diagnose(store, Fault("orders", latency_ms=300, share=0.5))
    assert "orders" == ranked[0]


def test_window_ranks_leaf_latency_first(store: SQLiteSpanStore) -> None:
    ranked = _diagnose(store, Fault("payments", latency_ms=200))
    assert "payments" == ranked[0]


def test_window_ranks_erroring_leaf_first_among_services_always_run_together(
    store: SQLiteSpanStore,
) -> None:
    """Every order trace runs gateway, orders and payments: blame tells the failing one apart."""
    ranked = _diagnose(store, Fault("payments", error_rate=0.3))
    assert "payments" == ranked[0]


def test_window_ranks_shared_dependency_first(store: SQLiteSpanStore) -> None:
    """inventory fails under both routes; it ranks first, its callers after it."""
    ranked = _diagnose(store, Fault("inventory", error_rate=0.4))
    assert "inventory" == ranked[0]


def test_window_ranks_entry_service_own_failure_first(store: SQLiteSpanStore) -> None:
    ranked = _diagnose(store, Fault("gateway", error_rate=0.3))
    assert "gateway" == ranked[0]


def test_window_evidence_counts_failing_traces_and_latency(store: SQLiteSpanStore) -> None:
    traffic = ShopTraffic(7)
    traffic.run(START, 60, 5, Fault())
    traffic.run(START + 60 * _S, 60, 5, Fault("payments", latency_ms=200))
    store.offer_spans(traffic.spans)
    store.flush(30)
    diagnosis = rca_window(store, START + 60 * _S, START + 120 * _S, START, START + 60 * _S)
    top = diagnosis.suspects[0]
    assert ("payments", "POST /payments") == (top.service, top.operation)
    assert 0 == diagnosis.error_traces  # no error status at all: latency alone
    assert diagnosis.slow_traces == top.failed_traces == top.blamed_traces
    assert top.latency_ratio is not None and top.latency_ratio > 10
    assert 3 == len(top.example_trace_ids)


def test_healthy_window_has_no_failed_traces(store: SQLiteSpanStore) -> None:
    traffic = ShopTraffic(5)
    traffic.run(START, 120, 5, Fault())
    store.offer_spans(traffic.spans)
    store.flush(30)
    diagnosis = rca_window(store, START + 60 * _S, START + 120 * _S, START, START + 60 * _S)
    assert (300, 0, []) == (diagnosis.traces, diagnosis.failed_traces, diagnosis.suspects)


def test_service_filter_keeps_only_traces_through_that_service(store: SQLiteSpanStore) -> None:
    """With --service orders the product listings are left out; inventory still ranks first."""
    traffic = ShopTraffic(9)
    traffic.run(START, 60, 5, Fault())
    traffic.run(START + 60 * _S, 60, 5, Fault("inventory", error_rate=0.5))
    store.offer_spans(traffic.spans)
    store.flush(30)
    diagnosis = rca_window(
        store, START + 60 * _S, START + 120 * _S, START, START + 60 * _S, service="orders"
    )
    assert 0 < diagnosis.traces < 300
    assert "inventory" == diagnosis.services[0].service


def test_a_window_read_in_part_still_counts_every_failing_trace(store: SQLiteSpanStore) -> None:
    """With a share of the traces read, three failing ones outside it still rank payments."""
    traffic = ShopTraffic(11)
    traffic.run(START, 60, 5, Fault())
    traffic.run(START + 60 * _S, 60, 5, Fault())
    charges = [
        s for s in traffic.spans if s.service == "payments" and s.start_unix_nano >= START + 60 * _S
    ]
    failing = {s.span_id for s in charges[:3]}
    spans = [
        replace(s, status_code=StatusCode.ERROR) if s.span_id in failing else s
        for s in traffic.spans
    ]
    assert store.offer_spans(spans)
    assert store.flush(30)
    diagnosis = rca_window(
        store, START + 60 * _S, START + 120 * _S, START, START + 60 * _S, max_traces=40
    )
    assert 0.1 < diagnosis.share < 0.5
    read = store.traces_in_window(START + 60 * _S, START + 120 * _S, diagnosis.share)
    assert read.failing  # some failed outside the share: read apart, counted for errors only
    assert diagnosis.traces < 150
    assert (3, "payments") == (diagnosis.error_traces, diagnosis.ranking[0].name)
