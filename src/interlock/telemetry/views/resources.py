"""A service's resource metrics (CPU, memory, restarts) per minute, as series and SVG charts.

Read from the metric store that `POST /v1/metrics` fills; the metric names that say what they
measure (`rca_metrics.resource_kind`) are shown, one chart per kind, a line per metric.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from interlock.telemetry.rca.diagnose import format_time
from interlock.telemetry.rca.metrics import resource_kind
from interlock.telemetry.stores.metric_store import MetricStore
from interlock.telemetry.views.charts import line_chart_svg

_NS = 1_000_000_000
_MIB = 1024 * 1024
# how each kind is drawn: title, y axis label, tick format
_KINDS = {
    "cpu": ("CPU", "CPU %", ".0f"),
    "memory": ("Memory", "MiB", ".0f"),
    "restarts": ("Restarts", "restarts", "g"),
}


@dataclass(frozen=True)
class ResourceSeries:
    """One metric of the service per minute (the mean of its points; restarts: the most)."""

    kind: str  # cpu | memory | restarts
    metric: str
    unit: str
    minutes_unix: list[int]
    values: list[float | None]  # None: no point in that minute

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "metric": self.metric,
            "unit": self.unit,
            "series": [
                {"minute": format_time(m * _NS), "value": v}
                for m, v in zip(self.minutes_unix, self.values, strict=True)
            ],
        }


def resource_series(
    metrics: MetricStore | None, service: str, start_unix: int, end_unix: int
) -> list[ResourceSeries]:
    """The resource metrics of `service` over the minutes `[start_unix, end_unix)`."""
    if metrics is None:
        return []
    minutes = list(range(start_unix, end_unix, 60))
    found: dict[tuple[str, str, str], dict[int, list[float]]] = {}
    for point in metrics.points(start_unix * _NS, end_unix * _NS, service):
        kind = resource_kind(point.name)
        if kind is not None:
            per_minute = found.setdefault((kind, point.name, point.unit), {})
            minute = point.time_unix_nano // _NS // 60 * 60
            per_minute.setdefault(minute, []).append(point.value)
    series = []
    for (kind, name, unit), per_minute in sorted(found.items()):
        combine = max if kind == "restarts" else statistics.fmean
        values = [combine(per_minute[m]) if m in per_minute else None for m in minutes]
        series.append(ResourceSeries(kind, name, unit, minutes, values))
    return series


def _scaled(series: ResourceSeries) -> list[float | None]:
    """Values in the unit the chart shows: CPU in %, memory in MiB."""
    present = [v for v in series.values if v is not None]
    if series.kind == "cpu" and present and max(present) <= 1.5:  # a ratio, not a percentage
        return [None if v is None else v * 100 for v in series.values]
    if series.kind == "memory":
        return [None if v is None else v / _MIB for v in series.values]
    return series.values


def resource_charts_svg(series: list[ResourceSeries]) -> list[str]:
    """One chart per kind that has points, a line per metric."""
    charts = []
    for kind, (title, label, fmt) in _KINDS.items():
        mine = [s for s in series if s.kind == kind]
        if mine:
            lines: dict[str, Sequence[float | None]] = {s.metric: _scaled(s) for s in mine}
            charts.append(line_chart_svg(title, label, mine[0].minutes_unix, lines, fmt))
    return charts
