"""OpenTelemetry for the shop services without any instrumentation package.

SERVER spans come from a small ASGI middleware, CLIENT spans from `ServiceClient` and
`Database`; spans are exported over OTLP/HTTP only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shoplib.faults import FaultSwitch
from shoplib.request_log import log_request

PROPAGATOR = TraceContextTextMapPropagator()
# Probes and the demo's control endpoints answer even while a fault is injected.
FAULT_FREE_PATHS = frozenset({"/health", "/_fault", "/_pact/state"})


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
    """One SERVER span and one log line per HTTP request, continuing the caller's W3C trace.

    Also applies the service's current fault (never to `/health` or the control endpoints).
    """

    def __init__(self, app: ASGIApp, tracer: trace.Tracer, fault: FaultSwitch) -> None:
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
        started = time.perf_counter()

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
            failure: Exception | None = None
            try:
                if path in FAULT_FREE_PATHS:
                    await self.app(scope, receive, send_and_record)
                else:
                    await self._with_fault(scope, receive, send_and_record)
            except Exception as error:
                failure = error
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise
            finally:
                route = scope.get("route")
                template = getattr(route, "path", None) or _route_template(scope)
                if template:
                    span.update_name(f"{method} {template}")
                    span.set_attribute("http.route", template)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                log_request(method, path, template, status, started, failure)

    async def _with_fault(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = self.fault.current
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.should_fail():
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


def _route_template(scope: Scope) -> str | None:
    """The route a request matches, for requests a fault answered before routing ran.

    Without it a failing request would lose its route and count under a bare method.
    """
    app = scope.get("app")
    for route in getattr(getattr(app, "router", None), "routes", ()):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "path", None)
    return None


def inject_context(headers: dict[str, Any]) -> None:
    """Write the current span's `traceparent` into outgoing request headers."""
    PROPAGATOR.inject(headers)
