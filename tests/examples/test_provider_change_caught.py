"""A provider change the consumer does not expect is caught by contract verification.

`gateway` is tested alone against stubs built from its pacts; `inventory` then renames
`price` to `price_cents` in its next release. Verifying gateway's pact against that
release fails on exactly the interactions that read the price, before any shared
environment would have shown the break.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from interlock.contracts import VerifyOptions, verify_pacts
from interlock.ports import free_port, wait_for_port

PACT = (
    Path(__file__).resolve().parents[2] / "examples" / "shop" / "pacts" / "gateway-inventory.json"
)
PRODUCTS = {
    1: {"id": 1, "sku": "MUG-001", "name": "Mug", "price_cents": 1250, "stock": 40},
    2: {"id": 2, "sku": "TEA-002", "name": "Tea", "price_cents": 450, "stock": 25},
}


def next_inventory_release() -> FastAPI:
    """inventory as its next release answers: the same routes, `price` renamed `price_cents`."""
    app = FastAPI()

    @app.get("/products")
    def products() -> list[dict[str, object]]:
        return list(PRODUCTS.values())

    @app.get("/products/{product_id}")
    def product(product_id: int) -> object:
        if product_id not in PRODUCTS:
            return JSONResponse({"detail": f"product {product_id} not found"}, status_code=404)
        return PRODUCTS[product_id]

    return app


@pytest.fixture
def changed_inventory() -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(next_inventory_release(), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


@pytest.mark.server
def test_the_current_inventory_honours_gateways_pact(shop: dict[str, str]) -> None:
    report = verify_pacts([PACT], VerifyOptions(provider="inventory", base_url=shop["inventory"]))
    assert report.passed, [r.mismatches for r in report.results]


@pytest.mark.server
def test_renaming_price_fails_verification_on_the_interactions_that_read_it(
    changed_inventory: str,
) -> None:
    report = verify_pacts([PACT], VerifyOptions(provider="inventory", base_url=changed_inventory))
    assert not report.passed
    failed = {r.description: r for r in report.results if r.status == "failed"}
    assert {"a request for product 1", "a request for the product list"} == set(failed)
    assert all("price" in str(m) for r in failed.values() for m in r.mismatches)
    assert "passed" == next(r.status for r in report.results if "does not exist" in r.description)
