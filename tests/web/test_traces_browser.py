"""The trace waterfall and the live map in real headless Chromium, fed by the OpenTelemetry SDK."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _provider(server: str, service: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{server}/v1/traces"))
    )
    return provider


def send_checkout_trace(server: str) -> str:
    """gateway → orders → payments (failing), exported by the real SDK over OTLP/HTTP protobuf."""
    providers = {name: _provider(server, name) for name in ("gateway", "orders", "payments")}
    tracers = {name: p.get_tracer("tests") for name, p in providers.items()}
    with tracers["gateway"].start_as_current_span("POST /checkout", kind=SpanKind.SERVER) as root:
        with tracers["gateway"].start_as_current_span(
            "POST", kind=SpanKind.CLIENT, attributes={"peer.service": "orders"}
        ) as call:
            with tracers["orders"].start_as_current_span(
                "POST /orders",
                kind=SpanKind.SERVER,
                context=trace.set_span_in_context(call),
                attributes={"http.route": "/orders"},
            ) as server_span:
                with tracers["orders"].start_as_current_span(
                    "POST", kind=SpanKind.CLIENT, attributes={"peer.service": "payments"}
                ) as pay:
                    with tracers["payments"].start_as_current_span(
                        "POST /charge",
                        kind=SpanKind.SERVER,
                        context=trace.set_span_in_context(pay),
                    ) as charge:
                        time.sleep(0.02)  # a bar wide enough to read in the screenshot
                        charge.add_event("card.declined", {"card.last4": "4242"})
                        charge.set_status(Status(StatusCode.ERROR, "card declined"))
                    pay.set_status(Status(StatusCode.ERROR))
                server_span.set_status(Status(StatusCode.ERROR))
            call.set_status(Status(StatusCode.ERROR))
        root.set_status(Status(StatusCode.ERROR))
        trace_id = format(root.get_span_context().trace_id, "032x")
    for provider in providers.values():
        provider.force_flush()
        provider.shutdown()
    return trace_id


def wait_for_trace(server: str, trace_id: str, spans: int) -> None:
    """The store writes off the request path: wait until every span can be read back."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        answer = httpx.get(f"{server}/api/traces/{trace_id}")
        if answer.status_code == 200 and len(answer.json()["spans"]) == spans:
            return
        time.sleep(0.1)
    raise AssertionError(f"trace {trace_id} did not arrive with {spans} spans")


@pytest.mark.browser
@pytest.mark.server
def test_the_waterfall_shows_a_bar_per_span_and_attributes_on_click(
    chromium_browser: Any, shop_server: str
) -> None:
    trace_id = send_checkout_trace(shop_server)
    wait_for_trace(shop_server, trace_id, 5)
    ARTIFACTS.mkdir(exist_ok=True)
    page = chromium_browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(f"{shop_server}/traces/{trace_id}")
        bars = page.locator(".waterfall .bar")
        assert 5 == bars.count()
        assert all(bars.nth(i).bounding_box()["width"] > 0 for i in range(5))  # type: ignore[index]
        charge = page.locator("details.span-row", has_text="POST /charge")
        assert not charge.locator("text=card.last4").is_visible()
        charge.locator("summary").click()
        assert charge.locator("text=card.last4").is_visible()  # the event, once open
        assert charge.locator("h3", has_text="Attributes").is_visible()
        assert "Probable root cause: payments" in page.locator(".diagnosis").inner_text()
        page.screenshot(path=str(ARTIFACTS / "traces-waterfall.png"), full_page=True)

        page.goto(f"{shop_server}/traces")
        page.locator(f'svg.scatter a[data-trace-id="{trace_id}"]').click()
        page.wait_for_url(f"{shop_server}/traces/{trace_id}")
        page.goto(f"{shop_server}/traces")
        page.screenshot(path=str(ARTIFACTS / "traces-search.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.server
def test_the_live_map_shows_the_observed_edges(chromium_browser: Any, shop_server: str) -> None:
    trace_id = send_checkout_trace(shop_server)
    wait_for_trace(shop_server, trace_id, 5)
    page = chromium_browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        deadline = time.monotonic() + 20  # edges are counted when the caller's call is paired
        while time.monotonic() < deadline:
            page.goto(f"{shop_server}/traces/map")
            if page.locator('svg.live-map g.edge[data-callee="payments"]').count():
                break
            time.sleep(0.2)
        seen = page.locator("svg.live-map g.edge.both")
        pairs = {
            (seen.nth(i).get_attribute("data-caller"), seen.nth(i).get_attribute("data-callee"))
            for i in range(seen.count())
        }
        assert {("gateway", "orders"), ("orders", "payments")} <= pairs
        assert page.locator("svg.live-map g.edge.failing").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "traces-live-map.png"), full_page=True)
        page.locator('svg.live-map a[href="/services/payments/red"]').click()
        page.wait_for_url(f"{shop_server}/services/payments/red")
        assert 3 == page.locator("svg.chart").count()
        page.screenshot(path=str(ARTIFACTS / "traces-red.png"), full_page=True)

        page.goto(f"{shop_server}/rca?since=15m")
        first = page.locator("table.rca-ranking tbody tr").first
        assert "payments" in first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "traces-rca.png"), full_page=True)
    finally:
        page.close()
