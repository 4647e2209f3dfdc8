"""Impact queries: everything that depends on a target, with the path that leads there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from interlock.catalog import EdgeKind, impact, load_catalog
from interlock.errors import UserInputError


def dependents(root: Path, target: str) -> dict[str, list[str]]:
    """{dependent id: [edge kinds along its path]} for `target`."""
    report = impact(load_catalog(root).graph, target)
    return {d.node.id: [e.kind.value for e in d.path] for d in report.dependents}


def test_a_table_impacts_its_readers_their_callers_and_its_owner(shop_tree: Path) -> None:
    found = dependents(shop_tree, "inventory.products")
    assert ["reads"] == found["service:orders"]
    assert ["calls", "reads"] == found["service:gateway"]
    assert ["owns", "contains"] == found["service:inventory"]
    assert "service:payments" not in found


def test_a_column_narrows_the_first_hop_to_its_readers(shop_tree: Path) -> None:
    assert "service:orders" in dependents(shop_tree, "products.price")
    assert "service:orders" not in dependents(shop_tree, "products.stock")
    assert "service:inventory" in dependents(shop_tree, "products.stock")


def test_a_service_impacts_its_callers_and_its_apis(shop_tree: Path) -> None:
    found = dependents(shop_tree, "inventory")
    assert "api:inventory-api" in found
    assert "service:gateway" in found
    assert (
        "service:orders" not in found
    )  # it reads the database, which the service change leaves be


def test_paths_lead_from_the_dependent_down_to_the_target(shop_tree: Path) -> None:
    report = impact(load_catalog(shop_tree).graph, "service:payments")
    gateway = next(d for d in report.dependents if d.node.name == "gateway")
    assert [("service:gateway", "service:orders"), ("service:orders", "service:payments")] == [
        (e.source, e.target) for e in gateway.path
    ]
    assert all(EdgeKind.CALLS == e.kind for e in gateway.path)


def test_a_name_shared_by_a_service_and_a_database_means_the_service(shop_tree: Path) -> None:
    graph = load_catalog(shop_tree).graph
    assert "service:orders" == impact(graph, "orders").target.id
    assert "database:orders" == impact(graph, "database:orders").target.id


def test_a_table_name_in_two_databases_is_ambiguous(
    write_tree: Callable[[dict[str, str]], Path], shop_files: dict[str, str]
) -> None:
    shop_files["orders/interlock.yaml"] = """
        apiVersion: interlock/v1
        kind: Service
        name: orders
        databases:
          orders:
            tables:
              products: [id]
        """
    with pytest.raises(UserInputError, match="ambiguous"):
        impact(load_catalog(write_tree(shop_files)).graph, "products")


def test_an_unknown_target_suggests_names(shop_tree: Path) -> None:
    with pytest.raises(UserInputError, match="did you mean 'payments'"):
        impact(load_catalog(shop_tree).graph, "paymets")


def test_an_unknown_column_is_a_clear_error(shop_tree: Path) -> None:
    with pytest.raises(UserInputError, match="has no column 'cost'"):
        impact(load_catalog(shop_tree).graph, "inventory.products.cost")
