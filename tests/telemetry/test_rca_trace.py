"""Root cause inside one trace: error root causes, retries, the critical path, self time."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from interlock.telemetry import Span, SpanKind, StatusCode
from interlock.telemetry.rca.trace import Baseline, TraceTree, rca_trace, root_causes

_MS = 1_000_000
_BASE = 1_790_000_000 * 1_000_000_000  # pure functions: any time will do
_ids = itertools.count(1)


@dataclass
class Trace:
    """Spans of one trace built by hand; times in ms from the trace's start."""

    trace_id: str = field(default_factory=lambda: f"{next(_ids):032x}")
    spans: list[Span] = field(default_factory=list)
    offset_ms: float = 0.0

    def span(
        self,
        service: str,
        name: str,
        start_ms: float,
        end_ms: float,
        parent: Span | None = None,
        kind: SpanKind = SpanKind.SERVER,
        error: bool = False,
        peer: str | None = None,
    ) -> Span:
        span = Span(
            trace_id=self.trace_id,
            span_id=f"{next(_ids):016x}",
            parent_span_id=parent.span_id if parent else None,
            name=name,
            kind=kind,
            start_unix_nano=_BASE + int((self.offset_ms + start_ms) * _MS),
            end_unix_nano=_BASE + int((self.offset_ms + end_ms) * _MS),
            service=service,
            status_code=StatusCode.ERROR if error else StatusCode.UNSET,
            attributes={"peer.service": peer} if peer else {},
        )
        self.spans.append(span)
        return span

    def call(
        self,
        caller: Span,
        callee: str,
        operation: str,
        start_ms: float,
        end_ms: float,
        error: bool = False,
        callee_error: bool | None = None,
    ) -> Span:
        """A CLIENT span in the caller and the callee's SERVER span 1 ms inside it."""
        client = self.span(
            caller.service,
            operation.split()[0],
            start_ms,
            end_ms,
            caller,
            SpanKind.CLIENT,
            error,
            callee,
        )
        failed = error if callee_error is None else callee_error
        return self.span(callee, operation, start_ms + 1, end_ms - 1, client, error=failed)


def _shop_order(
    orders_extra_ms: float = 0.0, payments_error: bool = False, offset_ms: float = 0.0
) -> Trace:
    """gateway → orders → (inventory, payments), optionally slow orders or failing payments."""
    t = Trace(offset_ms=offset_ms)
    end = 60 + orders_extra_ms
    gateway = t.span("gateway", "POST /orders", 0, end, error=payments_error)
    orders = t.call(gateway, "orders", "POST /orders", 2, end - 2, error=payments_error)
    t.call(orders, "inventory", "POST /products/{id}/reserve", 5 + orders_extra_ms, 25)
    t.call(orders, "payments", "POST /payments", 30, 50, error=payments_error)
    return t


def test_root_cause_is_the_deepest_failing_span_under_failing_callers() -> None:
    """gateway and orders fail only because payments failed: payments is the root cause."""
    t = _shop_order(payments_error=True)
    diagnosis = rca_trace(t.spans)
    assert diagnosis.failed
    assert ("payments", "POST /payments") == (diagnosis.culprit.service, diagnosis.culprit.name)  # type: ignore[union-attr]
    assert [True] == [c.propagated for c in diagnosis.root_causes]


def test_failure_with_healthy_children_is_its_own_root_cause() -> None:
    """The gateway answers 500 although orders answered fine: the error is the gateway's."""
    t = Trace()
    gateway = t.span("gateway", "POST /orders", 0, 50, error=True)
    t.call(gateway, "orders", "POST /orders", 2, 40)
    diagnosis = rca_trace(t.spans)
    assert diagnosis.culprit is gateway


def test_client_span_without_callee_span_is_the_root_cause() -> None:
    """A call to a peer that sent no span (down, or a database) is blamed on the CLIENT span."""
    t = Trace()
    gateway = t.span("gateway", "GET /products", 0, 50, error=True)
    client = t.span("gateway", "GET", 2, 40, gateway, SpanKind.CLIENT, True, "inventory")
    assert client is rca_trace(t.spans).culprit


def test_retried_failure_is_reported_as_absorbed() -> None:
    """orders retries payments once and the retry works: the failed attempt is no propagated cause."""
    t = Trace()
    gateway = t.span("gateway", "POST /orders", 0, 80)
    orders = t.call(gateway, "orders", "POST /orders", 2, 78)
    first = t.call(orders, "payments", "POST /payments", 5, 20, error=True)
    t.call(orders, "payments", "POST /payments", 25, 60)
    causes = root_causes(TraceTree(t.spans))
    assert [(first.span_id, False)] == [(c.span.span_id, c.propagated) for c in causes]


def test_propagated_failure_ranks_before_an_absorbed_retry() -> None:
    """A retried payments failure and a real inventory failure: the inventory one is first."""
    t = Trace()
    gateway = t.span("gateway", "POST /orders", 0, 90, error=True)
    orders = t.call(gateway, "orders", "POST /orders", 2, 88, error=True)
    t.call(orders, "payments", "POST /payments", 5, 20, error=True)
    t.call(orders, "payments", "POST /payments", 25, 40)
    inventory = t.call(orders, "inventory", "POST /products/{id}/reserve", 45, 80, error=True)
    diagnosis = rca_trace(t.spans)
    assert inventory is diagnosis.culprit
    assert [True, False] == [c.propagated for c in diagnosis.root_causes]


def test_critical_path_follows_the_concurrent_child_that_finishes_last() -> None:
    """Of two overlapping children the later-finishing one is on the path; the other is not."""
    t = Trace()
    root = t.span("gateway", "GET /home", 0, 400)
    early = t.span("gateway", "fetch a", 0, 100, root, SpanKind.INTERNAL)
    late = t.span("gateway", "fetch b", 50, 300, root, SpanKind.INTERNAL)
    tail = t.span("gateway", "render", 300, 390, root, SpanKind.INTERNAL)
    path = dict((s.span_id, share / _MS) for s, share in TraceTree(t.spans).critical_path())
    assert {root.span_id: 60.0, late.span_id: 250.0, tail.span_id: 90.0} == path
    assert early.span_id not in path


def test_self_time_subtracts_the_union_of_overlapping_children() -> None:
    t = Trace()
    root = t.span("gateway", "GET /home", 0, 100)
    t.span("gateway", "a", 10, 50, root, SpanKind.INTERNAL)
    t.span("gateway", "b", 30, 70, root, SpanKind.INTERNAL)
    assert 40 * _MS == TraceTree(t.spans).self_ns(root)


def test_slow_trace_blames_the_mid_tier_not_the_callers_that_wait_for_it() -> None:
    """orders adds 300 ms of its own; gateway's spans last as long but their self time is usual."""
    baseline = Baseline.from_traces([_shop_order(offset_ms=i * 100).spans for i in range(20)])
    slow = rca_trace(_shop_order(orders_extra_ms=300).spans, baseline)
    assert slow.slow and slow.failed
    first = slow.critical_path[0]
    assert ("orders", "POST /orders") == (first.span.service, first.span.name)
    assert first.excess_ms > 250
    assert all(p.excess_ms < 5 for p in slow.critical_path[1:])


def test_usual_trace_is_neither_failed_nor_slow() -> None:
    baseline = Baseline.from_traces([_shop_order(offset_ms=i * 100).spans for i in range(20)])
    diagnosis = rca_trace(_shop_order().spans, baseline)
    assert (False, False, None) == (diagnosis.failed, diagnosis.slow, diagnosis.culprit)


def test_span_with_missing_parent_becomes_a_root() -> None:
    """A trace whose root span was not stored still has one root to measure from."""
    t = Trace()
    gone = Span("ab" * 16, "f" * 16, None, "x", SpanKind.SERVER, 0, 1, "gateway")
    orphan = t.span("orders", "POST /orders", 0, 40, gone)
    assert orphan is TraceTree(t.spans).root
