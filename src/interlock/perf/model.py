"""A load test's result: per operation, requests, errors and latency histograms; per second, a timeline.

Latencies are measured from each request's intended send time (open model), so a target that
stalls is charged for the requests that waited behind the stall: no coordinated omission.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from interlock.perf.histogram import LatencyHistogram

OVERALL = "all"
"""The name under which every operation's requests are merged."""


@dataclass
class OperationResult:
    """One operation (`POST /orders`) in one run.

    `histogram` holds latencies from the intended send time (what a user waits); `service`
    holds them from the moment the request left (what the server took, plus the network).
    """

    name: str
    requests: int = 0
    errors: int = 0
    histogram: LatencyHistogram = field(default_factory=LatencyHistogram)
    service: LatencyHistogram = field(default_factory=LatencyHistogram)
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def merge(self, other: OperationResult) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.histogram.merge(other.histogram)
        self.service.merge(other.service)
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count

    def summary(self) -> dict[str, float]:
        """The figures a report shows, latencies in milliseconds."""
        h = self.histogram
        return {
            "requests": self.requests,
            "errors": self.errors,
            "error_rate": self.error_rate,
            "p50_ms": h.quantile_ms(0.50),
            "p90_ms": h.quantile_ms(0.90),
            "p95_ms": h.quantile_ms(0.95),
            "p99_ms": h.quantile_ms(0.99),
            "max_ms": h.max_ms(),
            "mean_ms": h.mean_ms(),
            "service_p95_ms": self.service.quantile_ms(0.95),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            **self.summary(),
            "statuses": dict(self.statuses),
            "histogram": self.histogram.to_json(),
            "service_histogram": self.service.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OperationResult:
        return cls(
            str(data["name"]),
            int(data["requests"]),
            int(data["errors"]),
            LatencyHistogram.from_json(data.get("histogram", {})),
            LatencyHistogram.from_json(data.get("service_histogram", {})),
            {str(k): int(v) for k, v in data.get("statuses", {}).items()},
        )


@dataclass
class PerfRun:
    """One load test of one service at one commit; `id` is set once it is stored."""

    service: str
    commit: str
    target: str
    started_at: datetime
    duration_s: float
    target_rate: float
    operations: dict[str, OperationResult]
    timeline: list[dict[str, float]] = field(default_factory=list)
    generator: dict[str, float] = field(default_factory=dict)
    source: str = ""
    id: int | None = None
    span_profile: dict[str, Any] = field(default_factory=dict)
    """Self time per kind of span in the run's traces (`span_profile.profile_traces`); empty
    when the service's spans were not in reach."""
    window_ns: tuple[int, int] = (0, 0)
    """When the run sent its traffic (Unix ns): where its traces are in the span store."""

    @property
    def requests(self) -> int:
        return sum(op.requests for op in self.operations.values())

    @property
    def achieved_rate(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def overall(self) -> OperationResult:
        merged = OperationResult(OVERALL)
        for op in self.operations.values():
            merged.merge(op)
        return merged

    def operation(self, name: str | None) -> OperationResult | None:
        """One operation's result, or every operation merged for `None` or `all`."""
        if name is None or name == OVERALL:
            return self.overall()
        return self.operations.get(name)

    def metric(self, metric: str, operation: str | None = None) -> float | None:
        """`p95`, `p99.9`, `avg`, `min`, `max`, `error_rate` or `rate` of an operation (ms, share, /s)."""
        result = self.operation(operation)
        if result is None or not result.requests:
            return None
        if metric == "error_rate":
            return result.error_rate
        if metric == "rate":
            return result.requests / self.duration_s if self.duration_s else 0.0
        if metric == "avg":
            return result.histogram.mean_ms()
        if metric == "max":
            return result.histogram.max_ms()
        if metric == "min":
            return result.histogram.quantile_ms(0.0)
        return result.histogram.quantile_ms(float(metric[1:]) / 100)

    def to_json(self, histograms: bool = True) -> dict[str, Any]:
        operations = [op.to_json() for op in self.operations.values()]
        if not histograms:
            for op in operations:
                op.pop("histogram")
                op.pop("service_histogram")
        return {
            "id": self.id,
            "service": self.service,
            "commit": self.commit,
            "target": self.target,
            "source": self.source,
            "started_at": self.started_at.isoformat(),
            "duration_s": self.duration_s,
            "target_rate": self.target_rate,
            "achieved_rate": self.achieved_rate,
            "requests": self.requests,
            "overall": self.overall().summary(),
            "operations": operations,
            "timeline": self.timeline,
            "generator": self.generator,
            "span_profile": self.span_profile,
        }
