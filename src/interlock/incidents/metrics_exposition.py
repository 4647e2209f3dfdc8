"""RED per service, operation and edge from the span aggregates, in the Prometheus text
exposition format, named as the OpenTelemetry spanmetrics and servicegraph connectors
name theirs, so a team's Prometheus rules and Alertmanager routes can use them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import accumulate

from interlock.telemetry import LATENCY_BUCKETS_MS, SpanStore

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def exposition(store: SpanStore, catalog_name: Callable[[str], str] = str) -> str:
    """Counters summed over the aggregates the store keeps (they restart when it prunes,
    which Prometheus reads as a counter reset)."""
    lines: list[str] = []
    _operations(lines, store, catalog_name)
    _edges(lines, store, catalog_name)
    return "\n".join(lines) + "\n"


def _operations(lines: list[str], store: SpanStore, name: Callable[[str], str]) -> None:
    merged: dict[tuple[str, str], list[float]] = {}
    histograms: dict[tuple[str, str], list[int]] = {}
    for stats in store.operations():
        key = (name(stats.service), stats.operation)
        entry = merged.setdefault(key, [0, 0, 0.0])
        entry[0] += stats.calls
        entry[1] += stats.errors
        entry[2] += stats.total_ms
        _add(histograms.setdefault(key, [0] * len(stats.histogram)), stats.histogram)
    lines += [
        "# HELP calls_total Spans per service, operation and status (spanmetrics).",
        "# TYPE calls_total counter",
    ]
    for (service, operation), (calls, errors, _) in sorted(merged.items()):
        labels = {"service_name": service, "span_name": operation, "span_kind": "SPAN_KIND_SERVER"}
        lines.append(
            _sample("calls_total", {**labels, "status_code": "STATUS_CODE_UNSET"}, calls - errors)
        )
        lines.append(_sample("calls_total", {**labels, "status_code": "STATUS_CODE_ERROR"}, errors))
    lines += [
        "# HELP duration_milliseconds Span duration per service and operation (spanmetrics).",
        "# TYPE duration_milliseconds histogram",
    ]
    for (service, operation), (calls, _, total_ms) in sorted(merged.items()):
        labels = {"service_name": service, "span_name": operation, "span_kind": "SPAN_KIND_SERVER"}
        _histogram(
            lines,
            "duration_milliseconds",
            labels,
            histograms[(service, operation)],
            LATENCY_BUCKETS_MS,
            total_ms,
            calls,
        )


def _edges(lines: list[str], store: SpanStore, name: Callable[[str], str]) -> None:
    merged: dict[tuple[str, str, str], list[int]] = {}
    histograms: dict[tuple[str, str, str], list[int]] = {}
    for edge in store.edges():
        callee = name(edge.callee) if edge.callee_kind == "service" else edge.callee
        key = (name(edge.caller), callee, edge.callee_kind)
        entry = merged.setdefault(key, [0, 0])
        entry[0] += edge.calls
        entry[1] += edge.errors
        _add(histograms.setdefault(key, [0] * len(edge.histogram)), edge.histogram)
    connection = {"service": "", "database": "database", "queue": "messaging_system"}
    for metric, help_text, index in (
        ("traces_service_graph_request_total", "Requests between two nodes", 0),
        ("traces_service_graph_request_failed_total", "Failed requests between two nodes", 1),
    ):
        lines += [f"# HELP {metric} {help_text} (servicegraph).", f"# TYPE {metric} counter"]
        for (client, server, kind), counts in sorted(merged.items()):
            labels = {
                "client": client,
                "server": server,
                "connection_type": connection.get(kind, kind),
            }
            lines.append(_sample(metric, labels, counts[index]))
    metric = "traces_service_graph_request_client_seconds"
    lines += [
        f"# HELP {metric} Request time seen by the client (servicegraph).",
        f"# TYPE {metric} histogram",
    ]
    bounds = tuple(b / 1000 for b in LATENCY_BUCKETS_MS)
    for (client, server, kind), counts in sorted(merged.items()):
        labels = {"client": client, "server": server, "connection_type": connection.get(kind, kind)}
        histogram = histograms[(client, server, kind)]
        # the aggregates keep buckets, not sums: the sum is estimated from bucket midpoints
        _histogram(
            lines, metric, labels, histogram, bounds, _estimated_sum(histogram, bounds), counts[0]
        )


def _add(into: list[int], values: Sequence[int]) -> None:
    for index, value in enumerate(values):
        into[index] += value


def _histogram(
    lines: list[str],
    metric: str,
    labels: dict[str, str],
    counts: Sequence[int],
    bounds: Sequence[float],
    total: float,
    count: float,
) -> None:
    cumulative = list(accumulate(counts))
    for bound, running in zip(bounds, cumulative, strict=False):
        lines.append(_sample(f"{metric}_bucket", {**labels, "le": _number(bound)}, running))
    lines.append(
        _sample(f"{metric}_bucket", {**labels, "le": "+Inf"}, cumulative[-1] if cumulative else 0)
    )
    lines.append(_sample(f"{metric}_sum", labels, total))
    lines.append(_sample(f"{metric}_count", labels, count))


def _estimated_sum(counts: Sequence[int], bounds: Sequence[float]) -> float:
    edges = [0.0, *bounds]
    return sum(
        count * ((edges[i] + edges[i + 1]) / 2 if i + 1 < len(edges) else edges[-1])
        for i, count in enumerate(counts)
    )


def _sample(metric: str, labels: dict[str, str], value: float) -> str:
    text = ",".join(f'{key}="{_escape(val)}"' for key, val in labels.items())
    return f"{metric}{{{text}}} {_number(value)}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
