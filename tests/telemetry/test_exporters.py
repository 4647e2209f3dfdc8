"""The real OpenTelemetry SDK exporters against the real intake: traces, logs, retries."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from interlock.telemetry import TraceQuery

pytestmark = pytest.mark.server


def _tracer_provider(
    url: str, service: str, compression: Compression = Compression.NoCompression
) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    exporter = OTLPSpanExporter(endpoint=f"{url}/v1/traces", compression=compression, timeout=20)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_sdk_span_exporter_delivers_a_trace(collector: Any, compression: Compression) -> None:
    provider = _tracer_provider(collector.url, "gateway", compression)
    tracer = provider.get_tracer("tests")
    with tracer.start_as_current_span("GET /checkout", kind=SpanKind.SERVER) as root:
        with tracer.start_as_current_span("charge", kind=SpanKind.CLIENT) as child:
            child.set_attribute("peer.service", "payments")
            child.set_status(Status(StatusCode.ERROR, "card declined"))
        trace_id = format(root.get_span_context().trace_id, "032x")
    provider.shutdown()
    collector.store.flush()
    spans = collector.store.get_trace(trace_id)
    assert ["GET /checkout", "charge"] == [s.name for s in spans]
    assert "gateway" == spans[0].service
    assert spans[1].is_error
    assert spans[0].span_id == spans[1].parent_span_id


def test_sdk_log_exporter_delivers_records_with_trace_context(collector: Any) -> None:
    provider = LoggerProvider(resource=Resource.create({"service.name": "orders"}))
    exporter = OTLPLogExporter(endpoint=f"{collector.url}/v1/logs")
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger("tests")
    tracer = TracerProvider().get_tracer("tests")
    with tracer.start_as_current_span("work") as span:
        logger.emit(
            severity_number=SeverityNumber.WARN,
            severity_text="WARN",
            body="stock low for sku-1",
            attributes={"sku": "sku-1"},
        )
        trace_id = format(span.get_span_context().trace_id, "032x")
    provider.shutdown()
    collector.store.flush()
    [record] = collector.store.logs_for_trace(trace_id)
    assert ("orders", "WARN", "stock low for sku-1") == (
        record.service,
        record.severity_text,
        record.body,
    )
    assert {"sku": "sku-1"} == record.attributes


def test_exporter_retries_a_full_queue_and_nothing_is_lost(
    start_collector: Callable[..., Any],
) -> None:
    """The database is held by another process; 503 + Retry-After until it is released."""
    collector = start_collector(queue_max_items=5)
    lock = sqlite3.connect(
        collector.settings.spans_path, isolation_level=None, check_same_thread=False
    )
    lock.execute("BEGIN EXCLUSIVE")
    released = threading.Timer(2.0, lambda: (lock.execute("ROLLBACK"), lock.close()))
    provider = _tracer_provider(collector.url, "orders")
    tracer = provider.get_tracer("tests")
    trace_ids = set()
    done = threading.Event()

    def produce() -> None:
        for index in range(12):
            with tracer.start_as_current_span(f"op-{index}") as span:
                trace_ids.add(format(span.get_span_context().trace_id, "032x"))
        done.set()

    released.start()
    producer = threading.Thread(target=produce)
    producer.start()
    producer.join(timeout=60)
    released.join()
    provider.shutdown()
    assert done.is_set()
    collector.store.flush()
    assert collector.store.counters.refused_batches > 0
    found = collector.store.search(TraceQuery(service="orders", limit=100))
    assert trace_ids == {t.trace_id for t in found}


def test_shutdown_flushes_the_queue(start_collector: Callable[..., Any]) -> None:
    """Spans accepted while the writer is held are on disk after the collector stops."""
    collector = start_collector()
    lock = sqlite3.connect(collector.settings.spans_path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    provider = _tracer_provider(collector.url, "orders")
    with provider.get_tracer("tests").start_as_current_span("late") as span:
        trace_id = format(span.get_span_context().trace_id, "032x")
    provider.shutdown()
    stopper = threading.Thread(target=collector.stop)
    stopper.start()
    time.sleep(0.5)  # let shutdown begin while the writer is still held
    lock.execute("ROLLBACK")
    lock.close()
    stopper.join(timeout=30)
    reader = sqlite3.connect(collector.settings.spans_path)
    stored = reader.execute("SELECT name FROM spans WHERE trace_id = ?", (trace_id,)).fetchall()
    reader.close()
    assert [("late",)] == stored
