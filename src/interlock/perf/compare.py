"""Did this change make the service slower? Baseline runs against current runs, with a
confidence interval on the change of each operation's p50 and p95.

The interval comes from a two-level bootstrap: runs are resampled (the between-run noise of
a shared, noisy machine), and within each run its quantile is redrawn as the order statistic
of a resampled run would fall (rank ~ Binomial(n, q), read off the run's histogram). A change
is reported only when the interval excludes zero and the change is at least `min_change`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from interlock.perf.histogram import CumulativeHistogram
from interlock.perf.model import OVERALL, PerfRun
from interlock.perf.span_profile import SpanChange, span_changes

QUANTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99}


@dataclass(frozen=True)
class MetricChange:
    """The change of one metric of one operation from the baseline runs to the current ones."""

    operation: str
    metric: str
    baseline: float
    current: float
    change: float
    ci_low: float
    ci_high: float
    confidence: float
    regression: bool
    improvement: bool

    @property
    def significant(self) -> bool:
        return self.regression or self.improvement

    @property
    def message(self) -> str:
        """`p95 of POST /orders +18% (95% CI +11%…+25%)`."""
        level = f"{self.confidence * 100:g}%"
        return (
            f"{self.metric} of {self.operation} {self.change * 100:+.0f}% "
            f"({level} CI {self.ci_low * 100:+.0f}%…{self.ci_high * 100:+.0f}%)"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "metric": self.metric,
            "baseline_ms": self.baseline,
            "current_ms": self.current,
            "change": self.change,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence": self.confidence,
            "regression": self.regression,
            "improvement": self.improvement,
            "message": self.message,
        }


@dataclass(frozen=True)
class Comparison:
    """Every metric change between two sets of runs of one service."""

    service: str
    baseline_commit: str
    current_commit: str
    baseline_runs: int
    current_runs: int
    changes: tuple[MetricChange, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    spans: tuple[SpanChange, ...] = ()
    """Kinds of span whose self time per request grew: why it is slower (from the runs' traces)."""

    @property
    def regressions(self) -> list[MetricChange]:
        return [c for c in self.changes if c.regression]

    @property
    def improvements(self) -> list[MetricChange]:
        return [c for c in self.changes if c.improvement]

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "baseline": {"commit": self.baseline_commit, "runs": self.baseline_runs},
            "current": {"commit": self.current_commit, "runs": self.current_runs},
            "regressions": [c.message for c in self.regressions],
            "improvements": [c.message for c in self.improvements],
            "changes": [c.to_json() for c in self.changes],
            "spans": [c.to_json() for c in self.spans],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class _RunSample:
    requests: int
    cumulative: CumulativeHistogram


def _samples(runs: Sequence[PerfRun], operation: str) -> list[_RunSample]:
    out = []
    for run in runs:
        result = run.operation(operation)
        if result is not None and result.requests:
            out.append(_RunSample(result.requests, result.histogram.cumulative()))
    return out


def _redrawn_quantile(sample: _RunSample, q: float, rng: random.Random) -> float:
    n = sample.requests
    spread = math.sqrt(n * q * (1 - q))
    rank = round(rng.gauss(n * q, spread)) if spread else round(n * q)
    return sample.cumulative.value_at_rank(rank)


def _mean_quantile(samples: Sequence[_RunSample], q: float) -> float:
    values = [s.cumulative.value_at_rank(max(1, round(q * s.requests))) for s in samples]
    return sum(values) / len(values)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def compare_quantile(
    baseline: Sequence[_RunSample],
    current: Sequence[_RunSample],
    q: float,
    *,
    iterations: int,
    confidence: float,
    rng: random.Random,
) -> tuple[float, float, float, float, float]:
    """(baseline, current, change, CI low, CI high) of the q-quantile, the change relative."""
    base = _mean_quantile(baseline, q)
    now = _mean_quantile(current, q)
    ratios = []
    for _ in range(iterations):
        b = [_redrawn_quantile(s, q, rng) for s in rng.choices(baseline, k=len(baseline))]
        c = [_redrawn_quantile(s, q, rng) for s in rng.choices(current, k=len(current))]
        b_mean = sum(b) / len(b)
        if b_mean > 0:
            ratios.append(sum(c) / len(c) / b_mean - 1)
    tail = (1 - confidence) / 2
    change = now / base - 1 if base > 0 else 0.0
    if not ratios:
        return base, now, change, change, change
    return base, now, change, _percentile(ratios, tail), _percentile(ratios, 1 - tail)


def compare_runs(
    baseline: Sequence[PerfRun],
    current: Sequence[PerfRun],
    *,
    metrics: Sequence[str] = ("p50", "p95"),
    confidence: float = 0.95,
    min_change: float = 0.05,
    iterations: int = 2000,
    seed: int = 0,
) -> Comparison:
    """Compare each operation (and all of them merged) between the two sets of runs."""
    rng = random.Random(seed)
    operations = [OVERALL]
    for run in current:
        for name in run.operations:
            if name not in operations and any(name in b.operations for b in baseline):
                operations.append(name)
    changes = []
    for operation in operations:
        base_samples = _samples(baseline, operation)
        current_samples = _samples(current, operation)
        if not base_samples or not current_samples:
            continue
        for metric in metrics:
            q = QUANTILES[metric]
            base, now, change, low, high = compare_quantile(
                base_samples,
                current_samples,
                q,
                iterations=iterations,
                confidence=confidence,
                rng=rng,
            )
            changes.append(
                MetricChange(
                    operation,
                    metric,
                    base,
                    now,
                    change,
                    low,
                    high,
                    confidence,
                    regression=low > 0 and change >= min_change,
                    improvement=high < 0 and change <= -min_change,
                )
            )
    notes = []
    if min(len(baseline), len(current)) < 2:
        notes.append(
            "one run on a side: the noise between runs is not measured; "
            "repeat runs (`perf run --repeat 3`) for a verdict that holds on noisy machines"
        )
    service = (current or baseline)[0].service if (current or baseline) else ""
    return Comparison(
        service,
        baseline[0].commit if baseline else "",
        current[0].commit if current else "",
        len(baseline),
        len(current),
        tuple(changes),
        tuple(notes),
        tuple(span_changes([r.span_profile for r in baseline], [r.span_profile for r in current])),
    )
