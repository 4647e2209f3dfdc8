"""What production (or any traced environment) showed, as load test inputs: the latency of each
edge, for the stubs standing in for the dependencies, and the rate of each operation, for the
traffic mix. Read from the span store's aggregates, which ingest keeps even for traces it
samples away.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from interlock.errors import UserInputError
from interlock.perf.traffic import TrafficPlan

SAMPLES = 100
"""Delays drawn per edge: the percentiles 0.5, 1.5, ... 99.5 of its observed histogram."""


@dataclass(frozen=True)
class SpanSource:
    """A span store (an Interlock data directory, or a database URL) and the window to read."""

    data_dir: Path
    database_url: str = ""
    window_s: float = 3600.0

    def window(self) -> tuple[int, int]:
        now = time.time_ns()
        return now - int(self.window_s * 1e9), now


def _histogram_samples(histogram: list[int], count: int = SAMPLES) -> list[int]:
    """Delays (ms) at evenly spaced quantiles, linear within each histogram bucket."""
    from interlock.telemetry import LATENCY_BUCKETS_MS

    total = sum(histogram)
    bounds = [0.0, *LATENCY_BUCKETS_MS, LATENCY_BUCKETS_MS[-1] * 2]  # overflow: up to twice
    samples = []
    for k in range(count):
        rank = (k + 0.5) / count * total
        seen = 0.0
        for index, in_bucket in enumerate(histogram):
            if in_bucket and seen + in_bucket >= rank:
                low, high = bounds[index], bounds[index + 1]
                samples.append(round(low + (high - low) * (rank - seen) / in_bucket))
                break
            seen += in_bucket
    return samples


def edge_latency_samples(source: SpanSource, caller: str, callee: str) -> tuple[list[int], int]:
    """(delays in ms following the observed distribution of `caller` → `callee`, calls seen)."""
    from interlock.telemetry import open_store

    merged: list[int] | None = None
    calls = 0
    with open_store(source.data_dir, source.database_url) as store:
        for edge in store.edges(*source.window()):
            if edge.caller != caller or edge.callee != callee:
                continue
            calls += edge.calls
            merged = (
                list(edge.histogram)
                if merged is None
                else [a + b for a, b in zip(merged, edge.histogram, strict=True)]
            )
    if merged is None or not sum(merged):
        return [], 0
    return _histogram_samples(merged), calls


def apply_observed_latencies(
    admin_url: str, service: str, dependencies: list[str], source: SpanSource
) -> dict[str, Any]:
    """Give each stubbed dependency a latency fault drawing from its observed edge; per
    dependency, the calls the distribution rests on and its p50/p95 (or why there is none)."""
    from interlock.stubs import add_fault

    applied: dict[str, Any] = {}
    for dependency in dependencies:
        samples, calls = edge_latency_samples(source, service, dependency)
        if not samples:
            applied[dependency] = {"calls": 0, "note": "no observed calls: answers at once"}
            continue
        fault = {"name": "observed-latency", "type": "latency", "samples": samples}
        add_fault(admin_url, dependency, fault)
        ordered = sorted(samples)
        applied[dependency] = {
            "calls": calls,
            "p50_ms": ordered[len(ordered) // 2],
            "p95_ms": ordered[int(len(ordered) * 0.95)],
        }
    return applied


def observed_rates(source: SpanSource, service: str) -> dict[str, float]:
    """Requests per second of each of `service`'s operations (its RED aggregates) in the window."""
    from interlock.telemetry import open_store

    start, end = source.window()
    calls: dict[str, int] = {}
    with open_store(source.data_dir, source.database_url) as store:
        for stats in store.operations(service, start, end):
            calls[stats.operation] = calls.get(stats.operation, 0) + stats.calls
    seconds = (end - start) / 1e9
    return {operation: count / seconds for operation, count in calls.items() if count}


def _template(operation: str) -> re.Pattern[str]:
    """`GET /orders/{order_id}` (or `:id`) as a pattern over concrete operations."""
    parts = re.split(r"(\{[^}/]+\}|:[A-Za-z_][A-Za-z0-9_]*)", operation)
    body = "".join("[^/]+" if i % 2 else re.escape(p) for i, p in enumerate(parts))
    return re.compile(f"^{body}$")


def weigh_by_observed(plan: TrafficPlan, rates: dict[str, float]) -> tuple[TrafficPlan, list[str]]:
    """The plan with each flow weighted by the observed rate of its first step's operation
    (shared among the flows of one operation); flows of an operation never observed are
    dropped. Also the notes on what was dropped or not covered."""
    patterns = [(operation, _template(operation)) for operation in rates]
    matched: dict[int, str] = {}
    for index, flow in enumerate(plan.flows):
        first = flow.steps[0].operation
        found = next((op for op, pattern in patterns if op == first or pattern.match(first)), None)
        if found is not None:
            matched[index] = found
    if not matched:
        raise UserInputError(
            "--observed-mix: none of the traffic's operations was observed in the span store "
            f"(observed: {', '.join(sorted(rates)) or 'none'})"
        )
    sharing: dict[str, int] = {}
    for operation in matched.values():
        sharing[operation] = sharing.get(operation, 0) + 1
    flows = tuple(
        replace(flow, weight=rates[matched[i]] / sharing[matched[i]])
        for i, flow in enumerate(plan.flows)
        if i in matched
    )
    notes = [
        f"not observed, left out: {f.name}" for i, f in enumerate(plan.flows) if i not in matched
    ]
    notes += [f"observed but not in the traffic: {op}" for op in rates if op not in sharing]
    return replace(plan, flows=flows, source=plan.source + " (mix: observed rates)"), notes
