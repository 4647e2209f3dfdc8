"""The SQLite store whose writer is a second process: same rows, same guarantees as the thread."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from interlock.errors import UserInputError
from interlock.telemetry import TelemetrySettings
from interlock.telemetry.intake.aggregates import span_keys
from interlock.telemetry.intake.otlp import decode_trace_rows_protobuf, decode_traces_protobuf
from interlock.telemetry.stores.row_codec import span_rows

pytestmark = pytest.mark.server

PROTOBUF = {"Content-Type": "application/x-protobuf"}
TRACE = "0af7651916cd43dd8448eb211c80319c"
T0 = (time.time_ns() // 60_000_000_000 - 5) * 60_000_000_000  # five minutes ago, on a minute


def _post(collector: Any, request: Any) -> httpx.Response:
    return httpx.post(
        f"{collector.url}/v1/traces", content=request.SerializeToString(), headers=PROTOBUF
    )


def test_rows_decoder_gives_the_rows_of_the_span_decoder(
    trace_request: Callable[..., Any],
) -> None:
    """Straight-to-rows decoding inserts exactly what decoding to `Span`s would, and rejects alike."""
    request = trace_request(
        [
            {"name": "GET /a", "attributes": {"http.route": "/a", "retries": 2, "cached": True}},
            {"span_id": b"\x01\x02", "name": "bad id"},
            {"span_id": b"\x00" * 7 + b"\x02", "parent_span_id": b"\x00" * 7 + b"\x05", "kind": 3},
        ]
    )
    body = request.SerializeToString()
    spans = decode_traces_protobuf(body)
    rows = decode_trace_rows_protobuf(body)
    assert list(span_rows(spans.items)) == [row for row, _ in rows.items]
    assert (spans.rejected, spans.messages) == (rows.rejected, rows.messages)
    assert {"http.route": "/a", "retries": 2, "cached": True} == json.loads(rows.items[0][0][11])


def test_rows_decoder_computes_the_aggregate_keys_of_the_span_decoder(
    trace_request: Callable[..., Any],
) -> None:
    """The keys sent to the writer process are those the aggregator computes from a `Span`."""
    request = trace_request(
        [
            {"name": "GET", "kind": 2, "attributes": {"url.path": "/orders/17"}},
            {
                "name": "SELECT orders",
                "kind": 3,
                "attributes": {
                    "db.system": "postgresql",
                    "db.name": "orders",
                    "db.statement": "SELECT id FROM orders WHERE id = 42",
                },
            },
            {"name": "send", "kind": 4, "attributes": {"messaging.system": "kafka"}},
            {"name": "GET /stock", "kind": 3, "attributes": {"server.address": "inventory"}},
        ]
    )
    body = request.SerializeToString()
    spans = decode_traces_protobuf(body).items
    keys = [keys for _, keys in decode_trace_rows_protobuf(body).items]
    assert [span_keys(s.name, s.kind, s.attributes) for s in spans] == keys
    _, sql, called, _, _ = keys[1]
    assert ("GET /orders/{id}", "orders") == (keys[0][0], called)
    assert sql is not None and "SELECT id FROM orders WHERE id = $1" == sql[1]
    assert [("kafka", "queue"), ("inventory", "service")] == [k[3:] for k in keys[2:]]


def test_process_writer_stores_what_the_writer_thread_stores(
    start_collector: Callable[..., Any], trace_request: Callable[..., Any]
) -> None:
    request = trace_request(
        [
            {"name": "GET /orders", "start": T0, "end": T0 + 7_000_000, "status": 2},
            {
                "span_id": bytes.fromhex("00f067aa0ba902b7"),
                "parent_span_id": bytes.fromhex("b7ad6b7169203331"),
                "name": "SELECT orders",
                "kind": 3,
                "start": T0 + 1_000_000,
                "end": T0 + 3_000_000,
                "attributes": {"db.system": "postgresql", "db.statement": "SELECT 1 FROM t"},
            },
        ]
    )
    thread, process = start_collector(), start_collector(writer_process=True)
    for collector in (thread, process):
        assert 200 == _post(collector, request).status_code
        collector.store.flush()
    assert thread.store.get_trace(TRACE) == process.store.get_trace(TRACE)
    assert thread.store.operations() == process.store.operations()
    assert thread.store.edges() == process.store.edges()
    assert thread.store.query_fingerprints() == process.store.query_fingerprints()
    assert 2 == process.store.counters.spans_stored


def test_client_and_server_spans_in_separate_requests_make_one_edge(
    start_collector: Callable[..., Any], trace_request: Callable[..., Any]
) -> None:
    collector = start_collector(writer_process=True)
    client = {"span_id": bytes.fromhex("1111111111111111"), "kind": 3, "start": T0, "end": T0 + 9}
    server = {
        "span_id": bytes.fromhex("2222222222222222"),
        "parent_span_id": bytes.fromhex("1111111111111111"),
        "start": T0 + 1,
        "end": T0 + 8,
    }
    assert 200 == _post(collector, trace_request([client], service="gateway")).status_code
    assert 200 == _post(collector, trace_request([server], service="orders")).status_code
    collector.store.flush()
    [edge] = collector.store.edges()
    assert ("gateway", "orders", "service", 1) == (
        edge.caller,
        edge.callee,
        edge.callee_kind,
        edge.calls,
    )


def test_full_queue_answers_503_and_what_was_accepted_is_stored(
    start_collector: Callable[..., Any], trace_request: Callable[..., Any]
) -> None:
    """While another process holds the database, the queue fills and the intake pushes back."""
    collector = start_collector(writer_process=True, queue_max_items=2)
    request = trace_request([{"name": "one"}, {"name": "two"}])
    lock = sqlite3.connect(collector.settings.spans_path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        first, second = _post(collector, request), _post(collector, request)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert (200, 503) == (first.status_code, second.status_code)
    assert "1" == second.headers["retry-after"]
    assert collector.store.flush(timeout=30)
    assert 2 == len(collector.store.get_trace(TRACE))
    assert 1 <= collector.store.counters.refused_batches


def test_shutdown_commits_everything_accepted_and_settles_open_calls(
    start_collector: Callable[..., Any], trace_request: Callable[..., Any]
) -> None:
    """A CLIENT span whose callee never reports becomes an edge to the peer it names on close."""
    collector = start_collector(writer_process=True)
    request = trace_request(
        [{"kind": 3, "start": T0, "end": T0 + 5, "attributes": {"server.address": "payments"}}]
    )
    lock = sqlite3.connect(collector.settings.spans_path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    assert 200 == _post(collector, request).status_code
    stopper = threading.Thread(target=collector.stop)
    stopper.start()
    time.sleep(0.5)  # shutdown begins while the writer is still held
    lock.execute("ROLLBACK")
    lock.close()
    stopper.join(timeout=30)
    reader = sqlite3.connect(collector.settings.spans_path)
    try:
        assert [(TRACE,)] == reader.execute("SELECT trace_id FROM spans").fetchall()
        edges = reader.execute("SELECT caller, callee, calls FROM edge_minutes").fetchall()
    finally:
        reader.close()
    assert [("orders", "payments", 1)] == edges


def test_sampled_out_spans_still_count_in_the_aggregates(
    start_collector: Callable[..., Any], trace_request: Callable[..., Any]
) -> None:
    collector = start_collector(writer_process=True, sample_rate=0.0)
    fine = {"start": T0, "end": T0 + 1_000_000}
    failed = {**fine, "trace_id": bytes.fromhex("1" * 32), "status": 2}
    assert 200 == _post(collector, trace_request([fine, failed])).status_code
    collector.store.flush()
    assert [] == collector.store.get_trace(TRACE)  # an ordinary trace, not kept
    assert 1 == len(collector.store.get_trace("1" * 32))  # an error trace, always kept
    [operation] = collector.store.operations()
    assert (2, 1) == (operation.calls, operation.errors)


def test_writer_process_setting_reads_booleans_from_the_environment() -> None:
    settings = TelemetrySettings()
    assert settings.with_environment({"INTERLOCK_TELEMETRY_WRITER_PROCESS": "yes"}).writer_process
    assert not settings.with_environment({"INTERLOCK_TELEMETRY_WRITER_PROCESS": "0"}).writer_process
    with pytest.raises(UserInputError, match="WRITER_PROCESS='maybe': expected a bool"):
        settings.with_environment({"INTERLOCK_TELEMETRY_WRITER_PROCESS": "maybe"})


def test_a_bad_span_id_is_rejected_in_partial_success_by_the_row_decoder(
    start_collector: Callable[..., Any], trace_request: Callable[..., Any]
) -> None:
    collector = start_collector(writer_process=True)
    request = trace_request([{"span_id": b"\x01\x02\x03", "name": "bad"}, {"name": "good"}])
    response = _post(collector, request)
    assert 200 == response.status_code
    assert (
        1 == ExportTraceServiceResponse.FromString(response.content).partial_success.rejected_spans
    )
    truncated = httpx.post(
        f"{collector.url}/v1/traces", content=request.SerializeToString()[:-7], headers=PROTOBUF
    )
    assert 400 == truncated.status_code
    collector.store.flush()
    assert ["good"] == [s.name for s in collector.store.get_trace(TRACE)]
