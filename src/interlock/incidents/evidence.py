"""What the incident page lays beside the alerts from the span store: error-rate and p95
curves of the involved services per minute, and their error log lines grouped by template."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from interlock.incidents.service_labels import ServiceNames
from interlock.incidents.sources.span_rules import Tally
from interlock.telemetry import SpanStore, TemplateMiner, message_of

_NS = 1_000_000_000
ERROR_SEVERITY = 17  # OpenTelemetry's ERROR and above
LOG_TRACES = 30  # traces whose logs are read, at most
LOG_GROUPS = 20


@dataclass(frozen=True)
class CurvePoint:
    """One minute of a service: calls, errors, p95 (the histogram bucket's bound)."""

    minute_unix: int
    calls: int
    errors: int
    p95_ms: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0

    @property
    def at(self) -> datetime:
        """The middle of the minute, where the point is drawn."""
        return datetime.fromtimestamp(self.minute_unix + 30, tz=UTC)

    def to_json(self) -> dict[str, Any]:
        return {
            "minute": datetime.fromtimestamp(self.minute_unix, tz=UTC)
            .isoformat()
            .replace("+00:00", "Z"),
            "calls": self.calls,
            "errors": self.errors,
            "error_rate": round(self.error_rate, 4),
            "p95_ms": self.p95_ms,
        }


@dataclass(frozen=True)
class ServiceCurve:
    """A service's minutes over the incident's time axis."""

    service: str
    points: tuple[CurvePoint, ...]

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "points": [p.to_json() for p in self.points]}


@dataclass(frozen=True)
class LogGroup:
    """Error log lines of the involved services that share one message template."""

    template: str
    count: int
    services: tuple[str, ...]
    example: str
    example_trace_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "count": self.count,
            "services": list(self.services),
            "example": self.example,
            "example_trace_id": self.example_trace_id,
        }


def service_curves(
    store: SpanStore,
    names: ServiceNames,
    services: Sequence[str],
    start: datetime,
    end: datetime,
) -> list[ServiceCurve]:
    """Per-minute RED of each service from `start` to `end` (minutes without calls left out)."""
    first = int(start.timestamp()) // 60 * 60
    curves = []
    for service in services:
        minutes: dict[int, Tally] = {}
        for row in store.operations(
            names.telemetry_name(service), first * _NS, int(end.timestamp() * _NS)
        ):
            minutes.setdefault(row.minute_unix, Tally()).add(row.calls, row.errors, row.histogram)
        points = tuple(
            CurvePoint(minute, t.calls, t.errors, t.p95_ms)
            for minute, t in sorted(minutes.items())
            if t.calls
        )
        if points:
            curves.append(ServiceCurve(service, points))
    return curves


def error_log_groups(
    store: SpanStore, names: ServiceNames, services: Iterable[str], trace_ids: Sequence[str]
) -> list[LogGroup]:
    """The error log lines of `services` in the incident's failing traces, grouped by the
    telemetry's template miner; the largest groups first."""
    wanted = set(services)
    miner = TemplateMiner()
    groups: dict[int, list[tuple[str, str, str]]] = {}
    for trace_id in list(dict.fromkeys(trace_ids))[:LOG_TRACES]:
        for record in store.logs_for_trace(trace_id):
            service = names.catalog_name(record.service)
            if record.severity_number < ERROR_SEVERITY or service not in wanted:
                continue
            text = message_of(record.body)
            template = miner.add(text)
            groups.setdefault(template.id, []).append((service, text, trace_id))
    by_id = {template.id: template for template in miner.templates}
    found = [
        LogGroup(
            by_id[key].text,
            len(lines),
            tuple(sorted({s for s, _, _ in lines})),
            lines[0][1],
            lines[0][2],
        )
        for key, lines in groups.items()
    ]
    found.sort(key=lambda g: (-g.count, g.template))
    return found[:LOG_GROUPS]
