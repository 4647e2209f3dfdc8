"""Consumer contract tests of the example shop: gateway and orders, each against mock providers.

The real consumer code runs (its FastAPI app, in process) and calls Interlock's mock providers;
the pacts land in `examples/shop/pacts/`, one file per pair, for the providers to verify.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pact import Verifier

from interlock.contracts import VerifyOptions, match, verify_pacts
from interlock.contracts.dsl import ConsumerPact
from interlock.ports import free_port, wait_for_port

pytestmark = [pytest.mark.server, pytest.mark.interlock_pact_dir("examples/shop/pacts")]

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
ORDER_ID = "8f14e45fceea167a5a36dedd4bea2543"
HEX_ID = "[0-9a-f]{32}"
TIMESTAMP = "yyyy-MM-dd'T'HH:mm:ssXXX"

Factory = Callable[..., ConsumerPact]


def product(id: int, sku: str, name: str, price: int, stock: int) -> dict[str, Any]:
    """A product as inventory answers it, every field matched by type or shape."""
    return {
        "id": match.integer(id),
        "sku": match.regex(r"[A-Z]+-\d{3}", sku),
        "name": match.string(name),
        "price": match.integer(price),
        "stock": match.integer(stock),
    }


def order(product_id: int, quantity: int, amount: int, order_id: str = ORDER_ID) -> dict[str, Any]:
    """An order as orders answers it after a successful payment."""
    return {
        "id": match.regex(HEX_ID, order_id),
        "product_id": match.integer(product_id),
        "quantity": match.integer(quantity),
        "amount": match.integer(amount),
        "currency": match.regex("[A-Z]{3}", "EUR"),
        "status": match.string("paid"),
        "payment_id": match.regex(HEX_ID, "c4ca4238a0b923820dcc509a6f75849b"),
        "created_at": match.datetime(TIMESTAMP, "2026-01-31T12:30:00+00:00"),
    }


def not_found(text: str) -> dict[str, Any]:
    return {"detail": match.string(text)}


@contextmanager
def consumer_app(
    monkeypatch: pytest.MonkeyPatch, service: str, env: dict[str, str]
) -> Iterator[httpx.Client]:
    """The service's real app on uvicorn, configured by environment as it runs in production."""
    monkeypatch.syspath_prepend(str(SHOP))
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app: FastAPI = importlib.import_module(f"{service}.app").create_app()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# gateway -> inventory


def test_gateway_lists_products(interlock_pact: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    inventory = interlock_pact("gateway", "inventory")
    (
        inventory.upon_receiving("a request for the product list")
        .given("products exist")
        .with_request("GET", "/products")
        .will_respond_with(200, body=match.each_like(product(1, "MUG-001", "Enamel mug", 1200, 40)))
    )
    with consumer_app(monkeypatch, "gateway", {"INVENTORY_URL": inventory.url}) as gateway:
        response = gateway.get("/products")
    assert 200 == response.status_code
    assert ["MUG-001"] == [p["sku"] for p in response.json()]


def test_gateway_shows_one_product(
    interlock_pact: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = interlock_pact("gateway", "inventory")
    (
        inventory.upon_receiving("a request for product 1")
        .given("product 1 exists", id=1)
        .with_request("GET", "/products/1")
        .will_respond_with(200, body=product(1, "MUG-001", "Enamel mug", 1200, 40))
    )
    with consumer_app(monkeypatch, "gateway", {"INVENTORY_URL": inventory.url}) as gateway:
        response = gateway.get("/products/1")
    assert (200, "Enamel mug") == (response.status_code, response.json()["name"])


def test_gateway_passes_on_an_unknown_product(
    interlock_pact: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = interlock_pact("gateway", "inventory")
    (
        inventory.upon_receiving("a request for a product that does not exist")
        .given("product 999 does not exist", id=999)
        .with_request("GET", "/products/999")
        .will_respond_with(404, body=not_found("product 999 not found"))
    )
    with consumer_app(monkeypatch, "gateway", {"INVENTORY_URL": inventory.url}) as gateway:
        response = gateway.get("/products/999")
    assert (404, {"detail": "product 999 not found"}) == (response.status_code, response.json())


# gateway -> orders


def test_gateway_places_an_order(interlock_pact: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    orders = interlock_pact("gateway", "orders")
    (
        orders.upon_receiving("a request to order 3 of product 2")
        .given("product 2 is in stock", id=2, stock=25)
        .with_request("POST", "/orders", body={"product_id": 2, "quantity": 3})
        .will_respond_with(201, body=order(2, 3, 7500))
    )
    with consumer_app(monkeypatch, "gateway", {"ORDERS_URL": orders.url}) as gateway:
        response = gateway.post("/orders", json={"product_id": 2, "quantity": 3})
    assert (201, "paid", 7500) == (
        response.status_code,
        response.json()["status"],
        response.json()["amount"],
    )


def test_gateway_passes_on_out_of_stock(
    interlock_pact: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = interlock_pact("gateway", "orders")
    (
        orders.upon_receiving("a request to order a product that is out of stock")
        .given("product 4 is out of stock", id=4)
        .with_request("POST", "/orders", body={"product_id": 4, "quantity": 1})
        .will_respond_with(
            409, body={"detail": match.include("in stock", "product 4 has 0 in stock, 1 asked")}
        )
    )
    with consumer_app(monkeypatch, "gateway", {"ORDERS_URL": orders.url}) as gateway:
        response = gateway.post("/orders", json={"product_id": 4, "quantity": 1})
    assert 409 == response.status_code


def test_gateway_shows_an_order(interlock_pact: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The order's id comes from the provider state, so the provider can use one it created."""
    orders = interlock_pact("gateway", "orders")
    (
        orders.upon_receiving("a request for an existing order")
        .given("an order exists", id=ORDER_ID, product_id=2, quantity=3)
        .with_request(
            "GET",
            match.provider_state("/orders/${id}", f"/orders/{ORDER_ID}", regex=f"/orders/{HEX_ID}"),
        )
        .will_respond_with(200, body=order(2, 3, 7500))
    )
    with consumer_app(monkeypatch, "gateway", {"ORDERS_URL": orders.url}) as gateway:
        response = gateway.get(f"/orders/{ORDER_ID}")
    assert (200, ORDER_ID) == (response.status_code, response.json()["id"])


def test_gateway_passes_on_an_unknown_order(
    interlock_pact: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = interlock_pact("gateway", "orders")
    missing = "0" * 32
    (
        orders.upon_receiving("a request for an order that does not exist")
        .with_request("GET", f"/orders/{missing}")
        .will_respond_with(404, body=not_found(f"order {missing} not found"))
    )
    with consumer_app(monkeypatch, "gateway", {"ORDERS_URL": orders.url}) as gateway:
        response = gateway.get(f"/orders/{missing}")
    assert 404 == response.status_code


# orders -> inventory and orders -> payments


def inventory_database(folder: Path) -> str:
    """The `products` table orders reads prices from directly (the database contract's side)."""
    path = folder / "inventory.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT, name TEXT, price INTEGER, stock INTEGER)"
        )
        db.executemany(
            "INSERT INTO products VALUES (?, ?, ?, ?, ?)",
            [
                (2, "TEE-002", "Organic T-shirt", 2500, 25),
                (4, "PIN-004", "Limited enamel pin", 500, 0),
            ],
        )
    db.close()
    return f"sqlite:///{path}"


def orders_env(
    folder: Path, inventory: ConsumerPact, payments: ConsumerPact | None
) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{folder / 'orders.db'}",
        "INVENTORY_DATABASE_URL": inventory_database(folder),
        "INVENTORY_URL": inventory.url,
        "PAYMENTS_URL": payments.url if payments else "http://127.0.0.1:9",
    }


def test_orders_reserves_stock_and_charges_the_order(
    interlock_pact: Factory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    inventory = interlock_pact("orders", "inventory")
    (
        inventory.upon_receiving("a request to reserve 3 of product 2")
        .given("product 2 is in stock", id=2, stock=25)
        .with_request("POST", "/products/2/reserve", body={"quantity": 3})
        .will_respond_with(
            200,
            body={
                "product_id": match.integer(2),
                "quantity": match.integer(3),
                "stock": match.integer(22),
            },
        )
    )
    payments = interlock_pact("orders", "payments")
    (
        payments.upon_receiving("a request to charge 75.00 EUR for an order")
        .with_request(
            "POST",
            "/payments",
            body={"amount": 7500, "currency": "EUR", "order_id": match.regex(HEX_ID, ORDER_ID)},
        )
        .will_respond_with(
            201,
            body={
                "id": match.regex(HEX_ID, "c4ca4238a0b923820dcc509a6f75849b"),
                "status": "captured",
                "amount": match.integer(7500),
                "currency": "EUR",
                "order_id": match.regex(HEX_ID, ORDER_ID),
            },
        )
    )
    env = orders_env(tmp_path, inventory, payments)
    with consumer_app(monkeypatch, "orders", env) as orders:
        response = orders.post("/orders", json={"product_id": 2, "quantity": 3})
    assert (201, "paid", "c4ca4238a0b923820dcc509a6f75849b") == (
        response.status_code,
        response.json()["status"],
        response.json()["payment_id"],
    )


def test_orders_refuses_an_order_beyond_the_stock(
    interlock_pact: Factory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    inventory = interlock_pact("orders", "inventory")
    (
        inventory.upon_receiving("a request to reserve more of product 4 than its stock")
        .given("product 4 is out of stock", id=4)
        .with_request("POST", "/products/4/reserve", body={"quantity": 1})
        .will_respond_with(
            409, body={"detail": match.include("in stock", "product 4 has 0 in stock, 1 asked")}
        )
    )
    with consumer_app(monkeypatch, "orders", orders_env(tmp_path, inventory, None)) as orders:
        response = orders.post("/orders", json={"product_id": 4, "quantity": 1})
    assert (409, "product 4 has 0 in stock, 1 asked") == (
        response.status_code,
        response.json()["detail"],
    )


# the pacts above, verified against the real services


def _state_endpoint(orders_url: str) -> tuple[ThreadingHTTPServer, str]:
    """Provider states for the shop: all but one hold in the seeded data; an order is placed for real."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            change = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            answer: dict[str, Any] = {}
            if change["state"] == "an order exists" and change.get("action", "setup") == "setup":
                params = change.get("params") or {}
                placed = httpx.post(
                    f"{orders_url}/orders",
                    json={"product_id": params["product_id"], "quantity": params["quantity"]},
                )
                answer = {"id": placed.json()["id"]}
            content = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/_pact/state"


def _reference_failures(pact_file: Path, base_url: str, state_url: str) -> list[str]:
    verifier = (
        Verifier(pact_file.stem.split("-", 1)[1], host="127.0.0.1")
        .add_transport(url=base_url)
        .add_source(pact_file)
        .state_handler(state_url, teardown=True, body=True)
    )
    with contextlib.suppress(RuntimeError):  # pact-python reports a failure by raising
        verifier.verify()
    return [r["description"] for r in verifier.results["interactionResults"] if r["result"] != "OK"]


@pytest.mark.parametrize(
    "pair", ["gateway-inventory", "gateway-orders", "orders-inventory", "orders-payments"]
)
def test_shop_pact_passes_against_the_real_provider(pair: str, shop: dict[str, str]) -> None:
    """Both Interlock's verifier and pact-python's accept the committed pact from the real provider."""
    pact_file = SHOP / "pacts" / f"{pair}.json"
    provider = pair.split("-", 1)[1]
    server, state_url = _state_endpoint(shop["orders"])
    try:
        report = verify_pacts([pact_file], VerifyOptions(provider, shop[provider], state_url))
        failures = [
            (r.description, [str(m) for m in r.mismatches], r.error)
            for r in report.results
            if r.status != "passed"
        ]
        assert [] == failures
        assert [] == _reference_failures(pact_file, shop[provider], state_url)
    finally:
        server.shutdown()
        server.server_close()
