"""Fixtures for telemetry tests: a real collector on uvicorn on a free port, and its store."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from interlock.ports import free_port, wait_for_port
from interlock.telemetry import SpanStore, TelemetrySettings
from interlock.telemetry.intake.collector import collector_store, create_collector_app

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance" / "otlp"


@dataclass
class RunningCollector:
    """A collector serving on 127.0.0.1; `stop()` shuts uvicorn down, which closes the store."""

    url: str
    store: SpanStore
    settings: TelemetrySettings
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def start_collector(tmp_path: Path) -> Iterator[Callable[..., RunningCollector]]:
    """Start a collector with settings overridden by keyword arguments."""
    running: list[RunningCollector] = []

    def start(**overrides: Any) -> RunningCollector:
        settings = TelemetrySettings(data_dir=tmp_path / f"data{len(running)}", **overrides)
        app = create_collector_app(settings)
        port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        wait_for_port(port)
        collector = RunningCollector(
            f"http://127.0.0.1:{port}", collector_store(app), settings, server, thread
        )
        running.append(collector)
        return collector

    yield start
    for collector in running:
        collector.stop()


@pytest.fixture
def collector(start_collector: Callable[..., RunningCollector]) -> RunningCollector:
    """A collector with the default settings."""
    return start_collector()


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one chdb data directory of this test process (chdb opens one per process)."""
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture
def clickhouse_url(chdb_dir: Path, request: pytest.FixtureRequest) -> str:
    """A `chdb://` span store URL with a database of this test's own (no schema yet)."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:60]
    return f"chdb://{chdb_dir}?database={name}_{abs(hash(request.node.nodeid)) % 10**6}"


@pytest.fixture
def conformance_dir() -> Path:
    """The OTLP/JSON example payloads published with opentelemetry-proto."""
    return CONFORMANCE


def _trace_request(spans: list[dict[str, Any]], service: str = "orders") -> Any:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    attribute = resource_spans.resource.attributes.add()
    attribute.key = "service.name"
    attribute.value.string_value = service
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "tests"
    for fields in spans:
        span = scope_spans.spans.add()
        span.trace_id = fields.get("trace_id", bytes.fromhex("0af7651916cd43dd8448eb211c80319c"))
        span.span_id = fields.get("span_id", bytes.fromhex("b7ad6b7169203331"))
        span.parent_span_id = fields.get("parent_span_id", b"")
        span.name = fields.get("name", "GET /orders")
        span.kind = fields.get("kind", 2)
        span.start_time_unix_nano = fields.get("start", 1_700_000_000_000_000_000)
        span.end_time_unix_nano = fields.get("end", 1_700_000_000_050_000_000)
        span.status.code = fields.get("status", 0)
        for key, value in fields.get("attributes", {}).items():
            kv = span.attributes.add()
            kv.key = key
            if isinstance(value, bool):
                kv.value.bool_value = value
            elif isinstance(value, int):
                kv.value.int_value = value
            else:
                kv.value.string_value = str(value)
    return request


@pytest.fixture
def trace_request() -> Callable[..., Any]:
    """Build an `ExportTraceServiceRequest` from span field dicts (ids as bytes)."""
    return _trace_request
