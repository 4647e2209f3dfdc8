"""Column references in consumer queries, resolved against the schema."""

from __future__ import annotations

from interlock.migrations.column_refs import column_uses

SCHEMA = {
    "products": ["id", "sku", "name", "price", "stock"],
    "orders": ["id", "product_id", "quantity", "status"],
}


def uses(sql: str) -> set[str]:
    return {f"{u.table}.{u.column}" for u in column_uses(sql, SCHEMA)}


def test_an_alias_resolves_to_its_table() -> None:
    assert {"products.id", "products.price"} == uses(
        "SELECT p.price FROM products p WHERE p.id = $1"
    )


def test_unqualified_columns_resolve_through_a_join() -> None:
    found = uses("SELECT price, quantity FROM orders o JOIN products p ON p.id = o.product_id")
    assert {"products.price", "orders.quantity", "products.id", "orders.product_id"} == found


def test_star_expands_to_every_column() -> None:
    assert {f"products.{c}" for c in SCHEMA["products"]} == uses("SELECT * FROM products")
    assert {f"orders.{c}" for c in SCHEMA["orders"]} | {"products.id"} == uses(
        "SELECT o.* FROM orders o, products p WHERE p.id = 1"
    )


def test_a_cte_passes_its_columns_through() -> None:
    found = uses(
        "WITH cheap AS (SELECT id, price AS cost FROM products) SELECT cost FROM cheap WHERE id > 3"
    )
    assert {"products.id", "products.price"} == found


def test_a_correlated_subquery_sees_the_outer_alias() -> None:
    found = uses(
        "SELECT o.id FROM orders o WHERE EXISTS (SELECT 1 FROM products p WHERE p.id = o.product_id AND p.stock > 0)"
    )
    assert {"orders.id", "products.id", "orders.product_id", "products.stock"} == found


def test_a_subquery_in_from_is_resolved() -> None:
    found = uses("SELECT s.total FROM (SELECT sum(price) AS total FROM products) s")
    assert {"products.price"} == found


def test_insert_and_update_name_their_columns() -> None:
    assert {"orders.product_id", "orders.quantity"} == uses(
        "INSERT INTO orders (product_id, quantity) VALUES ($1, $2)"
    )
    assert {"products.stock", "products.id"} == uses(
        "UPDATE products SET stock = stock - $1 WHERE id = $2"
    )


def test_how_a_column_was_named_is_kept() -> None:
    hows = {(u.column, u.how) for u in column_uses("SELECT *, p.price FROM products p", SCHEMA)}
    assert ("price", "qualified") in hows
    assert ("price", "star") in hows
