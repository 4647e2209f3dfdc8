"""The error-rate check after a migration: the consumers' error rate in the span store over a
watch period, compared with their baseline before the migration; a rise undoes the migration.

The span store keeps RED aggregates per service and minute (complete, whatever the trace
sampling), so the windows are whole minutes: the baseline is the `baseline_minutes` before
the minute the migration started in, the watch runs from that minute to the end of the
period. A minute shared by traffic before and after the migration dilutes a rise; the
`min_errors` floor keeps one failed request of ten from undoing a migration.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from interlock.migrations.apply_model import Verification

_NS = 1_000_000_000


@dataclass(frozen=True)
class ErrorRateWatch:
    """Which services to watch, for how long, where their spans are, and what counts as a rise."""

    seconds: float
    services: tuple[str, ...]
    data_dir: Path
    span_store_url: str = ""
    margin: float = 0.05  # allowed rise of the error rate over the baseline (0.05: 5 points)
    min_errors: int = 3  # fewer errors during the watch never count as a rise
    baseline_minutes: int = 15


@dataclass(frozen=True)
class ErrorRate:
    calls: int
    errors: int

    @property
    def rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0

    def __str__(self) -> str:
        return f"{self.rate:.1%} ({self.errors}/{self.calls})"


def watch_error_rates(
    watch: ErrorRateWatch,
    started_unix: float,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Verification]:
    """Wait out the watch period, then one verification per service: its error rate since
    the migration started against its baseline."""
    from interlock.telemetry import open_store

    end = time.time() + watch.seconds
    sleep(max(0.0, end - time.time()))
    minute = int(started_unix) // 60 * 60
    found = []
    with open_store(watch.data_dir, watch.span_store_url) as store:
        for service in watch.services:

            def rate(start: float, stop: float, name: str = service) -> ErrorRate:
                rows = store.operations(name, int(start * _NS), int(stop * _NS))
                return ErrorRate(sum(r.calls for r in rows), sum(r.errors for r in rows))

            baseline = rate(minute - watch.baseline_minutes * 60, minute)
            during = rate(minute, end + 60)
            found.append(_judge(service, baseline, during, watch))
    return found


def _judge(
    service: str, baseline: ErrorRate, during: ErrorRate, watch: ErrorRateWatch
) -> Verification:
    name = f"{service} error rate"
    if during.calls == 0:
        return Verification("error-rate", name, True, None)
    rose = during.rate > baseline.rate + watch.margin and during.errors >= watch.min_errors
    if not rose:
        return Verification("error-rate", name, True, None)
    return Verification(
        "error-rate",
        name,
        False,
        f"{during} since the migration, baseline {baseline} over {watch.baseline_minutes} min",
    )


def watched_services(consumers: Sequence[str], extra: Sequence[str]) -> tuple[str, ...]:
    """The consumers of the contracts and any service named on its own, each once."""
    return tuple(dict.fromkeys([*consumers, *extra]))
