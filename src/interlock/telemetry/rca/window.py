"""Root cause over a time window: every operation, call gap, log template and resource metric
judged against its own baseline, and one ranking of services, dependencies and edges.

The evidence comes from `evidence` (traces), `logs` and `metrics`; `rank` ranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from interlock.telemetry.model import LogRecord, Span
from interlock.telemetry.rca.evidence import Evidence, trace_evidence, traces_above
from interlock.telemetry.rca.features import Observations, merge_errors, observe
from interlock.telemetry.rca.logs import log_evidence
from interlock.telemetry.rca.metrics import MetricSource, metric_evidence
from interlock.telemetry.rca.rank import RankedSuspect, rank
from interlock.telemetry.rca.read import (
    MAX_TRACES,
    logs_between,
    read_window,
    share_for,
)
from interlock.telemetry.rca.stats import quantile
from interlock.telemetry.rca.trace import OperationBaseline
from interlock.telemetry.stores.interface import SpanStore

EXAMPLES = 3


@dataclass(frozen=True)
class Suspect:
    """One `(service, operation)` whose self time shifted from its baseline.

    `score` is the shift's score (log2 of the floored quantile ratio weighed by the absolute
    excess); `deviation` is `1 - 1/ratio`. `window_share` is the share of the window's traces
    in which it was above its baseline p95 (or failed), `own_share` that of its own spans.
    """

    service: str
    operation: str
    score: float
    window_share: float
    own_share: float
    deviation: float
    failed_traces: int  # window traces in which its self time was above its baseline p95
    traces: int  # window spans of this operation
    blamed_traces: int
    error_spans: int
    self_p95_ms: float
    baseline: OperationBaseline | None
    example_trace_ids: tuple[str, ...]
    explanation: str = ""

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
            "window_share": round(self.window_share, 4),
            "own_share": round(self.own_share, 4),
            "deviation": round(self.deviation, 4),
            "failed_traces": self.failed_traces,
            "traces": self.traces,
            "blamed_traces": self.blamed_traces,
            "error_spans": self.error_spans,
            "self_p95_ms": round(self.self_p95_ms, 3),
            "baseline_self_p95_ms": self.baseline.p95_self_ms if self.baseline else None,
            "baseline_self_median_ms": self.baseline.median_self_ms if self.baseline else None,
            "latency_ratio": round(ratio, 3) if ratio is not None else None,
            "explanation": self.explanation,
            "example_trace_ids": list(self.example_trace_ids),
        }


@dataclass(frozen=True)
class ServiceSuspect:
    """A service (or a callee that sends no spans) with the evidence against it."""

    service: str
    score: float
    operations: tuple[str, ...]  # its suspect operations, most suspect first
    blamed_traces: int
    example_trace_ids: tuple[str, ...]
    evidence: tuple[Evidence, ...] = ()
    kind: str = "service"  # service | dependency

    @property
    def explanation(self) -> str:
        return "; ".join(e.text for e in self.evidence[:3])

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "kind": self.kind,
            "score": round(self.score, 4),
            "explanation": self.explanation,
            "operations": list(self.operations),
            "blamed_traces": self.blamed_traces,
            "example_trace_ids": list(self.example_trace_ids),
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True)
class WindowDiagnosis:
    """The ranked suspects of a window, with the counts they were computed from.

    `ranking` holds services, dependencies and edges together; `services` the non-edge ones.
    """

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
    ranking: list[RankedSuspect] = field(default_factory=list)
    logs: int = 0
    baseline_logs: int = 0
    share: float = 1.0  # of each window's traces read (by trace id); failing ones all
    spans: int = 0  # spans that start in the window
    baseline_spans: int = 0

    @property
    def has_baseline(self) -> bool:
        """The baseline window holds traces to compare with."""
        return self.baseline_traces > 0

    @property
    def found(self) -> bool:
        """Something in the window differs from the baseline enough to name a suspect."""
        return bool(self.ranking)

    def to_json(self) -> dict[str, Any]:
        return {
            "window": {
                "start_unix_nano": self.start_unix_nano,
                "end_unix_nano": self.end_unix_nano,
                "spans": self.spans,
                "logs": self.logs,
            },
            "baseline": {
                "start_unix_nano": self.baseline_start_unix_nano,
                "end_unix_nano": self.baseline_end_unix_nano,
                "spans": self.baseline_spans,
                "traces": self.baseline_traces,
                "logs": self.baseline_logs,
            },
            "share_read": round(self.share, 4),
            "service_filter": self.service,
            "traces": self.traces,
            "failed_traces": self.failed_traces,
            "error_traces": self.error_traces,
            "slow_traces": self.slow_traces,
            "ranking": [s.to_json() for s in self.ranking],
            "services": [s.to_json() for s in self.services],
            "suspects": [s.to_json() for s in self.suspects],
        }


def _operation_suspects(
    evidence: Sequence[Evidence], baseline: Observations, window: Observations
) -> list[Suspect]:
    """Operations named by latency or error evidence, as `Suspect` rows."""
    found = []
    for item in evidence:
        if item.kind not in ("latency", "errors") or not item.operation or item.score <= 0:
            continue
        key = ("self", item.suspect, item.operation)
        before = baseline.values.get(key, [])
        now = window.values.get(key, [])
        usual = OperationBaseline(len(before), quantile(before, 0.5), quantile(before, 0.95))
        slow = len(traces_above(window, key, usual.p95_self_ms)) if item.shift else 0
        failed = item.count if item.kind == "errors" else slow
        ratio = item.shift.ratio if item.shift else 1.0
        found.append(
            Suspect(
                service=item.suspect,
                operation=item.operation,
                score=item.score,
                window_share=failed / max(1, window.traces),
                own_share=failed / max(1, len(now)),
                deviation=1 - 1 / ratio if ratio > 1 else 0.0,
                failed_traces=failed,
                traces=len(now),
                blamed_traces=failed,
                error_spans=item.count if item.kind == "errors" else 0,
                self_p95_ms=quantile(now, 0.95),
                baseline=usual,
                example_trace_ids=item.example_trace_ids[:EXAMPLES],
                explanation=item.text,
            )
        )
    found.sort(key=lambda s: (-s.score, s.service, s.operation))
    return found


@dataclass(frozen=True)
class Analysis:
    """What `diagnose` found: the ranking, operation rows and the window's anomalous traces."""

    ranking: list[RankedSuspect]
    suspects: list[Suspect]
    window: Observations
    slow_trace_ids: set[str]
    error_trace_ids: set[str]


def diagnose(
    baseline_traces: Sequence[Sequence[Span]],
    window_traces: Sequence[Sequence[Span]],
    baseline_logs: Sequence[LogRecord] = (),
    window_logs: Sequence[LogRecord] = (),
    scale: float = 1.0,
    metric_evidence_found: Sequence[Evidence] = (),
    failing: tuple[Sequence[Sequence[Span]], Sequence[Sequence[Span]]] = ((), ()),
) -> Analysis:
    """The ranking from data already read; `scale` is the window's length over the baseline's.

    `failing` holds failing traces outside the share read (baseline, window): they count for
    errors only, so that a share of the traffic still sees every error.
    """
    before, callees = observe(baseline_traces)
    merge_errors(before, observe(failing[0], callees)[0])
    now, _ = observe(window_traces, callees, keep_tops=True)
    merge_errors(now, observe(failing[1], callees)[0])
    evidence = trace_evidence(before, now, scale)
    names = before.services | now.services | {c for _, c in before.calls | now.calls.keys()}
    evidence += log_evidence(baseline_logs, window_logs, scale, sorted(names))
    evidence += metric_evidence_found
    ranking = rank(evidence, before.services | now.services, EXAMPLES)
    slow: set[str] = set()
    for item in evidence:
        if item.feature is not None and item.score > 0:
            usual = quantile(before.values.get(item.feature, []), 0.95)
            slow.update(traces_above(now, item.feature, usual))
    errors = {
        t for e in evidence if e.kind == "errors" for t in now.error_examples.get(e.suspect, [])
    }
    return Analysis(ranking, _operation_suspects(evidence, before, now), now, slow, errors)


def _services(
    ranking: Sequence[RankedSuspect], suspects: Sequence[Suspect]
) -> list[ServiceSuspect]:
    found = []
    for suspect in ranking:
        if suspect.kind == "edge":
            continue
        operations = [s.operation for s in suspects if s.service == suspect.name]
        operations += [
            e.operation for e in suspect.evidence if e.operation and e.operation not in operations
        ]
        traces = {t for e in suspect.evidence for t in e.example_trace_ids}
        found.append(
            ServiceSuspect(
                suspect.name,
                suspect.score,
                tuple(operations),
                len(traces),
                suspect.example_trace_ids,
                suspect.evidence,
                suspect.kind,
            )
        )
    return found


def rca_window(
    store: SpanStore,
    start: int,
    end: int,
    baseline_start: int,
    baseline_end: int,
    service: str | None = None,
    slow_margin: float = 1.5,
    max_traces: int = MAX_TRACES,
    metrics: MetricSource | None = None,
) -> WindowDiagnosis:
    """Rank suspect services, dependencies and edges for `[start, end)` (Unix ns).

    Each operation's self time, each edge's gap, each call to a callee without spans, the
    calls answered and served, error root causes, log templates and (with `metrics`) resource
    metrics are compared with the baseline window. `slow_margin` is kept for callers of the
    earlier version and no longer used: no trace needs to pass a threshold to be judged.

    About `max_traces` traces are read from the fuller window, the same share of trace ids
    from both (with the logs of those traces, as much of the logs without a trace, and every
    failing trace and warning): reading costs the same however much the windows hold.
    """
    del slow_margin
    windows = [(baseline_start, baseline_end), (start, end)]
    spans = [store.span_count(a, b) for a, b in windows]
    share = share_for(spans, max_traces)
    before = read_window(store, baseline_start, baseline_end, share, service)
    window = read_window(store, start, end, share, service)
    baseline_logs = logs_between(store, baseline_start, baseline_end, share)
    window_logs = logs_between(store, start, end, share)
    scale = (end - start) / max(1, baseline_end - baseline_start)
    found_metrics = (
        metric_evidence(metrics, start, end, baseline_start, baseline_end) if metrics else []
    )
    found = diagnose(
        before.traces,
        window.traces,
        baseline_logs,
        window_logs,
        scale,
        found_metrics,
        (before.failing, window.failing),
    )
    anomalous = {t for s in found.ranking for e in s.evidence for t in e.example_trace_ids}
    failed = anomalous | found.slow_trace_ids | found.error_trace_ids
    return WindowDiagnosis(
        start_unix_nano=start,
        end_unix_nano=end,
        baseline_start_unix_nano=baseline_start,
        baseline_end_unix_nano=baseline_end,
        service=service,
        traces=len(window.traces),
        failed_traces=len(failed) if found.ranking else 0,
        error_traces=found.window.error_traces,
        slow_traces=len(found.slow_trace_ids),
        baseline_traces=len(before.traces),
        services=_services(found.ranking, found.suspects),
        suspects=found.suspects,
        ranking=found.ranking,
        logs=len(window_logs),
        baseline_logs=len(baseline_logs),
        share=share,
        spans=spans[1],
        baseline_spans=spans[0],
    )
