"""A tiny `gateway`: `GET /checkout` calls its dependency `orders`, traced with OpenTelemetry.

Run as a process: `python caller_service.py PORT DEPENDENCY_URL OTLP_URL|none TIMEOUT_S|none
[RETRIES] [THRESHOLD,RESET_S|none]`. With timeout `none` it waits on `orders` for as long as
`orders` takes: the missing timeout. RETRIES is how often a failed call is tried again (no
backoff: 5 makes a retry storm). THRESHOLD,RESET_S is a circuit breaker that opens after
THRESHOLD failures in a row and lets one call through after RESET_S; `none` is no breaker.
It continues the incoming `traceparent`; its spans go to Interlock's collector over OTLP/HTTP.
"""

from __future__ import annotations

import sys
import time

import httpx
import uvicorn
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.propagate import extract
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class Breaker:
    """Opens after `threshold` failures in a row; after `reset_s`, one call may try again."""

    def __init__(self, threshold: int, reset_s: float) -> None:
        self.threshold = threshold
        self.reset_s = reset_s
        self.failures = 0
        self.opened_at: float | None = None

    def allows(self) -> bool:
        if self.opened_at is None:
            return True
        if time.monotonic() - self.opened_at >= self.reset_s:
            self.opened_at = time.monotonic()  # half-open: this one call, then wait again
            return True
        return False

    def record(self, ok: bool) -> None:
        self.failures = 0 if ok else self.failures + 1
        if ok:
            self.opened_at = None
        elif self.failures >= self.threshold:
            self.opened_at = time.monotonic()


def build(
    dependency: str,
    otlp: str,
    timeout_s: float | None,
    retries: int = 0,
    breaker: Breaker | None = None,
) -> Starlette:
    provider = TracerProvider(resource=Resource.create({"service.name": "gateway"}))
    if otlp != "none":  # `none`: untraced, for tests that need no span store
        exporter = OTLPSpanExporter(endpoint=f"{otlp}/v1/traces")
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("gateway")
    client = httpx.AsyncClient(timeout=timeout_s)

    async def call_orders() -> tuple[int, object]:
        status: int = 502
        body: object = {"error": "orders failed"}
        for _ in range(1 + retries):
            with tracer.start_as_current_span("GET orders", kind=SpanKind.CLIENT) as span:
                span.set_attribute("peer.service", "orders")
                try:
                    answer = await client.get(
                        f"{dependency}/orders/8f14e45fceea167a5a36dedd4bea2543"
                    )
                except httpx.TimeoutException:
                    span.set_status(Status(StatusCode.ERROR, "timeout"))
                    status, body = 504, {"error": "orders timed out"}
                    continue
                except httpx.HTTPError as error:
                    span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                    status, body = 502, {"error": type(error).__name__}
                    continue
                span.set_attribute("http.response.status_code", answer.status_code)
                if answer.status_code < 500:
                    return 200, {"order": answer.json()}
                span.set_status(Status(StatusCode.ERROR))
                status, body = 502, {"error": f"orders answered {answer.status_code}"}
        return status, body

    async def checkout(request: Request) -> JSONResponse:
        context = extract(dict(request.headers))
        with tracer.start_as_current_span(
            "GET /checkout", context=context, kind=SpanKind.SERVER
        ) as server:
            if breaker is not None and not breaker.allows():
                server.set_attribute("http.response.status_code", 503)
                return JSONResponse({"error": "orders circuit open"}, status_code=503)
            status, body = await call_orders()
            if breaker is not None:
                breaker.record(status == 200)
            server.set_attribute("http.response.status_code", status)
            return JSONResponse(body, status_code=status)

    return Starlette(routes=[Route("/checkout", checkout)])


if __name__ == "__main__":
    port, dependency, otlp, timeout = sys.argv[1:5]
    retries = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    breaker = None
    if len(sys.argv) > 6 and sys.argv[6] != "none":
        threshold, reset_s = sys.argv[6].split(",")
        breaker = Breaker(int(threshold), float(reset_s))
    app = build(dependency, otlp, None if timeout == "none" else float(timeout), retries, breaker)
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")
