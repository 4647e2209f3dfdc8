"""Regression detection on synthetic runs with known answers: histograms, A/A, A/B."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from interlock.perf import LatencyHistogram, OperationResult, PerfRun, compare_runs

OPERATION = "POST /orders"


def _run(
    rng: random.Random, factor: float, requests: int = 2000, run_noise: float = 0.04
) -> PerfRun:
    """A run whose latencies are log-normal (median 10 ms), scaled by `factor` and by the
    run-to-run noise of a shared machine."""
    scale = factor * rng.gauss(1.0, run_noise)
    histogram = LatencyHistogram.of(rng.lognormvariate(2.3, 0.5) * scale for _ in range(requests))
    op = OperationResult(OPERATION, requests, 0, histogram)
    return PerfRun("orders", "c", "http://x", datetime.now(UTC), 10.0, 200.0, {OPERATION: op})


def _p95_change(seed: int, factor: float, runs: int = 3) -> tuple[bool, float, float, float]:
    rng = random.Random(seed)
    baseline = [_run(rng, 1.0) for _ in range(runs)]
    current = [_run(rng, factor) for _ in range(runs)]
    comparison = compare_runs(baseline, current, iterations=1000, seed=seed)
    change = next(c for c in comparison.changes if c.operation == OPERATION and c.metric == "p95")
    return change.regression, change.change, change.ci_low, change.ci_high


def test_histogram_quantiles_are_within_one_percent() -> None:
    """Quantiles read from the log-linear buckets are within 1% of the exact ones."""
    rng = random.Random(7)
    values = sorted(rng.lognormvariate(3, 1) for _ in range(20000))
    histogram = LatencyHistogram.of(values)
    for q in (0.5, 0.9, 0.95, 0.99):
        exact = values[round(q * len(values)) - 1]
        assert exact == pytest.approx(histogram.quantile_ms(q), rel=0.01)


def test_histograms_survive_json_and_merge_by_adding_counts() -> None:
    """A histogram read back from JSON is the same; merging adds the counts."""
    a = LatencyHistogram.of([1.0, 2.0, 300.0])
    b = LatencyHistogram.from_json(a.to_json())
    assert a == b
    b.merge(LatencyHistogram.of([5000.0]))
    assert 4 == b.total
    assert 5000 == pytest.approx(b.max_ms(), rel=0.01)


def test_a_a_runs_raise_no_alarm() -> None:
    """Twenty A/A comparisons (no change, 4% noise between runs): at most one false alarm."""
    alarms = sum(_p95_change(seed, 1.0)[0] for seed in range(20))
    assert alarms <= 1


def test_a_b_runs_with_25_percent_more_latency_are_detected_with_a_true_interval() -> None:
    """A 25% slowdown is reported every time; its 95% interval holds 25% nearly as often."""
    results = [_p95_change(seed, 1.25) for seed in range(10)]
    assert all(regression for regression, *_ in results)
    covered = sum(low < 0.25 < high for _, _, low, high in results)
    assert covered >= 8


def test_faster_runs_are_an_improvement_not_a_regression() -> None:
    """Latency that went down by 30% is an improvement."""
    rng = random.Random(3)
    comparison = compare_runs(
        [_run(rng, 1.0) for _ in range(3)], [_run(rng, 0.7) for _ in range(3)], iterations=500
    )
    assert [] == comparison.regressions
    assert {"p50", "p95"} == {c.metric for c in comparison.improvements if c.operation == OPERATION}


def test_report_message_names_metric_operation_change_and_interval() -> None:
    """The message reads like `p95 of POST /orders +25% (95% CI +17%…+33%)`."""
    rng = random.Random(11)
    comparison = compare_runs(
        [_run(rng, 1.0) for _ in range(3)], [_run(rng, 1.25) for _ in range(3)], iterations=500
    )
    messages = [c.message for c in comparison.regressions]
    assert any(
        m.startswith(f"p95 of {OPERATION} +") and "(95% CI +" in m and "…+" in m for m in messages
    )


def test_single_runs_carry_a_note_that_run_noise_is_not_measured() -> None:
    """With one run a side, the comparison says the between-run noise is unmeasured."""
    rng = random.Random(5)
    comparison = compare_runs([_run(rng, 1.0)], [_run(rng, 1.0)], iterations=200)
    assert 1 == len(comparison.notes)
    assert "repeat runs" in comparison.notes[0]
