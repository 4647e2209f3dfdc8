"""RCA on traces sent by the real OpenTelemetry SDK through the real OTLP intake."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from interlock.telemetry.rca.window import rca_window

pytestmark = pytest.mark.server


def _order(tracers: dict[str, Tracer], payments_fail: bool) -> None:
    """gateway → orders → payments as three services would record it; errors propagate up."""
    status = Status(StatusCode.ERROR) if payments_fail else Status(StatusCode.UNSET)
    with tracers["gateway"].start_as_current_span("POST /orders", kind=SpanKind.SERVER) as g:
        with tracers["gateway"].start_as_current_span("POST", kind=SpanKind.CLIENT) as gc:
            gc.set_attribute("peer.service", "orders")
            with tracers["orders"].start_as_current_span("POST /orders", kind=SpanKind.SERVER) as o:
                with tracers["orders"].start_as_current_span("POST", kind=SpanKind.CLIENT) as oc:
                    oc.set_attribute("peer.service", "payments")
                    with tracers["payments"].start_as_current_span(
                        "POST /payments", kind=SpanKind.SERVER
                    ) as p:
                        time.sleep(0.002)
                        p.set_status(status)
                    oc.set_status(status)
                o.set_status(status)
            gc.set_status(status)
        g.set_status(status)


def test_window_rca_on_sdk_spans_names_the_failing_service(
    start_collector: Callable[..., Any],
) -> None:
    collector = start_collector()
    providers = {
        name: TracerProvider(resource=Resource.create({"service.name": name}))
        for name in ("gateway", "orders", "payments")
    }
    for provider in providers.values():
        exporter = OTLPSpanExporter(endpoint=f"{collector.url}/v1/traces", timeout=20)
        provider.add_span_processor(BatchSpanProcessor(exporter))
    tracers = {name: p.get_tracer("tests") for name, p in providers.items()}
    baseline_start = time.time_ns()
    for _ in range(20):
        _order(tracers, payments_fail=False)
    start = baseline_end = time.time_ns()
    for i in range(20):
        _order(tracers, payments_fail=i % 4 == 0)
    end = time.time_ns()
    for provider in providers.values():
        provider.shutdown()
    assert collector.store.flush(30)
    diagnosis = rca_window(collector.store, start, end, baseline_start, baseline_end)
    assert (20, 5, 20) == (diagnosis.traces, diagnosis.error_traces, diagnosis.baseline_traces)
    top = diagnosis.suspects[0]
    # A trace may also count as failed for being slow when the machine is loaded (its spans
    # take ~2 ms), so the blamed count is at least the five with errors.
    assert ("payments", "POST /payments") == (top.service, top.operation)
    assert top.blamed_traces >= 5
    # only services with evidence of their own are listed: orders and gateway merely
    # passed the error on
    assert ["payments"] == [s.service for s in diagnosis.services]
