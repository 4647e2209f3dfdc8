"""Database contract files: read, written back, and rejected with a place when malformed."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.contracts.database import (
    contract_from_queries,
    load_database_contracts,
    write_database_contract,
)
from interlock.errors import SourceError

GOOD = """\
apiVersion: interlock/v1
kind: DatabaseContract
consumer: orders
database: inventory
queries:
  - name: product-price
    sql: SELECT id, name, price FROM products WHERE id = $1
"""


def test_a_contract_is_read_with_each_query(tmp_path: Path) -> None:
    (tmp_path / "orders.dbcontract.yaml").write_text(GOOD)
    (contract,) = load_database_contracts([tmp_path])
    assert ("orders", "inventory") == (contract.consumer, contract.database)
    (query,) = contract.queries
    assert "product-price" == query.name
    assert query.source.endswith("orders.dbcontract.yaml:7")


def test_writing_then_reading_keeps_the_contract(tmp_path: Path) -> None:
    (tmp_path / "a.dbcontract.yaml").write_text(GOOD)
    (contract,) = load_database_contracts([tmp_path / "a.dbcontract.yaml"])
    write_database_contract(contract, tmp_path / "b.dbcontract.yaml")
    (again,) = load_database_contracts([tmp_path / "b.dbcontract.yaml"])
    assert contract.queries[0].sql == again.queries[0].sql


def test_sql_that_does_not_parse_is_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "bad.dbcontract.yaml").write_text(GOOD.replace("SELECT id,", "SELEKT id,"))
    with pytest.raises(SourceError, match="query does not parse") as caught:
        load_database_contracts([tmp_path])
    assert 7 == caught.value.position.line


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    (tmp_path / "bad.dbcontract.yaml").write_text(GOOD.replace("database: inventory\n", ""))
    with pytest.raises(SourceError, match="missing required field 'database'"):
        load_database_contracts([tmp_path])


def test_a_first_contract_is_drafted_from_observed_queries(tmp_path: Path) -> None:
    """Queries seen on spans become named queries; unparsable ones are left out."""
    contract = contract_from_queries(
        "orders",
        "inventory",
        [
            "SELECT id, name, price FROM products WHERE id = $1",
            "UPDATE products SET stock = stock - $1 WHERE id = $2",
            "SELECT name FROM products WHERE sku = $1",
            "SELECT id FROM products WHERE id =",  # truncated by the exporter: not valid SQL
        ],
    )
    assert ["select-products", "select-products-2", "update-products"] == sorted(
        q.name for q in contract.queries
    )
    write_database_contract(contract, tmp_path / "orders.dbcontract.yaml")
    (again,) = load_database_contracts([tmp_path])
    assert 3 == len(again.queries)
