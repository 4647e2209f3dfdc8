"""Load test inputs from the span store: the operation mix (RED rates) weighs the traffic,
and a stub answers with the latencies observed on its edge; OpenAPI examples as traffic."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from interlock.perf import SpanSource, Stage, observed_rates, plan_from_openapi, weigh_by_observed
from interlock.perf.observed import apply_observed_latencies, edge_latency_samples
from interlock.ports import free_port, wait_for_port
from interlock.stubs import StubServer, load_services
from interlock.telemetry import Span, SpanKind, TelemetrySettings, open_span_store

from .conftest import SHOP_PACTS

SHOP = SHOP_PACTS.parent


def _spans(service_ms: dict[str, int], payments_ms: list[float]) -> list[Span]:
    """SERVER spans of orders (count per operation) and its CLIENT calls to payments."""
    now = time.time_ns() - 5_000_000_000
    spans = []
    for operation, count in service_ms.items():
        for k in range(count):
            trace, span = secrets.token_hex(16), secrets.token_hex(8)
            start = now + k * 1_000_000
            spans.append(
                Span(
                    trace,
                    span,
                    None,
                    operation,
                    SpanKind.SERVER,
                    start,
                    start + 5_000_000,
                    "orders",
                )
            )
    for k, ms in enumerate(payments_ms):
        start = now + k * 1_000_000
        spans.append(
            Span(
                secrets.token_hex(16), secrets.token_hex(8), None, "POST", SpanKind.CLIENT,
                start, start + int(ms * 1e6), "orders", attributes={"peer.service": "payments"},
            )
        )  # fmt: skip
    return spans


@pytest.fixture
def observed(tmp_path: Path) -> SpanSource:
    """A span store that saw orders: 30 POST /orders, 10 GET /orders/{order_id}, and 40 calls
    to payments taking 60 to 90 ms."""
    data = tmp_path / "seen"
    settings = TelemetrySettings(data_dir=data, pairing_horizon_s=0)
    store = open_span_store(settings)
    store.offer_spans(
        _spans(
            {"POST /orders": 30, "GET /orders/{order_id}": 10}, [60 + k % 4 * 10 for k in range(40)]
        )
    )
    store.flush(timeout=10)
    store.close()
    return SpanSource(data, window_s=600)


def test_observed_rates_weigh_the_pact_traffic(observed: SpanSource) -> None:
    """Each pact flow takes its operation's observed rate (a template matches concrete paths)."""
    from interlock.perf import plan_from_pacts

    rates = observed_rates(observed, "orders")
    assert 3.0 == pytest.approx(rates["POST /orders"] / rates["GET /orders/{order_id}"])
    plan = plan_from_pacts([SHOP_PACTS], "orders", (Stage(1, 10),))
    weighed, notes = weigh_by_observed(plan, rates)
    weights = {f.steps[0].operation.split("/")[1]: f.weight for f in weighed.flows}
    assert rates["POST /orders"] == pytest.approx(sum(
        f.weight for f in weighed.flows if f.steps[0].operation == "POST /orders"
    ))  # fmt: skip
    assert {"orders"} == set(weights)
    assert [] == [n for n in notes if "not observed" in n]


def test_a_stub_answers_with_the_observed_edge_latencies(observed: SpanSource) -> None:
    """payments' stub, given orders→payments's observed distribution, answers in 50-100 ms."""
    samples, calls = edge_latency_samples(observed, "orders", "payments")
    assert 40 == calls
    assert all(50 <= s <= 100 for s in samples)
    server = StubServer(load_services([str(SHOP_PACTS / "orders-payments.json")]))
    server.start()
    try:
        applied = apply_observed_latencies(
            server.admin_url or "", "orders", ["payments", "inventory"], observed
        )
        assert 40 == applied["payments"]["calls"]
        assert 0 == applied["inventory"]["calls"]
        body = {"amount": 7500, "currency": "EUR", "order_id": "8f14e45fceea167a5a36dedd4bea2543"}
        url = f"{server.endpoints()[0].url}/payments"
        elapsed = []
        for _ in range(5):
            started = time.perf_counter()
            assert 201 == httpx.post(url, json=body, timeout=5).status_code
            elapsed.append((time.perf_counter() - started) * 1000)
    finally:
        server.stop()
    assert min(elapsed) >= 50


def test_openapi_examples_are_the_traffic_of_a_perf_run(tmp_path: Path) -> None:
    """`perf run --openapi` against a stub of the same document: every request answered 2xx,
    operations named by their templates."""
    spec = SHOP / "orders" / "openapi.yaml"
    plan, _ = plan_from_openapi([spec], (Stage(1, 10),))
    assert {"POST /orders", "GET /orders/{order_id}"} <= {f.steps[0].operation for f in plan.flows}
    port = free_port()
    stub = subprocess.Popen(
        [sys.executable, "-m", "interlock", "stub", "serve", f"orders={spec}", "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=30)
        done = subprocess.run(
            [sys.executable, "-m", "interlock", "perf", "run", "--target",
             f"http://127.0.0.1:{port}", "--openapi", str(spec), "--rate", "20", "--duration",
             "1s", "-t", "error_rate<1%", "--no-store", "-f", "json"],
            capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
        )  # fmt: skip
    finally:
        stub.terminate()
        stub.wait(timeout=10)
    assert 0 == done.returncode, done.stdout + done.stderr
