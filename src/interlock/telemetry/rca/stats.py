"""Distribution shift between a baseline sample and a window sample, weighed for RCA.

A Mann-Whitney test says whether the window's values are larger at all; quantile ratios with a
noise floor and the absolute excess say by how much, so that neither tiny noise nor huge but
ordinary values win.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

FLOOR_MS = 0.5
"""Below this, latency differences are noise: ratios are taken of `value + FLOOR_MS`."""
HALF_WEIGHT_MS = 5.0
"""An absolute excess of this many ms weighs half as much as a large one."""
MIN_Z = 3.0
MIN_RATIO = 1.25
MAX_SAMPLE = 1500


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile of sorted `values`; 0.0 when empty."""
    if not values:
        return 0.0
    index = min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))
    return values[index]


def _thin(values: Sequence[float]) -> list[float]:
    """At most MAX_SAMPLE evenly spaced values of sorted `values` (the test's cost is n log n)."""
    if len(values) <= MAX_SAMPLE:
        return list(values)
    step = len(values) / MAX_SAMPLE
    return [values[int(i * step)] for i in range(MAX_SAMPLE)]


def mann_whitney_z(baseline: Sequence[float], window: Sequence[float]) -> float:
    """z of the Mann-Whitney U test, positive when the window's values tend to be larger."""
    a, b = _thin(baseline), _thin(window)
    n1, n2 = len(a), len(b)
    if not n1 or not n2:
        return 0.0
    merged = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    rank_sum = 0.0
    ties = 0.0
    i = 0
    while i < len(merged):
        j = i
        while j + 1 < len(merged) and merged[j + 1][0] == merged[i][0]:
            j += 1
        average = (i + j) / 2 + 1
        count = j - i + 1
        ties += count**3 - count
        rank_sum += average * sum(1 for k in range(i, j + 1) if merged[k][1] == 1)
        i = j + 1
    u = rank_sum - n2 * (n2 + 1) / 2
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:
        return 0.0
    return (u - n1 * n2 / 2) / math.sqrt(variance)


@dataclass(frozen=True)
class Shift:
    """How a window's values moved from the baseline's: the largest of the median and p90 moves."""

    baseline_ms: float
    window_ms: float
    ratio: float
    excess_ms: float
    z: float
    quantile: float

    @property
    def score(self) -> float:
        """log2 of the floored ratio, weighed by the absolute excess; 0 when not significant."""
        if self.z < MIN_Z or self.ratio < MIN_RATIO or self.excess_ms <= 0:
            return 0.0
        weight = self.excess_ms / (self.excess_ms + HALF_WEIGHT_MS)
        return math.log2(self.ratio) * weight

    def describe(self) -> str:
        return (
            f"p{round(self.quantile * 100)} {self.window_ms:.1f} ms vs {self.baseline_ms:.1f} ms "
            f"(x{self.ratio:.1f})"
        )


def latency_shift(baseline: Sequence[float], window: Sequence[float]) -> Shift | None:
    """The shift of sorted `window` against sorted `baseline` (None with under 3 values each)."""
    if len(baseline) < 3 or len(window) < 3:
        return None
    best: Shift | None = None
    z = mann_whitney_z(baseline, window)
    for q in (0.5, 0.9):
        before, after = quantile(baseline, q), quantile(window, q)
        ratio = (after + FLOOR_MS) / (before + FLOOR_MS)
        shift = Shift(before, after, ratio, after - before, z, q)
        if (
            best is None
            or shift.score > best.score
            or (shift.score == best.score and shift.ratio > best.ratio)
        ):
            best = shift
    return best


def rate_ratio(baseline_count: int, window_count: int, scale: float) -> float:
    """How many times more often something happened in the window (+1 smoothing on both)."""
    return (window_count + 1) / (baseline_count * scale + 1)
