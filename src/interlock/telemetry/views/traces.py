"""What the trace pages show: the waterfall rows of one trace, and a search read from a form.

Pure functions over stored spans and logs; the dashboard renders them, the API returns `to_json`.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from interlock.errors import UserInputError
from interlock.telemetry.model import LogRecord, Span, StatusCode
from interlock.telemetry.queries import parse_duration_s
from interlock.telemetry.rca.diagnose import format_time, parse_time_unix_nano
from interlock.telemetry.rca.trace import TraceDiagnosis, TraceTree, operation_of
from interlock.telemetry.stores.interface import AttributeFilter, TraceQuery

SERVICE_COLOURS: tuple[str, ...] = (
    "#1f77b4",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#ff7f0e",
    "#7f7f7f",
    "#393b79",
)
"""Bar colours per service; red is kept for errors."""

_NS_PER_MS = 1_000_000
_STATUSES = {"error": StatusCode.ERROR, "ok": StatusCode.OK, "unset": StatusCode.UNSET}


def service_colour(service: str) -> str:
    """The same colour for a service on every page (a hash of its name into the palette)."""
    return SERVICE_COLOURS[zlib.crc32(service.encode()) % len(SERVICE_COLOURS)]


@dataclass(frozen=True)
class WaterfallRow:
    """One span as a bar: where it starts and how long it is, in ms and in % of the trace."""

    span: Span
    depth: int
    offset_ms: float
    self_ms: float
    offset_pct: float
    width_pct: float
    colour: str
    critical: bool
    root_cause: bool
    logs: tuple[LogRecord, ...] = ()

    @property
    def operation(self) -> str:
        return operation_of(self.span)

    def to_json(self) -> dict[str, Any]:
        s = self.span
        return {
            "span_id": s.span_id,
            "parent_span_id": s.parent_span_id,
            "service": s.service,
            "name": s.name,
            "operation": self.operation,
            "kind": s.kind.name,
            "depth": self.depth,
            "start": format_time(s.start_unix_nano),
            "offset_ms": round(self.offset_ms, 3),
            "duration_ms": round(s.duration_ms, 3),
            "self_ms": round(self.self_ms, 3),
            "status_code": s.status_code.name,
            "status_message": s.status_message,
            "critical": self.critical,
            "root_cause": self.root_cause,
            "colour": self.colour,
            "attributes": s.attributes,
            "resource": s.resource,
            "events": [
                {
                    "time": format_time(e.time_unix_nano),
                    "offset_ms": round((e.time_unix_nano - s.start_unix_nano) / _NS_PER_MS, 3),
                    "name": e.name,
                    "attributes": e.attributes,
                }
                for e in s.events
            ],
            "logs": [log_json(r) for r in self.logs],
        }


@dataclass(frozen=True)
class UsualFigure:
    """The baseline a trace is compared with, and its root operation's usual duration there."""

    start_unix_nano: int
    end_unix_nano: int
    traces: int
    root_median_ms: float | None
    root_p95_ms: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "baseline_start": format_time(self.start_unix_nano),
            "baseline_end": format_time(self.end_unix_nano),
            "baseline_traces": self.traces,
            "root_median_ms": self.root_median_ms,
            "root_p95_ms": self.root_p95_ms,
        }


@dataclass(frozen=True)
class Waterfall:
    """A trace laid out for reading: rows in tree order, time ticks, services and their colours."""

    trace_id: str
    start_unix_nano: int
    duration_ms: float
    rows: list[WaterfallRow]
    services: dict[str, str]
    ticks: list[tuple[float, str]]
    diagnosis: TraceDiagnosis
    other_logs: list[LogRecord] = field(default_factory=list)
    usual: UsualFigure | None = None  # what "usual" means on the page: the baseline compared with

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if r.span.is_error)

    def to_json(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "start": format_time(self.start_unix_nano),
            "duration_ms": round(self.duration_ms, 3),
            "span_count": len(self.rows),
            "error_count": self.error_count,
            "services": self.services,
            "spans": [r.to_json() for r in self.rows],
            "logs_without_span": [log_json(r) for r in self.other_logs],
            "diagnosis": self.diagnosis.to_json(),
            "usual": self.usual.to_json() if self.usual else None,
        }


def log_json(record: LogRecord) -> dict[str, Any]:
    return {
        "time": format_time(record.time_unix_nano),
        "severity_text": record.severity_text,
        "severity_number": record.severity_number,
        "body": record.body,
        "service": record.service,
        "trace_id": record.trace_id,
        "span_id": record.span_id,
        "attributes": record.attributes,
    }


def time_ticks(duration_ms: float, count: int = 5) -> list[tuple[float, str]]:
    """Axis ticks as (% of the width, label) at round millisecond steps."""
    if duration_ms <= 0:
        return [(0.0, "0 ms")]
    step = nice_step(duration_ms / count)
    ticks = []
    value = 0.0
    while value <= duration_ms * 1.0001:
        ticks.append((100.0 * value / duration_ms, format_ms(value)))
        value += step
    return ticks


def nice_step(raw: float) -> float:
    """The 1, 2 or 5 times a power of ten at or above `raw`."""
    if raw <= 0:
        return 1.0
    power = 10.0 ** _floor_log10(raw)
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * power >= raw:
            return factor * power
    return 10.0 * power


def _floor_log10(value: float) -> int:
    exponent = 0
    while value >= 10:
        value /= 10
        exponent += 1
    while value < 1:
        value *= 10
        exponent -= 1
    return exponent


def format_ms(value: float) -> str:
    """`0 ms`, `12.5 ms`, `1.2 s`: short labels for axes and tables."""
    if value >= 1000:
        return f"{value / 1000:.3g} s"
    return f"{value:.3g} ms" if value else "0 ms"


def waterfall(
    spans: Sequence[Span], logs: Sequence[LogRecord], diagnosis: TraceDiagnosis
) -> Waterfall:
    """Rows in depth-first order (children by start), with self time and critical-path flags."""
    tree = TraceTree(spans)
    start = tree.start_unix_nano
    total_ns = max(1, tree.end_unix_nano - start)
    critical = {p.span.span_id for p in diagnosis.critical_path}
    causes = {c.span.span_id for c in diagnosis.root_causes}
    span_ids = {s.span_id for s in tree.spans}
    by_span: dict[str, list[LogRecord]] = {}
    other: list[LogRecord] = []
    for record in logs:
        if record.span_id and record.span_id in span_ids:
            by_span.setdefault(record.span_id, []).append(record)
        else:
            other.append(record)
    rows: list[WaterfallRow] = []
    stack = [(root, 0) for root in reversed(sorted(tree.roots, key=lambda s: s.start_unix_nano))]
    while stack:
        span, depth = stack.pop()
        offset = span.start_unix_nano - start
        rows.append(
            WaterfallRow(
                span=span,
                depth=depth,
                offset_ms=offset / _NS_PER_MS,
                self_ms=tree.self_ns(span) / _NS_PER_MS,
                offset_pct=100.0 * offset / total_ns,
                width_pct=max(0.2, 100.0 * span.duration_ns / total_ns),
                colour=service_colour(span.service),
                critical=span.span_id in critical,
                root_cause=span.span_id in causes,
                logs=tuple(by_span.get(span.span_id, ())),
            )
        )
        children = tree.children[span.span_id]
        stack.extend((child, depth + 1) for child in reversed(children))
    services = {s: service_colour(s) for s in sorted({r.span.service for r in rows})}
    duration_ms = total_ns / _NS_PER_MS
    return Waterfall(
        trace_id=tree.root.trace_id,
        start_unix_nano=start,
        duration_ms=duration_ms,
        rows=rows,
        services=services,
        ticks=time_ticks(duration_ms),
        diagnosis=diagnosis,
        other_logs=other,
    )


@dataclass(frozen=True)
class SearchForm:
    """The trace search as a person typed it; `query()` turns it into a `TraceQuery`."""

    service: str = ""
    operation: str = ""
    attributes: tuple[str, ...] = ()
    min_ms: str = ""
    max_ms: str = ""
    status: str = ""
    since: str = "1h"
    start: str = ""
    end: str = ""
    limit: int = 50

    def query(self, now_unix_nano: int) -> TraceQuery:
        """The store query; UserInputError naming the field for anything malformed."""
        filters = []
        for text in self.attributes:
            if not text.strip():
                continue
            try:
                filters.append(AttributeFilter.parse(text))
            except ValueError as error:
                raise UserInputError(f"attribute: {error}") from None
        status = None
        if self.status.strip():
            status = _STATUSES.get(self.status.strip().lower())
            if status is None:
                raise UserInputError(f"status {self.status!r}: expected error, ok or unset")
        start, end = self.window(now_unix_nano)
        if not 1 <= self.limit <= 1000:
            raise UserInputError(f"limit {self.limit}: expected 1 to 1000")
        return TraceQuery(
            service=self.service.strip() or None,
            operation=self.operation.strip() or None,
            attributes=tuple(filters),
            min_duration_ms=_milliseconds("min_ms", self.min_ms),
            max_duration_ms=_milliseconds("max_ms", self.max_ms),
            status=status,
            start_unix_nano=start,
            end_unix_nano=end,
            limit=self.limit,
        )

    def window(self, now_unix_nano: int) -> tuple[int, int]:
        """`[start, end)`: absolute times when given, else the `since` duration before now."""
        end = parse_time_unix_nano(self.end, "end") if self.end.strip() else now_unix_nano
        if self.start.strip():
            start = parse_time_unix_nano(self.start, "start")
        else:
            start = end - int(parse_duration_s(self.since or "1h") * 1_000_000_000)
        if end <= start:
            raise UserInputError(
                f"window {format_time(start)} .. {format_time(end)}: expected the end after the start"
            )
        return start, end


def _milliseconds(name: str, text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text.removesuffix("ms").strip())
    except ValueError:
        raise UserInputError(f"{name} {text!r}: expected a number of milliseconds") from None
    if value < 0:
        raise UserInputError(f"{name} {text!r}: expected zero or more milliseconds")
    return value
