"""OpenTelemetry for the shop services without any instrumentation package.

SERVER spans come from a small ASGI middleware, CLIENT spans from `ServiceClient` and
`Database`; spans are exported over OTLP/HTTP only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shoplib.faults import Fault

PROPAGATOR = TraceContextTextMapPropagator()


@dataclass
class Tracing:
    """A service's tracer, and the provider to flush on shutdown (None when not exporting)."""

    service: str
    tracer: trace.Tracer
    provider: TracerProvider | None = None

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()


def setup_tracing(service: str) -> Tracing:
    """Export spans named for `service` when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, else no-op."""
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return Tracing(service, trace.NoOpTracer())
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    # The exporter reads the endpoint itself and appends /v1/traces to it.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return Tracing(service, provider.get_tracer("shoplib"), provider)


class TracingMiddleware:
    """One SERVER span per HTTP request, continuing the caller's W3C trace; applies faults."""

    def __init__(self, app: ASGIApp, tracer: trace.Tracer, fault: Fault) -> None:
        self.app = app
        self.tracer = tracer
        self.fault = fault

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        method, path = scope["method"], scope["path"]
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        # Named `{method} {route}` once routing found the route; a bare path would make
        # one span name per order id.
        with self.tracer.start_as_current_span(
            method,
            context=PROPAGATOR.extract(headers),
            kind=SpanKind.SERVER,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            span.set_attributes(
                {"http.request.method": method, "url.path": path, "url.scheme": "http"}
            )
            try:
                if path == "/health":
                    await self.app(scope, receive, send_and_record)
                else:
                    await self._with_fault(scope, receive, send_and_record)
            except Exception as error:
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise
            finally:
                route = scope.get("route")
                template = getattr(route, "path", None)
                if template:
                    span.update_name(f"{method} {template}")
                    span.set_attribute("http.route", template)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))

    async def _with_fault(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fault.latency_ms:
            await asyncio.sleep(self.fault.latency_ms / 1000)
        if self.fault.should_fail():
            body = json.dumps({"detail": "injected fault (SHOP_FAULT)"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def inject_context(headers: dict[str, Any]) -> None:
    """Write the current span's `traceparent` into outgoing request headers."""
    PROPAGATOR.inject(headers)
