"""One service's log templates over a window against the window before: what RCA's log
evidence reads, as a page. Templates are mined Drain-style (`log_templates`) over both windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlock.telemetry.rca.diagnose import format_time
from interlock.telemetry.rca.logs import TemplateChange, template_changes
from interlock.telemetry.rca.read import logs_between
from interlock.telemetry.rca.stats import rate_ratio
from interlock.telemetry.stores.interface import SpanStore


def _level(severity: int) -> str:
    if severity >= 17:
        return "error"
    if severity >= 13:
        return "warning"
    return "info"


@dataclass(frozen=True)
class TemplateRow:
    """A template of the service with its counts in the baseline and in the window."""

    template: str
    level: str
    exception: str
    baseline: int
    window: int
    change: str  # new | gone | x3.2 | same
    example_trace_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "level": self.level,
            "exception": self.exception or None,
            "baseline": self.baseline,
            "window": self.window,
            "change": self.change,
            "example_trace_id": self.example_trace_id,
        }


@dataclass(frozen=True)
class ServiceLogs:
    """A service's templates, those that rose most first."""

    name: str
    telemetry_name: str
    start_unix_nano: int
    end_unix_nano: int
    baseline_start_unix_nano: int
    baseline_end_unix_nano: int
    templates: list[TemplateRow]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "telemetry_name": self.telemetry_name,
            "window": {
                "start": format_time(self.start_unix_nano),
                "end": format_time(self.end_unix_nano),
            },
            "baseline": {
                "start": format_time(self.baseline_start_unix_nano),
                "end": format_time(self.baseline_end_unix_nano),
            },
            "templates": [t.to_json() for t in self.templates],
        }


def _row(change: TemplateChange, scale: float) -> tuple[float, TemplateRow]:
    ratio = rate_ratio(change.before, change.now, scale)
    if change.before == 0:
        text = "new"
    elif change.now == 0:
        text = "gone"
    elif 0.67 <= ratio <= 1.5:
        text = "same"
    else:
        text = f"x{ratio:.1f}"
    example = change.example_trace_ids[0] if change.example_trace_ids else None
    row = TemplateRow(
        change.template,
        _level(change.severity),
        change.exception,
        change.before,
        change.now,
        text,
        example,
    )
    return change.now - change.before * scale, row


def service_logs(
    store: SpanStore,
    name: str,
    telemetry_name: str,
    window: tuple[int, int],
    baseline: tuple[int, int],
) -> ServiceLogs:
    """The templates of `telemetry_name`'s log records in `window` and `baseline` (Unix ns)."""
    before = [r for r in logs_between(store, *baseline) if r.service == telemetry_name]
    now = [r for r in logs_between(store, *window) if r.service == telemetry_name]
    scale = (window[1] - window[0]) / max(1, baseline[1] - baseline[0])
    rows = sorted((_row(c, scale) for c in template_changes(before, now)), key=lambda r: -r[0])
    return ServiceLogs(name, telemetry_name, *window, *baseline, [row for _, row in rows])
