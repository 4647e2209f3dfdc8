"""The shop's descriptors and OpenAPI files: a clean catalog, and specs that match the apps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from interlock.catalog import EdgeKind, load_catalog

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


def test_shop_catalog_has_no_findings_and_the_four_calls() -> None:
    catalog = load_catalog(SHOP)
    graph = catalog.graph

    assert [] == catalog.findings
    assert {
        ("gateway", "orders"),
        ("gateway", "inventory"),
        ("orders", "payments"),
        ("orders", "inventory"),
    } == {
        (graph.node(e.source).name, graph.node(e.target).name) for e in graph.edges(EdgeKind.CALLS)
    }


def test_orders_reads_inventory_products_directly() -> None:
    """The cross-team coupling that makes an inventory migration dangerous."""
    graph = load_catalog(SHOP).graph
    reads = [(e.source, e.target, e.columns) for e in graph.edges(EdgeKind.READS)]
    assert [("service:orders", "table:inventory.products", ("id", "name", "price"))] == reads


def test_committed_openapi_files_match_the_apps() -> None:
    """`export_openapi.py --check` fails when an app changed and its file was not regenerated."""
    result = subprocess.run(
        [sys.executable, str(SHOP / "export_openapi.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert (0, "") == (result.returncode, result.stderr)
