"""OTLP/HTTP intake over a real server: encodings, partial success, refusals."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from google.rpc import status_pb2  # type: ignore[import-untyped]
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

pytestmark = pytest.mark.server

PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}


def _json_span(
    trace_id: str = "5b8efff798038103d269b633813fc60c", span_id: str = "eee19b7ec3c1b174"
) -> dict[str, Any]:
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "name": "GET /stock",
        "kind": 2,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": 1700000000020000000,
        "status": {"code": 2, "message": "boom"},
        "attributes": [{"key": "http.route", "value": {"stringValue": "/stock"}}],
        "someFutureField": {"ignored": True},
    }


def _json_request(*spans: dict[str, Any], service: str = "inventory") -> bytes:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    body = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": list(spans)}]}]}
    return json.dumps(body).encode()


def test_protobuf_spans_are_stored(collector: Any, trace_request: Callable[..., Any]) -> None:
    body = trace_request([{"name": "GET /orders"}]).SerializeToString()
    response = httpx.post(f"{collector.url}/v1/traces", content=body, headers=PROTOBUF)
    assert 200 == response.status_code
    assert "application/x-protobuf" == response.headers["content-type"]
    assert not ExportTraceServiceResponse.FromString(response.content).HasField("partial_success")
    collector.store.flush()
    [span] = collector.store.get_trace("0af7651916cd43dd8448eb211c80319c")
    assert ("orders", "GET /orders", 50.0) == (span.service, span.name, span.duration_ms)


def test_json_spans_with_string_and_number_int64_are_stored(collector: Any) -> None:
    response = httpx.post(
        f"{collector.url}/v1/traces", content=_json_request(_json_span()), headers=JSON
    )
    assert 200 == response.status_code
    assert {} == response.json()
    collector.store.flush()
    [span] = collector.store.get_trace("5b8efff798038103d269b633813fc60c")
    assert ("inventory", 20.0, "boom") == (span.service, span.duration_ms, span.status_message)
    assert {"http.route": "/stock"} == span.attributes


def test_snake_case_json_keys_are_accepted(collector: Any) -> None:
    body = {
        "resource_spans": [
            {
                "scope_spans": [
                    {
                        "spans": [
                            {
                                "trace_id": "5B8EFFF798038103D269B633813FC60D",
                                "span_id": "EEE19B7EC3C1B175",
                                "name": "x",
                            }
                        ]
                    }
                ]
            }
        ]
    }
    response = httpx.post(f"{collector.url}/v1/traces", json=body)
    assert 200 == response.status_code
    collector.store.flush()
    [span] = collector.store.get_trace("5b8efff798038103d269b633813fc60d")
    assert "unknown_service" == span.service


def test_gzip_bodies_are_decompressed(collector: Any, trace_request: Callable[..., Any]) -> None:
    body = gzip.compress(trace_request([{"name": "zipped"}]).SerializeToString())
    headers = {**PROTOBUF, "Content-Encoding": "gzip"}
    response = httpx.post(f"{collector.url}/v1/traces", content=body, headers=headers)
    assert 200 == response.status_code
    collector.store.flush()
    assert ["zipped"] == [
        s.name for s in collector.store.get_trace("0af7651916cd43dd8448eb211c80319c")
    ]


def test_invalid_spans_are_rejected_and_the_rest_kept(
    collector: Any, trace_request: Callable[..., Any]
) -> None:
    """A span with a 3-byte span id is counted in partial_success; its neighbour is stored."""
    request = trace_request([{"span_id": b"\x01\x02\x03", "name": "bad"}, {"name": "good"}])
    response = httpx.post(
        f"{collector.url}/v1/traces", content=request.SerializeToString(), headers=PROTOBUF
    )
    assert 200 == response.status_code
    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert 1 == partial.rejected_spans
    assert "span_id" in partial.error_message or "8 bytes" in partial.error_message
    collector.store.flush()
    assert ["good"] == [
        s.name for s in collector.store.get_trace("0af7651916cd43dd8448eb211c80319c")
    ]


def test_json_partial_success_names_the_bad_span(collector: Any) -> None:
    body = _json_request(_json_span(trace_id="abcd"), _json_span(span_id="eee19b7ec3c1b176"))
    response = httpx.post(f"{collector.url}/v1/traces", content=body, headers=JSON)
    assert 200 == response.status_code
    partial = response.json()["partialSuccess"]
    assert "1" == partial["rejectedSpans"]
    assert "$.resourceSpans[0].scopeSpans[0].spans[0]" in partial["errorMessage"]


def test_truncated_protobuf_is_a_400_with_a_status(
    collector: Any, trace_request: Callable[..., Any]
) -> None:
    body = trace_request([{"name": "a" * 50}]).SerializeToString()
    response = httpx.post(f"{collector.url}/v1/traces", content=body[:-20], headers=PROTOBUF)
    assert 400 == response.status_code
    status = status_pb2.Status.FromString(response.content)
    assert "not a valid protobuf message" in status.message


def test_malformed_json_is_a_400_naming_the_place(collector: Any) -> None:
    body = json.dumps({"resourceSpans": [{"scopeSpans": {"spans": []}}]})
    response = httpx.post(f"{collector.url}/v1/traces", content=body, headers=JSON)
    assert 400 == response.status_code
    assert "$.resourceSpans[0].scopeSpans: expected an array" in response.json()["message"]


def test_body_over_the_cap_is_a_413(
    start_collector: Callable[..., Any], trace_request: Callable[..., Any]
) -> None:
    collector = start_collector(max_body_bytes=10_000)
    body = trace_request([{"attributes": {"blob": "x" * 20_000}}]).SerializeToString()
    response = httpx.post(f"{collector.url}/v1/traces", content=body, headers=PROTOBUF)
    assert 413 == response.status_code


def test_gzip_bomb_is_a_413(
    start_collector: Callable[..., Any], trace_request: Callable[..., Any]
) -> None:
    """The cap applies to the decompressed size, not only to the bytes on the wire."""
    collector = start_collector(max_body_bytes=10_000)
    body = gzip.compress(
        trace_request([{"attributes": {"blob": "x" * 200_000}}]).SerializeToString()
    )
    assert len(body) < 10_000
    response = httpx.post(
        f"{collector.url}/v1/traces", content=body, headers={**PROTOBUF, "Content-Encoding": "gzip"}
    )
    assert 413 == response.status_code


def test_huge_attribute_values_are_cut_to_the_limit(
    start_collector: Callable[..., Any], trace_request: Callable[..., Any]
) -> None:
    collector = start_collector(attribute_limit=100)
    body = trace_request([{"attributes": {"blob": "y" * 100_000}}]).SerializeToString()
    response = httpx.post(f"{collector.url}/v1/traces", content=body, headers=PROTOBUF)
    assert 200 == response.status_code
    collector.store.flush()
    [span] = collector.store.get_trace("0af7651916cd43dd8448eb211c80319c")
    assert "y" * 100 == span.attributes["blob"]


def test_unsupported_content_type_is_a_415(collector: Any) -> None:
    response = httpx.post(
        f"{collector.url}/v1/traces", content=b"x", headers={"Content-Type": "text/plain"}
    )
    assert 415 == response.status_code


def test_full_queue_answers_503_with_retry_after(
    start_collector: Callable[..., Any], trace_request: Callable[..., Any]
) -> None:
    """While another process holds the database, the queue fills and the intake pushes back."""
    import sqlite3

    collector = start_collector(queue_max_items=2)
    body = trace_request([{"name": "one"}, {"name": "two"}]).SerializeToString()
    lock = sqlite3.connect(collector.settings.spans_path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        first = httpx.post(f"{collector.url}/v1/traces", content=body, headers=PROTOBUF)
        second = httpx.post(f"{collector.url}/v1/traces", content=body, headers=PROTOBUF)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert (200, 503) == (first.status_code, second.status_code)
    assert "1" == second.headers["retry-after"]
    collector.store.flush()
    assert 2 == len(collector.store.get_trace("0af7651916cd43dd8448eb211c80319c"))


def test_log_records_with_bad_ids_are_rejected_in_partial_success(collector: Any) -> None:
    record = {
        "timeUnixNano": "1700000000000000000",
        "severityNumber": 9,
        "body": {"stringValue": "ok"},
    }
    bad = {**record, "traceId": "00ff", "body": {"stringValue": "bad"}}
    body = {"resourceLogs": [{"scopeLogs": [{"logRecords": [record, bad]}]}]}
    response = httpx.post(f"{collector.url}/v1/logs", json=body)
    assert 200 == response.status_code
    partial = response.json()["partialSuccess"]
    assert "1" == partial["rejectedLogRecords"]
    assert "logRecords[1]" in partial["errorMessage"]
    collector.store.flush()
    assert 1 == collector.store.counters.logs_stored
