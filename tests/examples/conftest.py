"""Fixtures for the example shop: its four real services, and an OTLP receiver for their spans.

The services run as real processes on SQLite, started the way `interlock demo` starts them.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from interlock.demo import find_shop, shop_specs
from interlock.ports import free_port
from interlock.processes import ProcessSet, wait_healthy

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
SPAN_KIND_SERVER = 2
SPAN_KIND_CLIENT = 3


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as an OTLP exporter sent it, flattened with its service name."""

    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    error: bool


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    return getattr(value, which) if which else None


@dataclass
class OtlpReceiver:
    """A real OTLP/HTTP endpoint that keeps every span POSTed to /v1/traces (logs: accepted)."""

    url: str
    spans: list[ReceivedSpan] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        with self.lock:
            for resource_spans in request.resource_spans:
                resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans.append(
                            ReceivedSpan(
                                service=str(resource.get("service.name")),
                                name=span.name,
                                kind=span.kind,
                                trace_id=span.trace_id.hex(),
                                span_id=span.span_id.hex(),
                                parent_span_id=span.parent_span_id.hex(),
                                attributes={a.key: _value(a.value) for a in span.attributes},
                                error=span.status.code == 2,
                            )
                        )

    def wait_for(
        self, found: Callable[[list[ReceivedSpan]], bool], timeout: float = 20.0
    ) -> list[ReceivedSpan]:
        """The spans received so far, once `found` accepts them (or whatever came by then)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                spans = list(self.spans)
            if found(spans) or time.monotonic() > deadline:
                return spans
            time.sleep(0.1)


def _handler(receiver: OtlpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path == "/v1/traces":
                receiver.record(body)
            elif self.path != "/v1/logs":  # log records are accepted and dropped
                self.send_response(404)
                self.end_headers()
                return
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

    return Handler


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    port = free_port()
    receiver = OtlpReceiver(f"http://127.0.0.1:{port}")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(receiver))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def shop(
    tmp_path_factory: pytest.TempPathFactory, otlp_receiver: OtlpReceiver
) -> Iterator[dict[str, str]]:
    """The four services running on SQLite, exporting spans to `otlp_receiver`: name -> URL."""
    data_dir = tmp_path_factory.mktemp("shop")
    specs = shop_specs(find_shop(), data_dir, otlp_receiver.url)
    with ProcessSet() as processes:
        wait_healthy([processes.start(spec) for spec in specs], timeout=60)
        yield {spec.name: (spec.health_url or "").removesuffix("/health") for spec in specs}


@pytest.fixture
def shoplib(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The shop's shared library, imported from `examples/shop` as its services import it."""
    import importlib

    monkeypatch.syspath_prepend(str(SHOP))
    return importlib.import_module("shoplib")
