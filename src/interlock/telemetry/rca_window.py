"""Root cause over a time window: suspects ranked by comparing failed traces with healthy ones.

Ochiai over `(service, operation)` components, weighted by per-trace blame and self-time deviation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from interlock.telemetry.model import Span
from interlock.telemetry.rca_trace import (
    Baseline,
    ComponentKey,
    OperationBaseline,
    TraceTree,
    component_of,
    diagnose_tree,
    quantile,
)
from interlock.telemetry.store import SpanStore, TraceQuery

MAX_TRACES = 5000
"""At most this many traces are read from each window (the newest)."""

EXAMPLES = 3
BLAME_WEIGHT = 0.7  # the rest of a component's weight is its self-time deviation
_NS_PER_MS = 1_000_000


@dataclass(frozen=True)
class Suspect:
    """One `(service, operation)` and why it is suspected.

    `score` = `ochiai` * (0.7 * `blame` + 0.3 * `deviation`): the spectrum says where
    failures concentrate, blame (the share of its failed traces whose root cause or
    slowest critical-path span it is) and deviation (`1 - 1/ratio` of its self-time p95
    against the baseline's) say which of the components that always run together failed
    on its own.
    """

    service: str
    operation: str
    score: float
    ochiai: float
    blame: float
    deviation: float
    failed_traces: int  # failed traces it appears in
    traces: int  # all traces it appears in
    blamed_traces: int  # failed traces in which it is the culprit
    error_spans: int
    self_p95_ms: float
    baseline: OperationBaseline | None
    example_trace_ids: tuple[str, ...]

    @property
    def latency_ratio(self) -> float | None:
        if self.baseline is None or self.baseline.p95_self_ms <= 0:
            return None
        return self.self_p95_ms / self.baseline.p95_self_ms

    def to_json(self) -> dict[str, Any]:
        ratio = self.latency_ratio
        return {
            "service": self.service,
            "operation": self.operation,
            "score": round(self.score, 4),
            "ochiai": round(self.ochiai, 4),
            "blame": round(self.blame, 4),
            "deviation": round(self.deviation, 4),
            "failed_traces": self.failed_traces,
            "traces": self.traces,
            "blamed_traces": self.blamed_traces,
            "error_spans": self.error_spans,
            "self_p95_ms": round(self.self_p95_ms, 3),
            "baseline_self_p95_ms": self.baseline.p95_self_ms if self.baseline else None,
            "baseline_self_median_ms": self.baseline.median_self_ms if self.baseline else None,
            "latency_ratio": round(ratio, 3) if ratio is not None else None,
            "example_trace_ids": list(self.example_trace_ids),
        }


@dataclass(frozen=True)
class ServiceSuspect:
    """A service ranked by its most suspect operation."""

    service: str
    score: float
    operations: tuple[str, ...]  # its suspect operations, most suspect first
    blamed_traces: int
    example_trace_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "score": round(self.score, 4),
            "operations": list(self.operations),
            "blamed_traces": self.blamed_traces,
            "example_trace_ids": list(self.example_trace_ids),
        }


@dataclass(frozen=True)
class WindowDiagnosis:
    """The ranked suspects of a window, with the counts they were computed from."""

    start_unix_nano: int
    end_unix_nano: int
    baseline_start_unix_nano: int
    baseline_end_unix_nano: int
    service: str | None
    traces: int
    failed_traces: int
    error_traces: int
    slow_traces: int
    baseline_traces: int
    services: list[ServiceSuspect] = field(default_factory=list)
    suspects: list[Suspect] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "window": {
                "start_unix_nano": self.start_unix_nano,
                "end_unix_nano": self.end_unix_nano,
            },
            "baseline": {
                "start_unix_nano": self.baseline_start_unix_nano,
                "end_unix_nano": self.baseline_end_unix_nano,
                "traces": self.baseline_traces,
            },
            "service_filter": self.service,
            "traces": self.traces,
            "failed_traces": self.failed_traces,
            "error_traces": self.error_traces,
            "slow_traces": self.slow_traces,
            "services": [s.to_json() for s in self.services],
            "suspects": [s.to_json() for s in self.suspects],
        }


def traces_between(
    store: SpanStore,
    start_unix_nano: int,
    end_unix_nano: int,
    service: str | None = None,
    limit: int = MAX_TRACES,
) -> list[list[Span]]:
    """The traces with a span starting in the window (touching `service`, when given)."""
    found = store.search(
        TraceQuery(
            service=service,
            start_unix_nano=start_unix_nano,
            end_unix_nano=end_unix_nano,
            limit=limit,
        )
    )
    traces = (store.get_trace(summary.trace_id) for summary in found)
    return [spans for spans in traces if spans]


@dataclass
class _Tally:
    traces: int = 0
    failed: int = 0
    blamed: int = 0
    error_spans: int = 0
    self_ms: list[float] = field(default_factory=list)
    blamed_examples: list[str] = field(default_factory=list)
    failed_examples: list[str] = field(default_factory=list)

    def examples(self) -> tuple[str, ...]:
        """Traces blamed on it first, then other failed traces it ran in."""
        return tuple((self.blamed_examples + self.failed_examples)[:EXAMPLES])


def rank_suspects(
    window: Sequence[Sequence[Span]], baseline: Baseline, slow_margin: float = 1.5
) -> tuple[list[Suspect], int, int, int]:
    """Suspects over `window`'s traces, most suspect first; plus failed, error and slow counts."""
    tallies: dict[ComponentKey, _Tally] = {}
    failed_total = errors_total = slow_total = 0
    for spans in window:
        tree = TraceTree(spans)
        diagnosis = diagnose_tree(tree, baseline, slow_margin)
        failed = diagnosis.failed
        failed_total += failed
        errors_total += bool(diagnosis.root_causes)
        slow_total += diagnosis.slow
        culprit = diagnosis.culprit
        blamed = component_of(culprit) if culprit is not None else None
        seen: set[ComponentKey] = set()
        for span in spans:
            key = component_of(span)
            tally = tallies.setdefault(key, _Tally())
            tally.self_ms.append(tree.self_ns(span) / _NS_PER_MS)
            tally.error_spans += span.is_error
            if key in seen:
                continue
            seen.add(key)
            tally.traces += 1
            if failed:
                tally.failed += 1
                if key == blamed:
                    tally.blamed += 1
                    if len(tally.blamed_examples) < EXAMPLES:
                        tally.blamed_examples.append(diagnosis.trace_id)
                elif len(tally.failed_examples) < EXAMPLES:
                    tally.failed_examples.append(diagnosis.trace_id)
    suspects = []
    for (service, operation), tally in tallies.items():
        if not tally.failed:
            continue
        ochiai = tally.failed / math.sqrt(failed_total * tally.traces)
        blame = tally.blamed / tally.failed
        usual = baseline.operations.get((service, operation))
        p95 = quantile(tally.self_ms, 0.95)
        deviation = 0.0
        if usual is not None and usual.p95_self_ms > 0 and p95 > usual.p95_self_ms:
            deviation = 1.0 - usual.p95_self_ms / p95
        score = ochiai * (BLAME_WEIGHT * blame + (1 - BLAME_WEIGHT) * deviation)
        suspects.append(
            Suspect(
                service=service,
                operation=operation,
                score=score,
                ochiai=ochiai,
                blame=blame,
                deviation=deviation,
                failed_traces=tally.failed,
                traces=tally.traces,
                blamed_traces=tally.blamed,
                error_spans=tally.error_spans,
                self_p95_ms=p95,
                baseline=usual,
                example_trace_ids=tally.examples(),
            )
        )
    suspects.sort(key=lambda s: (-s.score, -s.blame, -s.ochiai, -s.deviation, s.service))
    return suspects, failed_total, errors_total, slow_total


def rank_services(suspects: Sequence[Suspect]) -> list[ServiceSuspect]:
    """Services ranked by their best operation's score (suspects must come ranked)."""
    grouped: dict[str, list[Suspect]] = {}
    for suspect in suspects:
        grouped.setdefault(suspect.service, []).append(suspect)
    services = []
    for service, own in grouped.items():
        examples: list[str] = []
        for suspect in own:
            examples += [t for t in suspect.example_trace_ids if t not in examples]
        services.append(
            ServiceSuspect(
                service=service,
                score=own[0].score,
                operations=tuple(s.operation for s in own if s.score > 0)
                or tuple(s.operation for s in own),
                blamed_traces=sum(s.blamed_traces for s in own),
                example_trace_ids=tuple(examples[:EXAMPLES]),
            )
        )
    # the order of `suspects` already breaks ties between equal best scores
    return services


def rca_window(
    store: SpanStore,
    start: int,
    end: int,
    baseline_start: int,
    baseline_end: int,
    service: str | None = None,
    slow_margin: float = 1.5,
    max_traces: int = MAX_TRACES,
) -> WindowDiagnosis:
    """Rank suspect services and operations for the traces in `[start, end)` (Unix ns).

    A trace failed when one of its spans has error status or it took more than
    `slow_margin` * the baseline p95 of its root operation; the baseline window's traces
    (those without errors) give the usual self time per operation and duration per root.
    """
    baseline = Baseline.from_traces(
        traces_between(store, baseline_start, baseline_end, service, max_traces)
    )
    window = traces_between(store, start, end, service, max_traces)
    suspects, failed, errors, slow = rank_suspects(window, baseline, slow_margin)
    return WindowDiagnosis(
        start_unix_nano=start,
        end_unix_nano=end,
        baseline_start_unix_nano=baseline_start,
        baseline_end_unix_nano=baseline_end,
        service=service,
        traces=len(window),
        failed_traces=failed,
        error_traces=errors,
        slow_traces=slow,
        baseline_traces=baseline.traces,
        services=rank_services(suspects),
        suspects=suspects,
    )
