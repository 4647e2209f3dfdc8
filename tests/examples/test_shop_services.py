"""The example shop's four services as real processes on SQLite: answers, errors, the order flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from interlock.demo import find_shop, shop_specs
from interlock.processes import ProcessSet, wait_healthy

pytestmark = pytest.mark.server


def test_every_service_answers_its_health_check(shop: dict[str, str]) -> None:
    for name in ("gateway", "orders", "payments", "inventory"):
        response = httpx.get(f"{shop[name]}/health")
        assert (200, {"status": "ok"}) == (response.status_code, response.json()), name


def test_gateway_lists_the_seeded_products(shop: dict[str, str]) -> None:
    products = httpx.get(f"{shop['gateway']}/products").json()
    assert ["MUG-001", "TEE-002", "CAP-003", "PIN-004"] == [p["sku"] for p in products]
    assert {"id", "sku", "name", "price", "stock"} == set(products[0])


def test_unknown_product_is_a_json_404_through_the_gateway(shop: dict[str, str]) -> None:
    response = httpx.get(f"{shop['gateway']}/products/999")
    assert 404 == response.status_code
    assert {"detail": "product 999 not found"} == response.json()


def test_order_flows_through_all_four_services(shop: dict[str, str]) -> None:
    """Gateway -> orders -> (inventory DB read, inventory reserve, payments charge)."""
    stock_before = httpx.get(f"{shop['inventory']}/products/2").json()["stock"]

    placed = httpx.post(f"{shop['gateway']}/orders", json={"product_id": 2, "quantity": 3})

    assert 201 == placed.status_code, placed.text
    order = placed.json()
    assert ("paid", 3 * 2500, "EUR") == (order["status"], order["amount"], order["currency"])
    assert order == httpx.get(f"{shop['gateway']}/orders/{order['id']}").json()
    assert stock_before - 3 == httpx.get(f"{shop['inventory']}/products/2").json()["stock"]
    payment = httpx.get(f"{shop['payments']}/payments/{order['payment_id']}").json()
    assert (order["id"], 7500, "captured") == (
        payment["order_id"],
        payment["amount"],
        payment["status"],
    )


def test_ordering_more_than_the_stock_is_a_409(shop: dict[str, str]) -> None:
    response = httpx.post(f"{shop['gateway']}/orders", json={"product_id": 4, "quantity": 1})
    assert 409 == response.status_code
    assert "product 4 has 0 in stock" in response.json()["detail"]


def test_unknown_order_is_a_json_404(shop: dict[str, str]) -> None:
    response = httpx.get(f"{shop['gateway']}/orders/nope")
    assert (404, {"detail": "order nope not found"}) == (response.status_code, response.json())


def test_bad_order_body_is_a_422(shop: dict[str, str]) -> None:
    response = httpx.post(f"{shop['gateway']}/orders", json={"product_id": 1, "quantity": 0})
    assert 422 == response.status_code
    assert ["body", "quantity"] == response.json()["detail"][0]["loc"]


def test_bad_payment_is_a_422(shop: dict[str, str]) -> None:
    body = {"amount": -5, "currency": "euro", "order_id": "x"}
    response = httpx.post(f"{shop['payments']}/payments", json=body)
    assert 422 == response.status_code
    assert {("body", "amount"), ("body", "currency")} == {
        tuple(error["loc"]) for error in response.json()["detail"]
    }


@pytest.mark.postgres
def test_order_flow_runs_on_postgresql(postgres: Any, tmp_path: Path) -> None:
    """The same services on PostgreSQL: migrations, seed, the direct read and the order."""
    databases = {name: postgres.create_database(f"shop_{name}") for name in ("orders", "inventory")}
    specs = shop_specs(find_shop(), tmp_path, None, database_urls=databases)
    urls = {spec.name: (spec.health_url or "").removesuffix("/health") for spec in specs}
    with ProcessSet() as processes:
        wait_healthy([processes.start(spec) for spec in specs], timeout=60)
        placed = httpx.post(f"{urls['gateway']}/orders", json={"product_id": 3, "quantity": 2})
        assert 201 == placed.status_code, placed.text
        order = httpx.get(f"{urls['gateway']}/orders/{placed.json()['id']}").json()
        stock = httpx.get(f"{urls['gateway']}/products/3").json()["stock"]
    assert ("paid", 3600) == (order["status"], order["amount"])
    assert 8 == stock
