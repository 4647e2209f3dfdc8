"""Evidence from resource metrics: a saturated CPU, memory that keeps growing, restarts.

Each `(service, metric)` series in the window is compared with the same series in the baseline:
CPU by a robust z (median shift over the baseline's spread), memory by its trend (Mann-Kendall).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Protocol

from interlock.telemetry.rca.evidence import Evidence

MIN_Z_CPU = 4.0
MIN_TREND_Z = 3.0


class MetricSource(Protocol):
    def series(
        self, start_unix_nano: int, end_unix_nano: int
    ) -> dict[tuple[str, str], list[tuple[int, float]]]: ...


def resource_kind(name: str) -> str | None:
    """cpu, memory or restarts for the metric names that say so; None for other metrics."""
    lowered = name.lower()
    if "restart" in lowered:
        return "restarts"
    if "cpu" in lowered and "time" not in lowered:
        return "cpu"
    if "memory" in lowered or lowered.endswith((".rss", ".heap")):
        return "memory"
    return None


def _spread(values: Sequence[float], center: float) -> float:
    mad = statistics.median(abs(v - center) for v in values)
    return 1.4826 * mad + 0.01 * abs(center) + 1e-9


def robust_z(baseline: Sequence[float], window: Sequence[float]) -> float:
    """(window median - baseline median) / the baseline's robust spread."""
    center = statistics.median(baseline)
    return (statistics.median(window) - center) / _spread(baseline, center)


def mann_kendall_z(values: Sequence[float]) -> float:
    """z of the Mann-Kendall trend test: positive for values that keep rising over time."""
    n = len(values)
    if n < 3:
        return 0.0
    s = sum(
        (values[j] > values[i]) - (values[j] < values[i]) for i in range(n) for j in range(i + 1, n)
    )
    variance = n * (n - 1) * (2 * n + 5) / 18
    return (s - (1 if s > 0 else -1 if s < 0 else 0)) / math.sqrt(variance)


def memory_growth(baseline: Sequence[float], window: Sequence[float]) -> float:
    """How strongly memory keeps growing in the window beyond the baseline's own trend.

    The window's Mann-Kendall z less the baseline's, when the rise from the window's first
    quarter to its last also exceeds twice the baseline's spread; else 0.
    """
    quarter = max(1, len(window) // 4)
    rise = statistics.median(window[-quarter:]) - statistics.median(window[:quarter])
    if rise < 2 * _spread(baseline, statistics.median(baseline)):
        return 0.0
    return mann_kendall_z(window) - max(0.0, mann_kendall_z(baseline))


def _cpu_saturated(values: Sequence[float]) -> bool:
    level = statistics.median(values)
    return level >= 0.8 if max(values) <= 1.5 else level >= 80.0  # a ratio or a percentage


def metric_evidence(
    source: MetricSource, start: int, end: int, baseline_start: int, baseline_end: int
) -> list[Evidence]:
    """Resource metrics of the window that moved beyond the baseline's spread."""
    before = source.series(baseline_start, baseline_end)
    now = source.series(start, end)
    found = []
    for (service, name), points in now.items():
        kind = resource_kind(name)
        usual = [v for _, v in before.get((service, name), [])]
        values = [v for _, v in points]
        if kind is None or len(usual) < 3 or len(values) < 3:
            continue
        z = robust_z(usual, values)
        level = statistics.median(values)
        if kind == "cpu" and z >= MIN_Z_CPU and _cpu_saturated(values):
            score = 2 + min(3.0, math.log2(z / MIN_Z_CPU))
            text = f"{name} {level:.2f} (usually {statistics.median(usual):.2f})"
            found.append(Evidence("metrics", service, score, text))
        elif kind == "memory":
            z = memory_growth(usual, values)
            if z >= MIN_TREND_Z:
                score = 2 + min(3.0, math.log2(z / MIN_TREND_Z))
                first, last = values[0], values[-1]
                text = f"{name} keeps growing: {first:.4g} to {last:.4g} (trend z {z:.1f})"
                found.append(Evidence("metrics", service, score, text))
        elif kind == "restarts" and max(values) > max(usual):
            text = f"{name} rose to {max(values):.0f} (was {max(usual):.0f})"
            found.append(Evidence("metrics", service, 3.0, text))
    return found
