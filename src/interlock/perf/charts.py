"""SVG pictures of a load test run, drawn on the server: its latency histogram and its timeline."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from interlock.perf.model import OperationResult

WIDTH, HEIGHT, PAD = 640, 200, 36


def histogram_svg(result: OperationResult) -> str:
    """Bars of request counts over latency (log-spaced buckets merged to ~40 bars)."""
    buckets = result.histogram.buckets_ms()
    if not buckets:
        return ""
    group = max(1, len(buckets) // 40)
    bars = []
    for start in range(0, len(buckets), group):
        chunk = buckets[start : start + group]
        bars.append((chunk[0][0], chunk[-1][1], sum(c for _, _, c in chunk)))
    top = max(count for _, _, count in bars)
    width = (WIDTH - 2 * PAD) / len(bars)
    body = []
    for index, (low, high, count) in enumerate(bars):
        height = (HEIGHT - 2 * PAD) * count / top
        x = PAD + index * width
        y = HEIGHT - PAD - height
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width - 1, 1):.1f}" height="{height:.1f}">'
            f"<title>{low:.2f} to {high:.2f} ms: {count}</title></rect>"
        )
    first, last = bars[0][0], bars[-1][1]
    body.append(f'<text x="{PAD}" y="{HEIGHT - 10}">{first:.1f} ms</text>')
    body.append(f'<text x="{WIDTH - PAD}" y="{HEIGHT - 10}" text-anchor="end">{last:.1f} ms</text>')
    return _svg(f"Latency of {result.name}: {result.requests} requests", body)


def timeline_svg(timeline: Sequence[dict[str, float]]) -> str:
    """p95 latency per second (line) over the run, with the requests of each second."""
    if not timeline:
        return ""
    top = max(point.get("p95_ms", 0.0) for point in timeline) or 1.0
    span = max(point["t"] for point in timeline) or 1
    coordinates = []
    for point in timeline:
        x = PAD + (WIDTH - 2 * PAD) * point["t"] / span
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * point.get("p95_ms", 0.0) / top
        coordinates.append(f"{x:.1f},{y:.1f}")
    body = [
        f'<polyline fill="none" stroke="currentColor" points="{" ".join(coordinates)}"/>',
        f'<text x="{PAD}" y="{PAD - 8}">p95 {top:.1f} ms</text>',
        f'<text x="{PAD}" y="{HEIGHT - 10}">0 s</text>',
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 10}" text-anchor="end">{span:g} s</text>',
    ]
    return _svg("p95 latency per second", body)


def _svg(label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart perf" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" font-size="11">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )
