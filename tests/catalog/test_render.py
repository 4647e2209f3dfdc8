"""Text, Mermaid and DOT renderings of the map, and what a map view shows."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from interlock.catalog import (
    ALL_BUT_TEAMS,
    CatalogGraph,
    EdgeKind,
    NodeKind,
    describe_path,
    impact,
    load_catalog,
    map_view,
    render_dot,
    render_mermaid,
    render_text,
)

WriteTree = Callable[[dict[str, str]], Path]

MERMAID_NODE = re.compile(
    r'^  (?P<id>[A-Za-z][A-Za-z0-9_]*)(?P<open>\(|\{\{|\[\(|\[|\[/)"(?P<label>[^"]+)"'
    r"(?P<close>\)|\}\}|\)\]|\]|/\])$"
)
MERMAID_EDGE = re.compile(r"^  (?P<a>[A-Za-z0-9_]+) -->\|(?P<label>[^|]+)\| (?P<b>[A-Za-z0-9_]+)$")
QUOTED = r'"(?:[^"\\]|\\.)*"'
DOT_NODE = re.compile(rf"^  (?P<id>{QUOTED}) \[(?P<attrs>.*)\];$")
DOT_EDGE = re.compile(rf"^  (?P<a>{QUOTED}) -> (?P<b>{QUOTED}) \[label={QUOTED}\];$")
DOT_ATTR = re.compile(rf"^[a-z]+=(?:{QUOTED}|[A-Za-z0-9.#]+)$")


@pytest.fixture
def shop(shop_tree: Path) -> CatalogGraph:
    return load_catalog(shop_tree).graph


def test_text_groups_owner_calls_apis_databases_and_columns_by_service(
    shop: CatalogGraph,
) -> None:
    text = render_text(shop)
    orders = text.split("service orders\n")[1].split("\n\n")[0]
    assert [
        "  owner      team-orders",
        "  calls      payments",
        "  called by  gateway",
        "  provides   orders-api",
        "  owns       orders (tables: orders)",
        "  reads      inventory.products (id, name, price)",
    ] == orders.splitlines()
    assert "  calls     inventory (via inventory-api), orders (via orders-api)" in text
    assert "  table products  id, sku, name, price, stock" in text
    assert text.startswith("Catalog: 4 services, 2 APIs, 2 databases, 2 tables, 3 teams; ")


def test_mermaid_is_a_flowchart_with_a_shape_per_kind(shop: CatalogGraph) -> None:
    lines = render_mermaid(shop).splitlines()
    assert "flowchart LR" == lines[0]
    nodes = {m["id"]: m for m in map(MERMAID_NODE.match, lines) if m}
    edges = [m for m in map(MERMAID_EDGE.match, lines) if m]
    assert 8 == len(nodes)
    assert ("[(", ")]") == (nodes["database_orders"]["open"], nodes["database_orders"]["close"])
    assert ("{{", "}}") == (nodes["api_orders_api"]["open"], nodes["api_orders_api"]["close"])
    assert "(" == nodes["service_orders"]["open"]
    for edge in edges:
        assert edge["a"] in nodes and edge["b"] in nodes
    labels = {(e["a"], e["label"], e["b"]) for e in edges}
    assert ("service_orders", "reads", "database_inventory") in labels
    other = [
        line
        for line in lines[1:]
        if not (MERMAID_NODE.match(line) or MERMAID_EDGE.match(line))
        and not line.startswith(("  classDef ", "  class "))
    ]
    assert [] == other


def test_mermaid_ids_stay_unique_when_names_differ_only_in_punctuation(
    write_tree: WriteTree,
) -> None:
    files = {
        f"{name}/interlock.yaml": f"apiVersion: interlock/v1\nkind: Service\nname: {name}\n"
        for name in ("cart-api", "cart_api", "cart.api")
    }
    lines = render_mermaid(load_catalog(write_tree(files)).graph).splitlines()
    ids = [m["id"] for m in map(MERMAID_NODE.match, lines) if m]
    assert 3 == len(set(ids))


def test_dot_is_a_well_formed_digraph(shop: CatalogGraph) -> None:
    """A structural parse: one digraph block; every statement a node, an edge or a default."""
    dot = render_dot(shop, kinds=ALL_BUT_TEAMS)
    lines = dot.splitlines()
    assert "digraph catalog {" == lines[0]
    assert "}" == lines[-1]
    assert dot.count("{") == dot.count("}")
    declared: set[str] = set()
    edges = []
    for line in lines[1:-1]:
        if node := DOT_NODE.match(line):
            declared.add(node["id"])
            attrs = re.split(rf",\s*(?=(?:[^\"]*{QUOTED})*[^\"]*$)", node["attrs"])
            assert all(DOT_ATTR.match(a.strip()) for a in attrs), line
        elif edge := DOT_EDGE.match(line):
            edges.append((edge["a"], edge["b"]))
        else:
            assert re.match(r"^  (rankdir=LR|node \[.*\]|edge \[.*\]);$", line), line
    assert '"table:inventory.products"' in declared
    assert all(a in declared and b in declared for a, b in edges)
    assert ('"database:inventory"', '"table:inventory.products"') in edges
    assert "shape=cylinder" in dot


def test_map_view_draws_table_reads_to_the_database_when_tables_are_hidden(
    shop: CatalogGraph,
) -> None:
    edges = {(e.source, e.target): e.kinds for e in map_view(shop).edges}
    assert (EdgeKind.READS,) == edges[("service:orders", "database:inventory")]
    with_tables = {(e.source, e.target) for e in map_view(shop, ALL_BUT_TEAMS).edges}
    assert ("service:orders", "table:inventory.products") in with_tables
    assert ("service:orders", "database:inventory") not in with_tables


def test_map_view_leaves_out_calls_that_only_restate_an_api(shop: CatalogGraph) -> None:
    """gateway -> orders is derived from gateway consuming orders-api: shown via the API."""
    with_apis = {(e.source, e.target) for e in map_view(shop).edges}
    assert ("service:gateway", "service:orders") not in with_apis
    services_only = {
        (e.source, e.target) for e in map_view(shop, frozenset({NodeKind.SERVICE})).edges
    }
    assert ("service:gateway", "service:orders") in services_only


def test_describe_path_reads_from_dependent_to_target(shop: CatalogGraph) -> None:
    report = impact(shop, "inventory.products")
    paths = {d.node.id: describe_path(d) for d in report.dependents}
    assert "gateway -calls-> orders -reads-> inventory.products" == paths["service:gateway"]
    assert "orders-api <-provides- orders -reads-> inventory.products" == paths["api:orders-api"]
    assert (
        "inventory -owns-> inventory -contains-> inventory.products" == paths["service:inventory"]
    )
