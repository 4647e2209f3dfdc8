"""Orders: owns the `orders` database; reads product prices straight from `inventory`'s.

That direct read of `inventory.products` is the cross-team coupling a migration can break.
Run with `python -m orders.app` from `examples/shop` (env: PORT, DATABASE_URL,
INVENTORY_DATABASE_URL, INVENTORY_URL, PAYMENTS_URL).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from shoplib import (
    Database,
    ServiceClient,
    error_responses,
    forward_error,
    migrate_up,
    run,
    service_app,
    setup_tracing,
)

SERVICE = "orders"
MIGRATIONS = Path(__file__).parent / "migrations"
CURRENCY = "EUR"
ORDER_COLUMNS = "id, product_id, quantity, amount, currency, status, payment_id, created_at"


class OrderRequest(BaseModel):
    product_id: int
    quantity: int = Field(gt=0)


class Order(BaseModel):
    id: str
    product_id: int
    quantity: int
    amount: int = Field(description="Total in integer cents.")
    currency: str
    status: str = Field(examples=["paid", "payment_failed"])
    payment_id: str | None
    created_at: str


def _order(row: dict[str, Any]) -> Order:
    created = row["created_at"]
    # PostgreSQL hands back a datetime, SQLite the text we stored.
    row["created_at"] = created.isoformat() if isinstance(created, datetime) else str(created)
    return Order(**row)


def create_app() -> FastAPI:
    env = os.environ
    tracing = setup_tracing(SERVICE)
    db = Database(env.get("DATABASE_URL", "sqlite:///orders.db"), "orders", tracing.tracer)
    inventory_db = Database(
        env.get("INVENTORY_DATABASE_URL", "sqlite:///inventory.db"), "inventory", tracing.tracer
    )
    inventory = ServiceClient(
        env.get("INVENTORY_URL", "http://127.0.0.1:8003"), "inventory", tracing.tracer
    )
    payments = ServiceClient(
        env.get("PAYMENTS_URL", "http://127.0.0.1:8002"), "payments", tracing.tracer
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate_up(db.engine, MIGRATIONS)
        yield
        inventory.close()
        payments.close()
        db.dispose()
        inventory_db.dispose()
        tracing.shutdown()

    def set_state(state: str, params: dict[str, Any], action: str) -> dict[str, Any]:
        """Pact provider states: an order placed for real; product states are inventory's."""
        if state == "an order exists" and action == "setup":
            body = OrderRequest(product_id=params["product_id"], quantity=params["quantity"])
            return {"id": create_order(body).id}
        if state.startswith("product "):
            forwarded = inventory.request(
                "POST", "/_pact/state", {"state": state, "params": params, "action": action}
            )
            forward_error(forwarded, "inventory")
        return {}

    app = service_app(tracing, lifespan, states=set_state)

    @app.post(
        "/orders",
        status_code=201,
        responses=error_responses(
            {404: "No such product", 409: "Out of stock", 502: "A dependency failed"}
        ),
    )
    def create_order(body: OrderRequest) -> Order:
        products = inventory_db.query(
            "SELECT id, name, price FROM products WHERE id = :id", {"id": body.product_id}
        )
        if not products:
            raise HTTPException(404, f"product {body.product_id} not found")
        reserved = inventory.request(
            "POST", f"/products/{body.product_id}/reserve", {"quantity": body.quantity}
        )
        forward_error(reserved, "inventory")
        order_id = uuid.uuid4().hex
        amount = products[0]["price"] * body.quantity
        db.execute(
            "INSERT INTO orders (id, product_id, quantity, amount, currency, status, created_at) "
            "VALUES (:id, :product_id, :quantity, :amount, :currency, 'pending', :created_at)",
            {
                "id": order_id,
                "product_id": body.product_id,
                "quantity": body.quantity,
                "amount": amount,
                "currency": CURRENCY,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )
        try:
            charged = payments.request(
                "POST",
                "/payments",
                {"amount": amount, "currency": CURRENCY, "order_id": order_id},
            )
            forward_error(charged, "payments")
        except HTTPException:
            db.execute(
                "UPDATE orders SET status = 'payment_failed' WHERE id = :id", {"id": order_id}
            )
            raise
        db.execute(
            "UPDATE orders SET status = 'paid', payment_id = :payment WHERE id = :id",
            {"payment": charged.json()["id"], "id": order_id},
        )
        return get_order(order_id)

    @app.get("/orders/{order_id}", responses=error_responses({404: "No such order"}))
    def get_order(order_id: str) -> Order:
        rows = db.query(f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = :id", {"id": order_id})
        if not rows:
            raise HTTPException(404, f"order {order_id} not found")
        return _order(rows[0])

    return app


def main() -> None:
    run(create_app, default_port=8001)


if __name__ == "__main__":
    main()
