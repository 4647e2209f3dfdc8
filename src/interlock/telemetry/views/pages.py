"""One function per telemetry page of the dashboard: ask the store, shape the answer, draw the SVG.

The web routes call these with the server's open `SpanStore` and render the result or its JSON.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from interlock.catalog import CatalogGraph, NodeKind
from interlock.errors import UserInputError
from interlock.telemetry.drift import DriftReport, store_drift
from interlock.telemetry.queries import parse_duration_s
from interlock.telemetry.rca.diagnose import default_baseline, format_time, parse_time_unix_nano
from interlock.telemetry.rca.metrics import MetricSource
from interlock.telemetry.rca.read import traces_between
from interlock.telemetry.rca.trace import Baseline, TraceTree, component_of, quantile, rca_trace
from interlock.telemetry.rca.window import WindowDiagnosis, rca_window
from interlock.telemetry.stores.interface import SpanStore, TraceQuery, TraceSummary
from interlock.telemetry.stores.metric_store import MetricStore
from interlock.telemetry.views.charts import red_charts_svg, scatter_svg
from interlock.telemetry.views.live_map import live_map_svg
from interlock.telemetry.views.logs import ServiceLogs, service_logs
from interlock.telemetry.views.red import ServiceRed, service_red
from interlock.telemetry.views.resources import ResourceSeries, resource_charts_svg, resource_series
from interlock.telemetry.views.traces import SearchForm, UsualFigure, Waterfall, waterfall

_NS = 1_000_000_000
TRACE_BASELINE_TRACES = 200
"""A trace page compares the trace with at most this many traces of its baseline."""
TRACE_WINDOW_S = 3600


class TraceNotFound(UserInputError):
    """No span and no log carries this trace id."""


def _now_ns(now: float | None) -> int:
    return int((time.time() if now is None else now) * _NS)


@dataclass(frozen=True)
class TraceSearch:
    """A search, its window, what it found and the scatter of those traces' durations."""

    form: SearchForm
    query: TraceQuery
    start_unix_nano: int
    end_unix_nano: int
    traces: list[TraceSummary]
    scatter: str

    def to_json(self) -> dict[str, Any]:
        return {
            "window": {
                "start": format_time(self.start_unix_nano),
                "end": format_time(self.end_unix_nano),
            },
            "traces": [
                {
                    "trace_id": t.trace_id,
                    "root_service": t.root_service,
                    "root_name": t.root_name,
                    "start": format_time(t.start_unix_nano),
                    "duration_ms": round(t.duration_ms, 3),
                    "span_count": t.span_count,
                    "error_count": t.error_count,
                    "services": list(t.services),
                }
                for t in self.traces
            ],
        }


def trace_search(store: SpanStore, form: SearchForm, now: float | None = None) -> TraceSearch:
    """Run the search of `form`; UserInputError naming the field that is malformed."""
    now_ns = _now_ns(now)
    query = form.query(now_ns)
    start, end = form.window(now_ns)
    found = store.search(query)
    return TraceSearch(form, query, start, end, found, scatter_svg(found, start, end))


def trace_baseline(first_unix_nano: int) -> tuple[int, int]:
    """The baseline of a trace starting at `first_unix_nano`, by the window RCA's rule.

    The trace's window is the hour up to it; the baseline is the hour before that window, so
    an incident that began within the hour is not its own "usual".
    """
    window_start = first_unix_nano - TRACE_WINDOW_S * _NS
    return default_baseline(window_start, first_unix_nano)


def trace_waterfall(store: SpanStore, trace_id: str) -> Waterfall:
    """The waterfall and diagnosis of one trace, against the usual self times of its baseline."""
    trace_id = trace_id.strip().lower()
    if len(trace_id) != 32 or any(c not in "0123456789abcdef" for c in trace_id):
        raise UserInputError(f"trace id {trace_id!r}: expected 32 hex digits")
    spans = store.get_trace(trace_id)
    if not spans:
        raise TraceNotFound(f"trace {trace_id}: no spans stored with this id")
    first = min(s.start_unix_nano for s in spans)
    baseline_start, baseline_end = trace_baseline(first)
    others = [
        t
        for t in traces_between(store, baseline_start, baseline_end, limit=TRACE_BASELINE_TRACES)
        if t[0].trace_id != trace_id
    ]
    baseline = Baseline.from_traces(others)
    diagnosis = rca_trace(spans, baseline)
    root = component_of(diagnosis.root)
    durations = sorted(
        TraceTree(t).duration_ms for t in others if component_of(TraceTree(t).root) == root
    )
    usual = UsualFigure(
        baseline_start,
        baseline_end,
        baseline.traces,
        quantile(durations, 0.5) if durations else None,
        baseline.root_p95_ms.get(root),
    )
    return replace(waterfall(spans, store.logs_for_trace(trace_id), diagnosis), usual=usual)


@dataclass(frozen=True)
class LiveMap:
    """Observed and declared edges over a window, the drift findings, and the map drawn."""

    window: str
    start_unix_nano: int
    end_unix_nano: int
    report: DriftReport
    svg: str

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "start": format_time(self.start_unix_nano),
            "end": format_time(self.end_unix_nano),
            **self.report.to_json(),
        }


def live_map(
    store: SpanStore, graph: CatalogGraph, window: str = "15m", now: float | None = None
) -> LiveMap:
    """The live map of the `window` (a duration such as 15m) before now."""
    end = _now_ns(now)
    start = end - int(parse_duration_s(window) * _NS)
    report = store_drift(graph, store, start, end)
    return LiveMap(window, start, end, report, live_map_svg(report))


@dataclass(frozen=True)
class RedView:
    """A catalog service's RED figures (under its telemetry name), their three charts, and
    its resource metrics (CPU, memory, restarts) with their charts when there are any."""

    name: str
    telemetry_name: str
    red: ServiceRed
    charts: list[str]
    resources: list[ResourceSeries] = field(default_factory=list)
    resource_charts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "telemetry_name": self.telemetry_name,
            **self.red.to_json(),
            "resources": [r.to_json() for r in self.resources],
        }


def telemetry_name(graph: CatalogGraph, name: str) -> str:
    """The `service.name` of the catalog service `name` (its own name when not mapped)."""
    node = graph.get(NodeKind.SERVICE, name)
    return str(node.attrs.get("telemetry_name") or name) if node else name


def service_red_view(
    store: SpanStore,
    graph: CatalogGraph,
    name: str,
    window: str,
    now: float | None = None,
    metrics: MetricStore | None = None,
) -> RedView:
    """RED of the service called `name` in the catalog (or, if not there, in its spans)."""
    telemetry = telemetry_name(graph, name)
    red = service_red(store, telemetry, window, _now_ns(now) / _NS)
    resources = resource_series(metrics, telemetry, red.start_unix, red.end_unix)
    return RedView(
        name, telemetry, red, red_charts_svg(red), resources, resource_charts_svg(resources)
    )


Window = tuple[int, int]


def window_bounds(
    since: str = "15m",
    start: str = "",
    end: str = "",
    baseline_start: str = "",
    baseline_end: str = "",
    now: float | None = None,
) -> tuple[Window, Window]:
    """The window (`since` before now, or `start`..`end`, RFC 3339) and its baseline (given,
    or the same length just before), in Unix ns; UserInputError naming the bad field."""
    end_ns = parse_time_unix_nano(end, "end") if end.strip() else _now_ns(now)
    if start.strip():
        start_ns = parse_time_unix_nano(start, "start")
    else:
        start_ns = end_ns - int(parse_duration_s(since or "15m") * _NS)
    if end_ns <= start_ns:
        raise UserInputError(
            f"window {format_time(start_ns)} .. {format_time(end_ns)}: expected the end after the start"
        )
    if bool(baseline_start.strip()) != bool(baseline_end.strip()):
        raise UserInputError("baseline_start and baseline_end go together")
    if not baseline_start.strip():
        return (start_ns, end_ns), default_baseline(start_ns, end_ns)
    before = (
        parse_time_unix_nano(baseline_start, "baseline_start"),
        parse_time_unix_nano(baseline_end, "baseline_end"),
    )
    if before[1] <= before[0]:
        raise UserInputError(
            f"baseline {format_time(before[0])} .. {format_time(before[1])}: "
            "expected the end after the start"
        )
    return (start_ns, end_ns), before


def window_rca(
    store: SpanStore,
    since: str = "15m",
    start: str = "",
    end: str = "",
    service: str = "",
    now: float | None = None,
    metrics: MetricSource | None = None,
    baseline_start: str = "",
    baseline_end: str = "",
) -> WindowDiagnosis:
    """RCA of `since` before now, or of `start`..`end` (RFC 3339), against the window before
    (or `baseline_start`..`baseline_end`)."""
    window, baseline = window_bounds(since, start, end, baseline_start, baseline_end, now)
    return rca_window(store, *window, *baseline, service.strip() or None, metrics=metrics)


def service_logs_view(
    store: SpanStore,
    graph: CatalogGraph,
    name: str,
    since: str = "15m",
    start: str = "",
    end: str = "",
    now: float | None = None,
) -> ServiceLogs:
    """The log templates of the service called `name`, in the window against the one before."""
    window, baseline = window_bounds(since, start, end, now=now)
    return service_logs(store, name, telemetry_name(graph, name), window, baseline)
