"""Inventory: owns the `inventory` database and its `products`; reserves stock.

Run with `python -m inventory.app` from `examples/shop` (env: PORT, DATABASE_URL).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from shoplib import (
    Database,
    error_responses,
    migrate_up,
    run,
    service_app,
    setup_tracing,
)

SERVICE = "inventory"
MIGRATIONS = Path(__file__).parent / "migrations"
SEED = [
    (1, "MUG-001", "Enamel mug", 1200, 40),
    (2, "TEE-002", "Organic T-shirt", 2500, 25),
    (3, "CAP-003", "Canvas cap", 1800, 10),
    (4, "PIN-004", "Limited enamel pin", 500, 0),
]


class Product(BaseModel):
    id: int
    sku: str
    name: str
    price: int = Field(description="Price in integer cents.")
    stock: int


class Reservation(BaseModel):
    quantity: int = Field(gt=0)


class Reserved(BaseModel):
    product_id: int
    quantity: int
    stock: int = Field(description="Stock left after the reservation.")


def create_app() -> FastAPI:
    tracing = setup_tracing(SERVICE)
    db = Database(
        os.environ.get("DATABASE_URL", "sqlite:///inventory.db"), "inventory", tracing.tracer
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate_up(db.engine, MIGRATIONS)
        if not db.query("SELECT id FROM products LIMIT 1"):
            for row in SEED:
                db.execute(
                    "INSERT INTO products (id, sku, name, price, stock) "
                    "VALUES (:id, :sku, :name, :price, :stock)",
                    dict(zip(("id", "sku", "name", "price", "stock"), row, strict=True)),
                )
        yield
        db.dispose()
        tracing.shutdown()

    def set_state(state: str, params: dict[str, Any], action: str) -> dict[str, Any]:
        """Pact provider states about products; the seed data holds the others."""
        if action != "setup":
            return {}
        if state.endswith(" is in stock"):
            db.execute(
                "UPDATE products SET stock = :stock WHERE id = :id",
                {"stock": int(params.get("stock", 25)), "id": int(params["id"])},
            )
        elif state.endswith(" is out of stock"):
            db.execute("UPDATE products SET stock = 0 WHERE id = :id", {"id": int(params["id"])})
        return {}

    app = service_app(tracing, lifespan, states=set_state)

    @app.get("/products")
    def list_products() -> list[Product]:
        rows = db.query("SELECT id, sku, name, price, stock FROM products ORDER BY id")
        return [Product(**row) for row in rows]

    @app.get("/products/{product_id}", responses=error_responses({404: "No such product"}))
    def get_product(product_id: int) -> Product:
        rows = db.query(
            "SELECT id, sku, name, price, stock FROM products WHERE id = :id", {"id": product_id}
        )
        if not rows:
            raise HTTPException(404, f"product {product_id} not found")
        return Product(**rows[0])

    @app.post(
        "/products/{product_id}/reserve",
        responses=error_responses({404: "No such product", 409: "Out of stock"}),
    )
    def reserve(product_id: int, body: Reservation) -> Reserved:
        # One conditional UPDATE: two concurrent reservations can never oversell.
        changed = db.execute(
            "UPDATE products SET stock = stock - :q WHERE id = :id AND stock >= :q",
            {"q": body.quantity, "id": product_id},
        )
        rows = db.query("SELECT stock FROM products WHERE id = :id", {"id": product_id})
        if not rows:
            raise HTTPException(404, f"product {product_id} not found")
        if not changed:
            raise HTTPException(
                409, f"product {product_id} has {rows[0]['stock']} in stock, {body.quantity} asked"
            )
        return Reserved(product_id=product_id, quantity=body.quantity, stock=rows[0]["stock"])

    return app


def main() -> None:
    run(create_app, default_port=8003)


if __name__ == "__main__":
    main()
