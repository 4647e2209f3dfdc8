"""An incident's timeline as server-made SVG: one lane per service with its alerts as
bars, and the changes as marks on their own lane, on one time axis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from interlock.incidents.model import Alert
from interlock.incidents.reports import RankedChange

WIDTH = 960
LANE = 26
LEFT = 170
RIGHT = 20
TOP = 28


def timeline_svg(alerts: Sequence[Alert], changes: Sequence[RankedChange], now: datetime) -> str:
    """The SVG; every service name links to its page, each mark has a title to hover."""
    times = [a.starts_at for a in alerts] + [a.ends_at or now for a in alerts]
    times += [c.change.occurred_at for c in changes]
    if not times:
        return ""
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 1.0)

    def x(moment: datetime) -> float:
        return LEFT + (moment - start).total_seconds() / span * (WIDTH - LEFT - RIGHT)

    lanes = list(dict.fromkeys(a.service or f"{a.service_label}={a.unmapped}" for a in alerts))
    height = TOP + LANE * (len(lanes) + 1) + 24
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="incident-timeline" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="incident timeline">'
    ]
    for tick in range(5):
        moment_x = LEFT + tick * (WIDTH - LEFT - RIGHT) / 4
        seconds = tick * span / 4
        label = start.strftime("%H:%M:%S") if tick == 0 else f"+{_duration(seconds)}"
        out.append(
            f'<line x1="{moment_x:.1f}" y1="{TOP - 6}" x2="{moment_x:.1f}" y2="{height - 20}" '
            f'class="grid" stroke="#ddd"/>'
            f'<text x="{moment_x:.1f}" y="{TOP - 10}" font-size="11" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    for row, lane in enumerate(lanes):
        y = TOP + row * LANE
        name = escape(lane)
        label = (
            f'<a href="/services/{escape(lane, quote=True)}"><text x="8" y="{y + 16}" '
            f'font-size="13" fill="#0645ad">{name}</text></a>'
            if "=" not in lane
            else f'<text x="8" y="{y + 16}" font-size="13" fill="#a00">{name} (unmapped)</text>'
        )
        out.append(label)
        for alert in alerts:
            if (alert.service or f"{alert.service_label}={alert.unmapped}") != lane:
                continue
            left, right = x(alert.starts_at), x(alert.ends_at or now)
            colour = "#c0392b" if alert.status == "firing" else "#e6a0a0"
            out.append(
                f'<rect class="alert-bar" x="{left:.1f}" y="{y + 4}" '
                f'width="{max(right - left, 3):.1f}" height="{LANE - 8}" fill="{colour}">'
                f"<title>{escape(alert.name)} ({alert.status}) since "
                f"{alert.starts_at:%H:%M:%S}: {escape(alert.join_reason)}</title></rect>"
            )
    y = TOP + len(lanes) * LANE
    out.append(f'<text x="8" y="{y + 16}" font-size="13">changes</text>')
    for ranked in changes:
        change = ranked.change
        cx = x(change.occurred_at)
        out.append(
            f'<a href="/services/{escape(change.service, quote=True)}">'
            f'<path class="change-mark" d="M{cx:.1f},{y + 4} l7,9 l-7,9 l-7,-9 z" fill="#2c7be5">'
            f"<title>{escape(change.kind)} {escape(change.service)} "
            f"{escape(change.version or '')} at {change.occurred_at:%H:%M:%S}</title></path></a>"
        )
    out.append("</svg>")
    return "".join(out)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"
