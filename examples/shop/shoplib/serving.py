"""Serving a shop service and calling the others: uvicorn start-up and a traced HTTP client.

Configuration comes from the environment: `HOST`, `PORT`, the callee's `*_URL`, and the
switches `SHOP_FAULT`, `SHOP_FAULT_ADMIN=1` and `SHOP_PACT_STATES=1`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvicorn
from fastapi import FastAPI, HTTPException
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import BaseModel

from shoplib.faults import FAULT_SYNTAX, FaultSwitch, fault_from_text, parse_fault
from shoplib.request_log import setup_logging
from shoplib.tracing import Tracing, TracingMiddleware, inject_context

TIMEOUT = httpx.Timeout(5.0, connect=2.0)

StateHandler = Callable[[str, dict[str, Any], str], dict[str, Any]]
"""`(state name, params, "setup" | "teardown") -> values for the interaction` (Pact states)."""


class StateChange(BaseModel):
    """The body Pact verifiers POST to a provider-state URL."""

    state: str
    params: dict[str, Any] | None = None
    action: str = "setup"


class FaultChange(BaseModel):
    """`POST /_fault`: the new fault in `SHOP_FAULT`'s syntax; empty removes it."""

    fault: str = ""


class ErrorBody(BaseModel):
    """Every error answer: FastAPI's own `{"detail": ...}` shape."""

    detail: str


def error_responses(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses, each with the `ErrorBody` schema."""
    return {code: {"model": ErrorBody, "description": text} for code, text in descriptions.items()}


def service_app(
    tracing: Tracing,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    states: StateHandler | None = None,
) -> FastAPI:
    """A FastAPI app for one shop service: traced, logged, `SHOP_FAULT` applied, `GET /health`.

    `POST /_fault` exists only with `SHOP_FAULT_ADMIN=1`, and `POST /_pact/state` (calling
    `states`) only with `SHOP_PACT_STATES=1`: neither belongs in a real deployment.
    """
    setup_logging(tracing.service)
    app = FastAPI(
        title=tracing.service,
        version="1.0.0",
        lifespan=lifespan,
        # operationIds are the function names (`create_order`), not FastAPI's long default.
        generate_unique_id_function=lambda route: route.name,
    )
    switch = FaultSwitch(parse_fault(os.environ.get("SHOP_FAULT")))
    app.add_middleware(TracingMiddleware, tracer=tracing.tracer, fault=switch)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    if os.environ.get("SHOP_FAULT_ADMIN") == "1":

        @app.post("/_fault", include_in_schema=False)
        def set_fault(change: FaultChange) -> dict[str, Any]:
            try:
                switch.current = fault_from_text(change.fault)
            except ValueError:
                raise HTTPException(422, f"fault {change.fault!r}: {FAULT_SYNTAX}") from None
            return {
                "error_rate": switch.current.error_rate,
                "latency_ms": switch.current.latency_ms,
            }

    if states is not None and os.environ.get("SHOP_PACT_STATES") == "1":
        handler = states

        @app.post("/_pact/state", include_in_schema=False)
        def change_state(change: StateChange) -> dict[str, Any]:
            return handler(change.state, change.params or {}, change.action)

    return app


class ServiceClient:
    """Calls one other service over HTTP inside a CLIENT span that carries `traceparent`."""

    def __init__(
        self,
        base_url: str,
        peer_service: str,
        tracer: trace.Tracer,
        timeout: httpx.Timeout | None = TIMEOUT,
    ) -> None:
        """`timeout=None` waits on the peer for as long as it takes (httpx's own meaning)."""
        self.peer_service = peer_service
        self.tracer = tracer
        self.client = httpx.Client(base_url=base_url, timeout=timeout)
        address = urlsplit(base_url)
        self.host = address.hostname or ""
        self.port = address.port or (443 if address.scheme == "https" else 80)

    def request(self, method: str, path: str, json: Any = None) -> httpx.Response:
        """Send the request; an unreachable or timed-out peer becomes a 502 for our caller."""
        with self.tracer.start_as_current_span(
            method,
            kind=SpanKind.CLIENT,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            span.set_attributes(
                {
                    "http.request.method": method,
                    "server.address": self.host,
                    "server.port": self.port,
                    "url.full": f"{self.client.base_url}{path.lstrip('/')}",
                    "peer.service": self.peer_service,
                }
            )
            headers: dict[str, str] = {}
            inject_context(headers)
            try:
                response = self.client.request(method, path, json=json, headers=headers)
            except httpx.HTTPError as error:
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise HTTPException(
                    502, f"{self.peer_service} did not answer: {type(error).__name__}"
                ) from error
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    def close(self) -> None:
        self.client.close()


def forward_error(response: httpx.Response, peer: str) -> None:
    """Raise the peer's 4xx as ours (same status and detail); its 5xx becomes our 502."""
    if response.status_code < 400:
        return
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    if response.status_code >= 500:
        raise HTTPException(502, f"{peer} failed with {response.status_code}: {detail}")
    raise HTTPException(response.status_code, detail)


def run(create_app: Callable[[], FastAPI], default_port: int) -> None:
    """Serve the app on `HOST`:`PORT` (127.0.0.1 and `default_port` unless set)."""
    uvicorn.run(
        create_app(),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", default_port)),
        log_level=os.environ.get("LOG_LEVEL", "info"),
        # uvicorn's own lines go through the logging standard; requests are logged by
        # the tracing middleware, inside their span.
        log_config=None,
        access_log=False,
    )
