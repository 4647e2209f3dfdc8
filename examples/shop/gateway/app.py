"""Gateway: the public API of the shop; forwards to `inventory` and `orders`.

Run with `python -m gateway.app` from `examples/shop` (env: PORT, INVENTORY_URL, ORDERS_URL).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field
from shoplib import (
    ServiceClient,
    error_responses,
    forward_error,
    run,
    service_app,
    setup_tracing,
)

SERVICE = "gateway"


class Product(BaseModel):
    id: int
    sku: str
    name: str
    price: int = Field(description="Price in integer cents.")
    stock: int


class OrderRequest(BaseModel):
    product_id: int
    quantity: int = Field(gt=0)


class Order(BaseModel):
    id: str
    product_id: int
    quantity: int
    amount: int = Field(description="Total in integer cents.")
    currency: str
    status: str
    payment_id: str | None
    created_at: str


def create_app() -> FastAPI:
    env = os.environ
    tracing = setup_tracing(SERVICE)
    inventory = ServiceClient(
        env.get("INVENTORY_URL", "http://127.0.0.1:8003"), "inventory", tracing.tracer
    )
    # No timeout on orders: placing an order waits on payments, which can be slow, so this
    # client was given none at all. A slow orders then holds gateway's requests for as long
    # as it takes: the defect the demo's chaos chapter finds (docs/chaos.md shows the fix).
    orders = ServiceClient(
        env.get("ORDERS_URL", "http://127.0.0.1:8001"), "orders", tracing.tracer, timeout=None
    )

    def call(client: ServiceClient, method: str, path: str, body: Any = None) -> Any:
        response = client.request(method, path, body)
        forward_error(response, client.peer_service)
        return response.json()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        inventory.close()
        orders.close()
        tracing.shutdown()

    app = service_app(tracing, lifespan)

    @app.get("/products")
    def list_products() -> list[Product]:
        return [Product(**item) for item in call(inventory, "GET", "/products")]

    @app.get("/products/{product_id}", responses=error_responses({404: "No such product"}))
    def get_product(product_id: int) -> Product:
        return Product(**call(inventory, "GET", f"/products/{product_id}"))

    @app.post(
        "/orders",
        status_code=201,
        responses=error_responses(
            {404: "No such product", 409: "Out of stock", 502: "A dependency failed"}
        ),
    )
    def create_order(body: OrderRequest) -> Order:
        return Order(**call(orders, "POST", "/orders", body.model_dump()))

    @app.get("/orders/{order_id}", responses=error_responses({404: "No such order"}))
    def get_order(order_id: str) -> Order:
        return Order(**call(orders, "GET", f"/orders/{order_id}"))

    return app


def main() -> None:
    run(create_app, default_port=8000)


if __name__ == "__main__":
    main()
