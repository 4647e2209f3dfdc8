"""RED figures of one service over a window: a per-minute series and a per-operation table.

Read from the store's per-minute operation aggregates, which count every span, sampled or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlock.errors import UserInputError
from interlock.telemetry.intake.aggregates import LATENCY_BUCKETS_MS, quantile_ms
from interlock.telemetry.rca.diagnose import format_time
from interlock.telemetry.stores.interface import SpanStore

WINDOWS: dict[str, int] = {"15m": 15 * 60, "1h": 3600, "6h": 6 * 3600}
"""The windows the RED page offers, in seconds."""

_NS = 1_000_000_000


def window_seconds(text: str) -> int:
    """One of `WINDOWS`; UserInputError naming the choices otherwise."""
    if text not in WINDOWS:
        raise UserInputError(f"window {text!r}: expected one of {', '.join(WINDOWS)}")
    return WINDOWS[text]


@dataclass(frozen=True)
class RedPoint:
    """One minute of a service: calls, errors and latency quantiles (bucket upper bounds)."""

    minute_unix: int
    calls: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    def to_json(self) -> dict[str, Any]:
        return {
            "minute": format_time(self.minute_unix * _NS),
            "calls": self.calls,
            "errors": self.errors,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "p99_ms": self.p99_ms,
        }


@dataclass(frozen=True)
class OperationRed:
    """One operation of the service over the whole window."""

    operation: str
    calls: int
    errors: int
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "calls": self.calls,
            "errors": self.errors,
            "error_rate": round(self.error_rate, 4),
            "mean_ms": round(self.mean_ms, 3),
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "p99_ms": self.p99_ms,
        }


@dataclass(frozen=True)
class ServiceRed:
    """A service's RED series (every minute of the window, empty ones as zeros) and table."""

    service: str
    window: str
    start_unix: int
    end_unix: int
    points: list[RedPoint]
    operations: list[OperationRed]

    @property
    def calls(self) -> int:
        return sum(p.calls for p in self.points)

    @property
    def errors(self) -> int:
        return sum(p.errors for p in self.points)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "window": self.window,
            "start": format_time(self.start_unix * _NS),
            "end": format_time(self.end_unix * _NS),
            "calls": self.calls,
            "errors": self.errors,
            "series": [p.to_json() for p in self.points],
            "operations": [o.to_json() for o in self.operations],
        }


class _Tally:
    """Calls, errors, total time and a histogram, summed over minutes or operations."""

    def __init__(self, size: int) -> None:
        self.calls = 0
        self.errors = 0
        self.total_ms = 0.0
        self.histogram = [0] * size

    def add(self, calls: int, errors: int, total_ms: float, histogram: tuple[int, ...]) -> None:
        self.calls += calls
        self.errors += errors
        self.total_ms += total_ms
        self.histogram = [a + b for a, b in zip(self.histogram, histogram, strict=True)]

    def figures(self) -> tuple[int, int, float, list[int]]:
        return self.calls, self.errors, self.total_ms, self.histogram


def service_red(store: SpanStore, service: str, window: str, now_unix: float) -> ServiceRed:
    """RED of `service` (its OpenTelemetry name) over the `window` before `now_unix`."""
    seconds = window_seconds(window)
    end_minute = int(now_unix) // 60 * 60
    start_minute = end_minute - seconds + 60
    stats = store.operations(service, start_minute * _NS, (end_minute + 60) * _NS)
    size = len(LATENCY_BUCKETS_MS) + 1
    minutes = {m: _Tally(size) for m in range(start_minute, end_minute + 60, 60)}
    operations: dict[str, _Tally] = {}
    for row in stats:
        if row.minute_unix in minutes:
            minutes[row.minute_unix].add(row.calls, row.errors, row.total_ms, row.histogram)
        operations.setdefault(row.operation, _Tally(size)).add(
            row.calls, row.errors, row.total_ms, row.histogram
        )
    points = [
        RedPoint(
            minute,
            calls,
            errors,
            quantile_ms(histogram, 0.5),
            quantile_ms(histogram, 0.95),
            quantile_ms(histogram, 0.99),
        )
        for minute, (calls, errors, _, histogram) in sorted(
            (m, t.figures()) for m, t in minutes.items()
        )
    ]
    table = [
        OperationRed(
            name,
            calls,
            errors,
            total / calls if calls else 0.0,
            quantile_ms(histogram, 0.5),
            quantile_ms(histogram, 0.95),
            quantile_ms(histogram, 0.99),
        )
        for name, (calls, errors, total, histogram) in (
            (n, t.figures()) for n, t in operations.items()
        )
    ]
    table.sort(key=lambda o: (-o.calls, o.operation))
    return ServiceRed(service, window, start_minute, end_minute + 60, points, table)
