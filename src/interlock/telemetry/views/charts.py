"""Small SVG charts drawn by Interlock: the trace-duration scatter and a service's RED charts.

Plain strings of SVG with labelled axes; nothing is fetched, no script runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from interlock.telemetry.stores.interface import TraceSummary
from interlock.telemetry.views.red import ServiceRed
from interlock.telemetry.views.traces import format_ms, nice_step

WIDTH = 720.0
HEIGHT = 220.0
LEFT = 64.0
RIGHT = 16.0
TOP = 28.0
BOTTOM = 40.0
OK_COLOUR = "#1f5fbf"
ERROR_COLOUR = "#b42318"
LINE_COLOURS = {"p50": "#2ca02c", "p95": "#ff7f0e", "p99": "#b42318"}

_NS = 1_000_000_000
_STYLE = "font-family: system-ui, sans-serif; font-size: 11px; fill: #1d2330;"  # inherited by text


@dataclass(frozen=True)
class _Frame:
    """The plotting area of one chart and the scales from data to pixels."""

    x_min: float
    x_max: float
    y_max: float

    def x(self, value: float) -> float:
        span = max(self.x_max - self.x_min, 1e-9)
        return LEFT + (value - self.x_min) / span * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        return TOP + (1 - value / max(self.y_max, 1e-9)) * (HEIGHT - TOP - BOTTOM)


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _clock(unix_s: float, seconds: bool) -> str:
    return datetime.fromtimestamp(unix_s, tz=UTC).strftime("%H:%M:%S" if seconds else "%H:%M")


def _y_ticks(top: float, whole: bool = False) -> tuple[float, list[float]]:
    """A rounded top for the y axis and its ticks (4 or 5 of them; whole numbers for counts)."""
    step = nice_step(max(top, 1e-9) / 4)
    if whole:
        step = max(1.0, step)
    ticks = []
    value = 0.0
    while value < top + step * 0.999:
        ticks.append(value)
        value += step
    return ticks[-1] if ticks[-1] >= top else ticks[-1] + step, ticks


def _axes(
    frame: _Frame, title: str, y_label: str, y_ticks: list[float], y_format: str
) -> list[str]:
    """Frame, grid, tick labels, axis titles; the x axis is UTC clock time."""
    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT
    out = [
        f'<text x="{_n(LEFT)}" y="16" font-weight="600">{escape(title)}</text>',
        f'<line x1="{_n(LEFT)}" y1="{_n(bottom)}" x2="{_n(right)}" y2="{_n(bottom)}" stroke="#5c6577"/>',
        f'<line x1="{_n(LEFT)}" y1="{_n(TOP)}" x2="{_n(LEFT)}" y2="{_n(bottom)}" stroke="#5c6577"/>',
    ]
    for tick in y_ticks:
        y = frame.y(tick)
        label = format_ms(tick) if y_format == "ms" else f"{tick:{y_format}}"
        out.append(
            f'<line x1="{_n(LEFT)}" y1="{_n(y)}" x2="{_n(right)}" y2="{_n(y)}" stroke="#d9dee7"/>'
            f'<text x="{_n(LEFT - 6)}" y="{_n(y + 4)}" text-anchor="end">{escape(label)}</text>'
        )
    span_s = frame.x_max - frame.x_min
    step = nice_step(max(span_s, 1) / 6)
    if step >= 60:
        step = 60 * nice_step(step / 60)
    tick_s = (frame.x_min // step + 1) * step
    while tick_s <= frame.x_max:
        x = frame.x(tick_s)
        out.append(
            f'<line x1="{_n(x)}" y1="{_n(bottom)}" x2="{_n(x)}" y2="{_n(bottom + 4)}" stroke="#5c6577"/>'
            f'<text x="{_n(x)}" y="{_n(bottom + 16)}" text-anchor="middle">'
            f"{_clock(tick_s, span_s < 600)}</text>"
        )
        tick_s += step
    out.append(
        f'<text x="{_n((LEFT + right) / 2)}" y="{_n(HEIGHT - 6)}" text-anchor="middle" '
        'fill="#5c6577">time (UTC)</text>'
        f'<text transform="translate(14,{_n((TOP + bottom) / 2)}) rotate(-90)" '
        f'text-anchor="middle" fill="#5c6577">{escape(y_label)}</text>'
    )
    return out


def _svg(css_class: str, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" width="{_n(WIDTH)}" '
        f'height="{_n(HEIGHT)}" viewBox="0 0 {_n(WIDTH)} {_n(HEIGHT)}" role="img" '
        f'style="{_STYLE}"><title>{escape(label)}</title>' + "".join(body) + "</svg>\n"
    )


def scatter_svg(traces: Sequence[TraceSummary], start_unix_nano: int, end_unix_nano: int) -> str:
    """Each trace a dot (time, duration); red for traces with errors; a dot links to its trace."""
    top, ticks = _y_ticks(max((t.duration_ms for t in traces), default=1.0))
    frame = _Frame(start_unix_nano / _NS, end_unix_nano / _NS, top)
    body = _axes(frame, "Trace durations", "duration", ticks, "ms")
    for trace in traces:
        colour = ERROR_COLOUR if trace.error_count else OK_COLOUR
        tip = f"{trace.root_service}: {trace.root_name} — {format_ms(trace.duration_ms)}" + (
            f", {trace.error_count} error span(s)" if trace.error_count else ""
        )
        href = quoteattr(f"/traces/{trace.trace_id}")
        body.append(
            f'<a href={href} class="dot" data-trace-id="{trace.trace_id}">'
            f'<circle cx="{_n(frame.x(trace.start_unix_nano / _NS))}" '
            f'cy="{_n(frame.y(trace.duration_ms))}" r="4.5" fill="{colour}" fill-opacity="0.75">'
            f"<title>{escape(tip)}</title></circle></a>"
        )
    if not traces:
        body.append(
            f'<text x="{_n(WIDTH / 2)}" y="{_n(HEIGHT / 2)}" text-anchor="middle" '
            'fill="#5c6577">no traces in this window</text>'
        )
    return _svg("chart scatter", f"Durations of {len(traces)} traces over time", body)


def line_chart_svg(
    title: str,
    y_label: str,
    minutes_unix: Sequence[int],
    series: dict[str, Sequence[float | None]],
    y_format: str,
    colours: dict[str, str] | None = None,
) -> str:
    """One chart of per-minute series as lines with points; a legend when there are several.

    A None value (a minute without calls has no latency) breaks the line there.
    """
    values = [v for line in series.values() for v in line if v is not None]
    top, ticks = _y_ticks(max(values, default=0.0) or 1.0, whole=y_format == "g")
    first = minutes_unix[0] if minutes_unix else 0
    last = (minutes_unix[-1] if minutes_unix else 60) + 60
    frame = _Frame(first, last, top)
    body = _axes(frame, title, y_label, ticks, y_format)
    for index, (name, line) in enumerate(series.items()):
        colour = (colours or {}).get(name, OK_COLOUR)
        runs: list[list[tuple[float, float]]] = [[]]
        for minute, value in zip(minutes_unix, line, strict=True):
            if value is None:
                runs.append([])
            else:
                runs[-1].append((frame.x(minute + 30), frame.y(value)))
        points = [point for run in runs for point in run]
        body.append(f'<g class="series" data-series={quoteattr(name)}>')
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
                body.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.8"/>'
                )
        if len(points) <= 120:
            body += [
                f'<circle cx="{_n(x)}" cy="{_n(y)}" r="2" fill="{colour}"/>' for x, y in points
            ]
        body.append("</g>")
        if len(series) > 1:
            lx = WIDTH - RIGHT - 70 * (len(series) - index)
            body.append(
                f'<rect x="{_n(lx)}" y="8" width="12" height="4" fill="{colour}"/>'
                f'<text x="{_n(lx + 16)}" y="14">{escape(name)}</text>'
            )
    return _svg("chart line", title, body)


def red_charts_svg(red: ServiceRed) -> list[str]:
    """Rate, errors and latency (p50/p95/p99) of a service, one chart each."""
    minutes = [p.minute_unix for p in red.points]
    return [
        line_chart_svg(
            "Rate",
            "calls per minute",
            minutes,
            {"calls": [float(p.calls) for p in red.points]},
            "g",
        ),
        line_chart_svg(
            "Errors",
            "errors per minute",
            minutes,
            {"errors": [float(p.errors) for p in red.points]},
            "g",
            {"errors": ERROR_COLOUR},
        ),
        line_chart_svg(
            "Duration",
            "duration",
            minutes,
            {
                "p50": [p.p50_ms if p.calls else None for p in red.points],
                "p95": [p.p95_ms if p.calls else None for p in red.points],
                "p99": [p.p99_ms if p.calls else None for p in red.points],
            },
            "ms",
            LINE_COLOURS,
        ),
    ]
