"""Cross-service impact of a pending migration, from the catalog, contracts and traces."""

from __future__ import annotations

from pathlib import Path

from interlock.catalog import load_catalog
from interlock.contracts.database import ContractQuery
from interlock.migrations import read_migrations
from interlock.migrations.impact import MigrationImpact, ObservedQuery, migration_impact

CREATE = "CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL, name text NOT NULL, price integer NOT NULL, stock integer NOT NULL DEFAULT 0);"


def catalog(root: Path) -> Path:
    (root / "inventory").mkdir(parents=True)
    (root / "orders").mkdir(parents=True)
    (root / "inventory/interlock.yaml").write_text(
        "apiVersion: interlock/v1\nkind: Service\nname: inventory\n"
        "databases:\n  inventory:\n    tables:\n      products: [id, sku, name, price, stock]\n"
    )
    (root / "orders/interlock.yaml").write_text(
        "apiVersion: interlock/v1\nkind: Service\nname: orders\nreads:\n  inventory.products: [id, name, price]\n"
    )
    return root


def impact_of(tmp_path: Path, change: str, **sources: object) -> MigrationImpact:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "000001_create.up.sql").write_text(CREATE)
    (folder / "000001_create.down.sql").write_text("DROP TABLE products;")
    (folder / "000002_change.up.sql").write_text(change)
    (folder / "000002_change.down.sql").write_text("SELECT 1;")
    migrations = read_migrations(folder)
    graph = load_catalog(catalog(tmp_path / "catalog")).graph
    return migration_impact(
        migrations[:1], migrations[1:], database="inventory", graph=graph, **sources
    )  # type: ignore[arg-type]


def test_renaming_a_column_a_consumer_reads_is_found_in_all_three_sources(tmp_path: Path) -> None:
    report = impact_of(
        tmp_path,
        "ALTER TABLE products RENAME COLUMN price TO price_cents;",
        contracts=[
            ContractQuery(
                "orders",
                "inventory",
                "product-price",
                "SELECT p.price FROM products p WHERE p.id = $1",
            )
        ],
        observed=[ObservedQuery("gateway", "SELECT * FROM products WHERE id = $1", 12)],
    )
    assert report.breaks_consumers
    (change,) = report.changes
    assert ["catalog", "contract", "traces"] == [u.source for u in change.uses]
    assert ["gateway", "orders"] == change.services
    assert "products.price (qualified)" == change.uses[1].reference
    assert "products.price (star)" == change.uses[2].reference
    assert any("price_cents" in step for step in change.advice)


def test_the_owner_is_not_a_consumer(tmp_path: Path) -> None:
    report = impact_of(
        tmp_path,
        "ALTER TABLE products DROP COLUMN stock;",
        observed=[ObservedQuery("inventory", "SELECT stock FROM products")],
    )
    assert "inventory" == report.owner
    assert not report.breaks_consumers


def test_a_column_nobody_reads_breaks_nobody(tmp_path: Path) -> None:
    report = impact_of(
        tmp_path,
        "ALTER TABLE products DROP COLUMN sku;",
        contracts=[ContractQuery("orders", "inventory", "q", "SELECT name FROM products")],
    )
    assert not report.breaks_consumers


def test_set_not_null_breaks_writers_that_omit_the_column(tmp_path: Path) -> None:
    report = impact_of(
        tmp_path,
        "ALTER TABLE products ADD COLUMN vendor text; ALTER TABLE products ALTER COLUMN vendor SET NOT NULL;",
        observed=[
            ObservedQuery(
                "importer", "INSERT INTO products (id, sku, name, price) VALUES ($1, $2, $3, $4)"
            ),
            ObservedQuery("orders", "SELECT name FROM products"),
        ],
    )
    set_not_null = next(c for c in report.changes if c.change.kind.value == "set-not-null")
    assert ["importer"] == set_not_null.services
