"""OTLP metrics intake: the real OpenTelemetry SDK metric exporter against a real collector."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from interlock.telemetry import MetricStore

pytestmark = pytest.mark.server


def test_sdk_metric_exporter_stores_gauges_sums_and_histograms(
    start_collector: Callable[..., Any],
) -> None:
    """A gauge, a counter and a histogram sent by the SDK come back from the metric store."""
    collector = start_collector()
    exporter = OTLPMetricExporter(endpoint=f"{collector.url}/v1/metrics", timeout=20)
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=60_000)
    provider = MeterProvider(
        resource=Resource.create({"service.name": "payments"}), metric_readers=[reader]
    )
    meter = provider.get_meter("tests")

    def cpu(_: CallbackOptions) -> list[Observation]:
        return [Observation(0.97)]

    meter.create_observable_gauge("process.cpu.utilization", [cpu], unit="1")
    meter.create_counter("requests").add(7)
    meter.create_histogram("duration", unit="ms").record(40.0)
    before = time.time_ns()
    provider.force_flush()
    provider.shutdown()
    points = MetricStore(collector.settings.data_dir / "metrics.db").points(
        before - 10**9, time.time_ns() + 10**9
    )
    by_name = {p.name: p for p in points}
    assert {"process.cpu.utilization", "requests", "duration"} <= set(by_name)
    assert ("payments", "gauge", 0.97) == (
        by_name["process.cpu.utilization"].service,
        by_name["process.cpu.utilization"].kind,
        by_name["process.cpu.utilization"].value,
    )
    assert ("sum", 7.0) == (by_name["requests"].kind, by_name["requests"].value)
    assert ("histogram", 1, 40.0) == (
        by_name["duration"].kind,
        by_name["duration"].count,
        by_name["duration"].sum,
    )


def test_json_metrics_are_stored_and_bad_ones_refused(
    start_collector: Callable[..., Any],
) -> None:
    """OTLP/JSON gauges go in under the Kubernetes workload name; a malformed body gets 400."""
    collector = start_collector()
    now = time.time_ns()
    body = {
        "resourceMetrics": [
            {
                "resource": {
                    "attributes": [{"key": "k8s.deployment.name", "value": {"stringValue": "cart"}}]
                },
                "scopeMetrics": [
                    {
                        "metrics": [
                            {
                                "name": "container.memory.usage",
                                "unit": "By",
                                "gauge": {
                                    "dataPoints": [{"timeUnixNano": str(now), "asInt": "1048576"}]
                                },
                            }
                        ]
                    }
                ],
            }
        ]
    }
    with httpx.Client(base_url=collector.url, timeout=20) as http:
        ok = http.post(
            "/v1/metrics", content=json.dumps(body), headers={"content-type": "application/json"}
        )
        bad = http.post("/v1/metrics", content=b"[1]", headers={"content-type": "application/json"})
    assert (200, 400) == (ok.status_code, bad.status_code)
    points = MetricStore(collector.settings.data_dir / "metrics.db").points(now - 1, now + 1)
    assert [("cart", "container.memory.usage", 1048576.0)] == [
        (p.service, p.name, p.value) for p in points
    ]
