"""Thresholds in k6's form: parsing, errors that name the flag, evaluation against a run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from interlock.errors import UserInputError
from interlock.perf import (
    LatencyHistogram,
    OperationResult,
    PerfRun,
    evaluate_thresholds,
    parse_threshold,
)


def _run() -> PerfRun:
    orders = OperationResult(
        "POST /orders", 100, 2, LatencyHistogram.of(float(v) for v in range(1, 101))
    )
    health = OperationResult("GET /health", 100, 0, LatencyHistogram.of([5.0] * 100))
    return PerfRun(
        "orders",
        "abc",
        "http://x",
        datetime.now(UTC),
        10.0,
        20.0,
        {o.name: o for o in (orders, health)},
    )


def test_threshold_reads_metric_comparison_value_and_unit() -> None:
    """`p95<200ms` is the 95th percentile below 200 milliseconds, for all operations."""
    threshold = parse_threshold("p95<200ms")
    assert ("p95", "<", 200.0, None) == (
        threshold.metric,
        threshold.comparison,
        threshold.limit,
        threshold.operation,
    )


@pytest.mark.parametrize(
    ("text", "metric", "limit", "operation"),
    [
        ("p(99.9) <= 1.5s", "p99.9", 1500.0, None),
        ("error_rate<1%", "error_rate", 0.01, None),
        ("POST /orders: p95<300ms", "p95", 300.0, "POST /orders"),
        ("GET /a:b: avg<2", "avg", 2.0, "GET /a:b"),
        ("rate>=950/s", "rate", 950.0, None),
        ("med<500us", "p50", 0.5, None),
    ],
)
def test_threshold_forms(text: str, metric: str, limit: float, operation: str | None) -> None:
    """Percentiles in k6's `p(99.9)` form, seconds and microseconds, percentages, rates, operations."""
    threshold = parse_threshold(text)
    assert (metric, operation) == (threshold.metric, threshold.operation)
    assert limit == pytest.approx(threshold.limit)


@pytest.mark.parametrize(
    "text", ["p95", "p95<fast", "error_rate<10ms", "p95<10%", "p100<1ms", "latency<1s"]
)
def test_bad_threshold_names_the_flag_and_the_expected_form(text: str) -> None:
    """A threshold that cannot be read is a user error naming --threshold and the text."""
    with pytest.raises(UserInputError) as raised:
        parse_threshold(text)
    assert str(raised.value).startswith(f"--threshold {text!r}:")


def test_evaluation_per_operation_and_overall() -> None:
    """Each threshold is measured on its operation (or all merged) and holds or not."""
    results = evaluate_thresholds(
        _run(),
        [
            parse_threshold("POST /orders: p95<90ms"),
            parse_threshold("POST /orders: p95<100ms"),
            parse_threshold("GET /health: p99<6ms"),
            parse_threshold("error_rate<=1%"),
            parse_threshold("GET /missing: p95<1s"),
        ],
    )
    assert [False, True, True, True, False] == [r.passed for r in results]
    assert 95.0 == pytest.approx(results[0].value, rel=0.01)
    assert 0.01 == pytest.approx(results[3].value)
    assert "no requests for GET /missing" in results[4].message
