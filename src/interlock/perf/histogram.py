"""Latency histograms in the HdrHistogram layout: log-linear buckets, 64 per power of two.

Values are whole microseconds; a bucket is at most 1/64 of its value wide, so any quantile
read back is within 0.8% of the true one. Histograms merge by adding counts.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_LINEAR = 128  # values below this have a bucket each (1 µs wide)
_HALF = _LINEAR // 2


def bucket_of(value_us: int) -> int:
    """The index of the bucket holding `value_us` (negative values count as 0)."""
    if value_us < _LINEAR:
        return max(value_us, 0)
    shift = value_us.bit_length() - 7
    return _LINEAR + (shift - 1) * _HALF + ((value_us >> shift) - _HALF)


def bucket_bounds(index: int) -> tuple[int, int]:
    """The lowest and highest value (µs) bucket `index` holds."""
    if index < _LINEAR:
        return index, index
    shift = (index - _LINEAR) // _HALF + 1
    mantissa = (index - _LINEAR) % _HALF + _HALF
    low = mantissa << shift
    return low, low + (1 << shift) - 1


def bucket_value_ms(index: int) -> float:
    """The value a bucket stands for: its midpoint, in milliseconds."""
    low, high = bucket_bounds(index)
    return (low + high) / 2 / 1000


@dataclass
class LatencyHistogram:
    """Counts per bucket, kept sparse: `{bucket index: count}`."""

    counts: dict[int, int] = field(default_factory=dict)
    total: int = 0

    def record_ms(self, value_ms: float) -> None:
        index = bucket_of(int(value_ms * 1000))
        self.counts[index] = self.counts.get(index, 0) + 1
        self.total += 1

    def merge(self, other: LatencyHistogram) -> None:
        for index, count in other.counts.items():
            self.counts[index] = self.counts.get(index, 0) + count
        self.total += other.total

    def quantile_ms(self, q: float) -> float:
        """The value below which a share `q` (0-1) of the recorded values lie; 0 when empty."""
        return self.cumulative().value_at_rank(max(1, round(q * self.total)))

    def mean_ms(self) -> float:
        if not self.total:
            return 0.0
        return sum(bucket_value_ms(i) * c for i, c in self.counts.items()) / self.total

    def max_ms(self) -> float:
        return bucket_value_ms(max(self.counts)) if self.counts else 0.0

    def cumulative(self) -> CumulativeHistogram:
        indexes = sorted(self.counts)
        running = 0
        ranks: list[int] = []
        for index in indexes:
            running += self.counts[index]
            ranks.append(running)
        return CumulativeHistogram(tuple(ranks), tuple(bucket_value_ms(i) for i in indexes))

    def to_json(self) -> dict[str, int]:
        """Bucket index (as text, for JSON objects) -> count."""
        return {str(index): self.counts[index] for index in sorted(self.counts)}

    @classmethod
    def from_json(cls, data: Mapping[str, int]) -> LatencyHistogram:
        counts = {int(index): int(count) for index, count in data.items()}
        return cls(counts, sum(counts.values()))

    @classmethod
    def of(cls, values_ms: Iterable[float]) -> LatencyHistogram:
        histogram = cls()
        for value in values_ms:
            histogram.record_ms(value)
        return histogram

    def buckets_ms(self) -> list[tuple[float, float, int]]:
        """(low ms, high ms, count) per non-empty bucket, in order: for charts."""
        out = []
        for index in sorted(self.counts):
            low, high = bucket_bounds(index)
            out.append((low / 1000, (high + 1) / 1000, self.counts[index]))
        return out


@dataclass(frozen=True)
class CumulativeHistogram:
    """A histogram ready for rank look-ups: the running count at the end of each bucket."""

    ranks: tuple[int, ...]
    values_ms: tuple[float, ...]

    @property
    def total(self) -> int:
        return self.ranks[-1] if self.ranks else 0

    def value_at_rank(self, rank: int) -> float:
        """The `rank`-th smallest value (1-based), clipped into the recorded range."""
        if not self.ranks:
            return 0.0
        position = bisect.bisect_left(self.ranks, min(max(rank, 1), self.ranks[-1]))
        return self.values_ms[position]
