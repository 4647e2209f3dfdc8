"""The shop's spans reach an OTLP/HTTP endpoint with service names and parent/child links."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from interlock.demo import find_shop
from interlock.ports import free_port
from interlock.processes import ProcessSet, ProcessSpec, wait_healthy

pytestmark = pytest.mark.server

SERVER, CLIENT = 2, 3


def _one(spans: list[Any], **wanted: Any) -> Any:
    """The single span whose fields (or `attr_*` attributes) have the wanted values."""

    def matches(span: Any) -> bool:
        for key, value in wanted.items():
            actual = (
                span.attributes.get(key.removeprefix("attr_").replace("_", "."))
                if key.startswith("attr_")
                else getattr(span, key)
            )
            if actual != value:
                return False
        return True

    found = [span for span in spans if matches(span)]
    assert 1 == len(found), f"{wanted}: {[(s.service, s.name) for s in spans]}"
    return found[0]


def test_an_order_is_one_trace_across_the_four_services(
    shop: dict[str, str], otlp_receiver: Any
) -> None:
    """The caller's traceparent is continued; each hop's SERVER span is the child of the
    caller's CLIENT span; orders' direct read of the inventory database is a CLIENT span."""
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    response = httpx.post(
        f"{shop['gateway']}/orders",
        json={"product_id": 1, "quantity": 1},
        headers={"traceparent": f"00-{trace_id}-{caller_span}-01"},
    )
    assert 201 == response.status_code, response.text

    def complete(spans: list[Any]) -> bool:
        ours = [s for s in spans if s.trace_id == trace_id]
        return {"gateway", "orders", "payments", "inventory"} == {
            s.service for s in ours if s.kind == SERVER
        }

    spans = [s for s in otlp_receiver.wait_for(complete) if s.trace_id == trace_id]

    gateway = _one(spans, service="gateway", kind=SERVER)
    assert (caller_span, "POST /orders", "/orders", 201) == (
        gateway.parent_span_id,
        gateway.name,
        gateway.attributes["http.route"],
        gateway.attributes["http.response.status_code"],
    )
    to_orders = _one(spans, service="gateway", kind=CLIENT, attr_peer_service="orders")
    assert gateway.span_id == to_orders.parent_span_id
    orders = _one(spans, service="orders", kind=SERVER)
    assert to_orders.span_id == orders.parent_span_id

    to_inventory = _one(spans, service="orders", kind=CLIENT, attr_peer_service="inventory")
    to_payments = _one(spans, service="orders", kind=CLIENT, attr_peer_service="payments")
    reserve = _one(spans, service="inventory", kind=SERVER)
    payment = _one(spans, service="payments", kind=SERVER)
    assert [orders.span_id, orders.span_id] == [
        to_inventory.parent_span_id,
        to_payments.parent_span_id,
    ]
    assert ("POST /products/{product_id}/reserve", to_inventory.span_id) == (
        reserve.name,
        reserve.parent_span_id,
    )
    assert ("POST /payments", to_payments.span_id) == (payment.name, payment.parent_span_id)

    price_read = _one(spans, service="orders", kind=CLIENT, attr_db_namespace="inventory")
    assert orders.span_id == price_read.parent_span_id
    assert "sqlite" == price_read.attributes["db.system.name"]
    assert price_read.attributes["db.query.text"].startswith("SELECT id, name, price FROM products")
    assert price_read.attributes["db.statement"] == price_read.attributes["db.query.text"]
    assert not any(span.error for span in spans)


def test_injected_fault_answers_500_and_marks_the_server_span_as_error(
    otlp_receiver: Any, tmp_path: Path
) -> None:
    """`SHOP_FAULT=error:1` fails every request but `/health`; the SERVER span says ERROR."""
    port = free_port()
    spec = ProcessSpec(
        name="payments",
        argv=[sys.executable, "-m", "payments.app"],
        log_path=tmp_path / "payments.log",
        cwd=find_shop(),
        env={
            "PORT": str(port),
            "PYTHONPATH": str(find_shop()),
            "SHOP_FAULT": "error:1",
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.url,
        },
        health_url=f"http://127.0.0.1:{port}/health",
    )
    trace_id = secrets.token_hex(16)
    with ProcessSet() as processes:
        wait_healthy([processes.start(spec)])
        failed = httpx.get(
            f"http://127.0.0.1:{port}/payments/abc",
            headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
        )
    # Stopping the service (SIGTERM) flushed its spans.
    assert (500, {"detail": "injected fault (SHOP_FAULT)"}) == (failed.status_code, failed.json())
    spans = otlp_receiver.wait_for(lambda got: any(s.trace_id == trace_id for s in got))
    span = _one(spans, trace_id=trace_id)
    # The fault struck before routing ran; the span still carries the route it matches.
    assert ("payments", "GET /payments/{payment_id}", True, 500) == (
        span.service,
        span.name,
        span.error,
        span.attributes["http.response.status_code"],
    )
    assert "/payments/{payment_id}" == span.attributes["http.route"]


def test_fault_setting_is_parsed_or_refused(shoplib: ModuleType) -> None:
    assert shoplib.Fault(0.25, 300) == shoplib.parse_fault("latency:300,error:0.25")
    assert shoplib.Fault() == shoplib.parse_fault("")
    with pytest.raises(SystemExit, match="SHOP_FAULT='error:2'"):
        shoplib.parse_fault("error:2")
