"""An incident's timeline as server-made SVG: one lane per service with its alerts as bars,
the changes as marks on their own lane, and the error-rate and p95 curves of the involved
services below, all on one time axis."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from interlock.incidents.evidence import CurvePoint, ServiceCurve
from interlock.incidents.model import Alert
from interlock.incidents.reports import RankedChange

WIDTH = 960
LANE = 26
CHART = 70
LEFT = 170
RIGHT = 20
TOP = 28
MAX_TICKS = 6
# Tick steps in seconds: the first that gives at most MAX_TICKS ticks is used, so that
# labels are multiples of one step and never repeat ("+1s +1s" on a short incident).
STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
PALETTE = ("#c0392b", "#2c7be5", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#7f8c8d")


@dataclass(frozen=True)
class TimeAxis:
    """From `start` to `end`, drawn between LEFT and WIDTH - RIGHT."""

    start: datetime
    end: datetime

    @property
    def span_s(self) -> float:
        return max((self.end - self.start).total_seconds(), 0.001)

    def x(self, moment: datetime) -> float:
        share = (moment - self.start).total_seconds() / self.span_s
        return LEFT + min(max(share, 0.0), 1.0) * (WIDTH - LEFT - RIGHT)

    def ticks(self) -> list[tuple[float, str]]:
        """(x, label): the start as a clock time, then `+step` multiples, all distinct."""
        step = next((s for s in STEPS if self.span_s / s <= MAX_TICKS), None)
        if step is None:
            step = math.ceil(self.span_s / MAX_TICKS / 3600) * 3600.0
        out = [(float(LEFT), self.start.strftime("%H:%M:%S"))]
        count = int(self.span_s / step + 1e-9)
        for n in range(1, count + 1):
            out.append(
                (self.x(self.start + timedelta(seconds=n * step)), f"+{_offset(n * step, step)}")
            )
        return out


def _offset(seconds: float, step: float) -> str:
    if step < 1:
        return f"{seconds * 1000:.0f}ms"
    if step < 60:
        return f"{seconds:g}s"
    if step < 3600:
        return f"{seconds / 60:g}m"
    return f"{seconds / 3600:g}h"


def time_axis(
    alerts: Sequence[Alert],
    changes: Sequence[RankedChange],
    now: datetime,
    curves: Sequence[ServiceCurve] = (),
) -> TimeAxis | None:
    """The axis that holds every alert, change and curve point; None when there is nothing."""
    times = [a.starts_at for a in alerts] + [a.ends_at or now for a in alerts]
    times += [c.change.occurred_at for c in changes]
    for curve in curves:
        times += [curve.points[0].at - timedelta(seconds=30), curve.points[-1].at]
    if not times:
        return None
    return TimeAxis(min(times), max(times))


def timeline_svg(
    alerts: Sequence[Alert],
    changes: Sequence[RankedChange],
    now: datetime,
    curves: Sequence[ServiceCurve] = (),
) -> str:
    """The SVG; every service name links to its page, each mark has a title to hover."""
    axis = time_axis(alerts, changes, now, curves)
    if axis is None:
        return ""
    lanes = list(dict.fromkeys(a.service or f"{a.service_label}={a.unmapped}" for a in alerts))
    charts_top = TOP + LANE * (len(lanes) + 1) + 10
    height = charts_top + (2 * (CHART + 20) if curves else 0) + 24
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="incident-timeline" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="incident timeline">'
    ]
    for x, label in axis.ticks():
        out.append(
            f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height - 20}" '
            f'class="grid" stroke="#ddd"/>'
            f'<text class="tick" x="{x:.1f}" y="{TOP - 10}" font-size="11" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    for row, lane in enumerate(lanes):
        _lane(out, axis, row, lane, alerts, now)
    y = TOP + len(lanes) * LANE
    out.append(f'<text x="8" y="{y + 16}" font-size="13">changes</text>')
    for ranked in changes:
        change = ranked.change
        cx = axis.x(change.occurred_at)
        out.append(
            f'<a href="/services/{escape(change.service, quote=True)}">'
            f'<path class="change-mark" d="M{cx:.1f},{y + 4} l7,9 l-7,9 l-7,-9 z" fill="#2c7be5">'
            f"<title>{escape(change.kind)} {escape(change.service)} "
            f"{escape(change.version or '')} at {change.occurred_at:%H:%M:%S}</title></path></a>"
        )
    if curves:
        _chart(out, axis, curves, charts_top, "error rate", lambda p: p.error_rate, _percent)
        _chart(out, axis, curves, charts_top + CHART + 20, "p95", lambda p: p.p95_ms, _ms)
    out.append("</svg>")
    return "".join(out)


def _lane(
    out: list[str], axis: TimeAxis, row: int, lane: str, alerts: Sequence[Alert], now: datetime
) -> None:
    y = TOP + row * LANE
    name = escape(lane)
    out.append(
        f'<a href="/services/{escape(lane, quote=True)}"><text x="8" y="{y + 16}" '
        f'font-size="13" fill="#0645ad">{name}</text></a>'
        if "=" not in lane
        else f'<text x="8" y="{y + 16}" font-size="13" fill="#a00">{name} (unmapped)</text>'
    )
    for alert in alerts:
        if (alert.service or f"{alert.service_label}={alert.unmapped}") != lane:
            continue
        left, right = axis.x(alert.starts_at), axis.x(alert.ends_at or now)
        colour = "#c0392b" if alert.status == "firing" else "#e6a0a0"
        out.append(
            f'<rect class="alert-bar" x="{left:.1f}" y="{y + 4}" '
            f'width="{max(right - left, 3):.1f}" height="{LANE - 8}" fill="{colour}">'
            f"<title>{escape(alert.name)} ({alert.status}) since "
            f"{alert.starts_at:%H:%M:%S}: {escape(alert.join_reason)}</title></rect>"
        )


def _chart(
    out: list[str],
    axis: TimeAxis,
    curves: Sequence[ServiceCurve],
    top: float,
    title: str,
    pick: Callable[[CurvePoint], float],
    show: Callable[[float], str],
) -> None:
    peak = max((pick(p) for c in curves for p in c.points), default=0.0) or 1.0
    bottom = top + CHART
    out.append(
        f'<g class="curve-chart" data-metric="{escape(title, quote=True)}">'
        f'<text x="8" y="{top + 14}" font-size="13">{escape(title)}</text>'
        f'<text x="8" y="{top + 30}" font-size="11" fill="#666">max {escape(show(peak))}</text>'
        f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" stroke="#999"/>'
    )
    for index, curve in enumerate(curves):
        colour = PALETTE[index % len(PALETTE)]
        points = " ".join(
            f"{axis.x(p.at):.1f},{bottom - pick(p) / peak * (CHART - 6):.1f}" for p in curve.points
        )
        service = escape(curve.service)
        out.append(
            f'<polyline class="curve" data-service="{escape(curve.service, quote=True)}" '
            f'points="{points}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{service} {escape(title)}</title></polyline>"
        )
        for p in curve.points:
            out.append(
                f'<circle cx="{axis.x(p.at):.1f}" cy="{bottom - pick(p) / peak * (CHART - 6):.1f}" '
                f'r="2.5" fill="{colour}"><title>{service} {p.at:%H:%M}: {escape(show(pick(p)))} '
                f"({p.calls} calls, {p.errors} errors)</title></circle>"
            )
        out.append(
            f'<text x="{LEFT + 8 + index * 120}" y="{bottom + 14}" font-size="11" '
            f'fill="{colour}">{service}</text>'
        )
    out.append("</g>")


def _percent(value: float) -> str:
    return f"{value:.1%}"


def _ms(value: float) -> str:
    return f"{value:g} ms"
