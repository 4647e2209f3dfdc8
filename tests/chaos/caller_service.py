"""A tiny `gateway`: `GET /checkout` calls its dependency `orders`, traced with OpenTelemetry.

Run as a process: `python caller_service.py PORT DEPENDENCY_URL OTLP_URL|none TIMEOUT_S|none`.
With `none` it waits on `orders` for as long as `orders` takes: the missing timeout that the
resilience experiment must find. Its spans go to Interlock's collector over OTLP/HTTP.
"""

from __future__ import annotations

import sys

import httpx
import uvicorn
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def build(dependency: str, otlp: str, timeout_s: float | None) -> Starlette:
    provider = TracerProvider(resource=Resource.create({"service.name": "gateway"}))
    if otlp != "none":  # `none`: untraced, for tests that need no span store
        exporter = OTLPSpanExporter(endpoint=f"{otlp}/v1/traces")
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("gateway")
    client = httpx.AsyncClient(timeout=timeout_s)

    async def checkout(request: Request) -> JSONResponse:
        with tracer.start_as_current_span("GET /checkout", kind=SpanKind.SERVER) as server:
            with tracer.start_as_current_span("GET orders", kind=SpanKind.CLIENT) as span:
                span.set_attribute("peer.service", "orders")
                try:
                    answer = await client.get(
                        f"{dependency}/orders/8f14e45fceea167a5a36dedd4bea2543"
                    )
                    span.set_attribute("http.response.status_code", answer.status_code)
                except httpx.TimeoutException:
                    span.set_status(Status(StatusCode.ERROR, "timeout"))
                    server.set_attribute("http.response.status_code", 504)
                    return JSONResponse({"error": "orders timed out"}, status_code=504)
            server.set_attribute("http.response.status_code", 200)
            return JSONResponse({"order": answer.json()})

    return Starlette(routes=[Route("/checkout", checkout)])


if __name__ == "__main__":
    port, dependency, otlp, timeout = sys.argv[1:5]
    app = build(dependency, otlp, None if timeout == "none" else float(timeout))
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")
