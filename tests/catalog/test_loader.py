"""Descriptor parsing (Backstage and interlock.yaml) and every validation error with its place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from interlock.catalog import EdgeKind, Finding, NodeKind, Severity, load_catalog

WriteTree = Callable[[dict[str, str]], Path]


def edges_of(root: Path, kind: EdgeKind) -> set[tuple[str, str]]:
    graph = load_catalog(root).graph
    return {(graph.node(e.source).name, graph.node(e.target).name) for e in graph.edges(kind)}


def only_finding(root: Path) -> Finding:
    findings = load_catalog(root).findings
    assert len(findings) == 1, findings
    return findings[0]


def test_both_formats_merge_into_one_clean_graph(shop_tree: Path) -> None:
    catalog = load_catalog(shop_tree)
    assert [] == catalog.findings
    graph = catalog.graph
    assert ["gateway", "inventory", "orders", "payments"] == [
        n.name for n in graph.nodes(NodeKind.SERVICE)
    ]
    assert ["inventory", "orders"] == [n.name for n in graph.nodes(NodeKind.DATABASE)]
    assert ["inventory.products", "orders.orders"] == [n.name for n in graph.nodes(NodeKind.TABLE)]
    orders = graph.get(NodeKind.SERVICE, "orders")
    assert orders is not None
    assert "orders-svc" == orders.attrs["telemetry_name"]
    assert "production" == orders.attrs["lifecycle"]


def test_calls_come_from_interlock_yaml_and_from_consumed_apis(shop_tree: Path) -> None:
    assert {
        ("gateway", "orders"),
        ("gateway", "inventory"),
        ("orders", "payments"),
    } == edges_of(shop_tree, EdgeKind.CALLS)


def test_reads_keep_their_columns(shop_tree: Path) -> None:
    graph = load_catalog(shop_tree).graph
    (reads,) = graph.edges(EdgeKind.READS)
    assert ("service:orders", "table:inventory.products") == (reads.source, reads.target)
    assert ("id", "name", "price") == reads.columns


def test_ownership_edges(shop_tree: Path) -> None:
    assert {("orders", "orders"), ("inventory", "inventory")} == edges_of(shop_tree, EdgeKind.OWNS)
    assert ("payments", "team-orders") in edges_of(shop_tree, EdgeKind.OWNED_BY)
    assert ("orders-api", "team-orders") in edges_of(shop_tree, EdgeKind.OWNED_BY)


def test_api_definition_text_is_resolved_relative_to_the_descriptor(shop_tree: Path) -> None:
    api = load_catalog(shop_tree).graph.get(NodeKind.API, "orders-api")
    assert api is not None
    assert "orders/openapi.yaml" == api.attrs["definition_path"]


def test_unknown_kind_is_reported_at_the_kind_with_a_suggestion(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "a/catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Componnet\nmetadata:\n  name: a\n"
        }
    )
    finding = only_finding(root)
    assert ("unknown-kind", 2, 7) == (finding.code, finding.line, finding.column)
    assert "did you mean 'Component'" in finding.message


def test_missing_required_field_names_the_field(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "a/catalog-info.yaml": """
                apiVersion: backstage.io/v1alpha1
                kind: Component
                metadata:
                  name: a
                spec:
                  type: service
                  owner: me
                """
        }
    )
    findings = load_catalog(root).findings
    assert "missing-field" == findings[0].code
    assert "spec.lifecycle" in findings[0].message
    assert 6 == findings[0].line


def test_bad_name_is_reported_where_the_name_is(write_tree: WriteTree) -> None:
    root = write_tree(
        {"a/interlock.yaml": "apiVersion: interlock/v1\nkind: Service\nname: -bad name\n"}
    )
    finding = only_finding(root)
    assert ("bad-name", 3, 7) == (finding.code, finding.line, finding.column)


def test_unknown_reference_suggests_the_closest_name(
    write_tree: WriteTree, shop_files: dict[str, str]
) -> None:
    shop_files["payments/interlock.yaml"] += "calls: [inventroy]\n"
    finding = only_finding(write_tree(shop_files))
    assert "unknown-reference" == finding.code
    assert finding.file.endswith("payments/interlock.yaml")
    assert (5, 9) == (finding.line, finding.column)
    assert "did you mean 'inventory'?" in finding.message


def test_unknown_column_in_reads_is_reported(
    write_tree: WriteTree, shop_files: dict[str, str]
) -> None:
    shop_files["orders/interlock.yaml"] = shop_files["orders/interlock.yaml"].replace(
        "[id, name, price]", "[id, name, prize]"
    )
    finding = only_finding(write_tree(shop_files))
    assert "unknown-reference" == finding.code
    assert "no column 'prize' (did you mean 'price'?)" in finding.message


def test_invalid_yaml_gives_line_and_column(write_tree: WriteTree) -> None:
    """A bracket left open is reported where it opens, with where PyYAML gave up."""
    root = write_tree({"a/interlock.yaml": "apiVersion: interlock/v1\nkind: [Service\nname: a\n"})
    finding = only_finding(root)
    assert ("bad-yaml", 2, 7) == (finding.code, finding.line, finding.column)
    assert (
        "invalid YAML: did not find expected ',' or ']' at line 3, column 5 "
        "(in the '[' that starts here)"
    ) == finding.message


def test_unclosed_bracket_at_the_end_of_the_file_says_where_the_file_ended(
    write_tree: WriteTree,
) -> None:
    text = "apiVersion: interlock/v1\nkind: Service\ncalls: [b, c\n"
    finding = only_finding(write_tree({"a/interlock.yaml": text}))
    assert (3, 8) == (finding.line, finding.column)
    assert "invalid YAML: unclosed '[' (started here; the file ended at line 3)" == finding.message


def test_yaml_error_without_an_unclosed_start_stays_where_it_is_found(
    write_tree: WriteTree,
) -> None:
    root = write_tree({"a/interlock.yaml": "apiVersion: interlock/v1\nkind: Service\n bad: 1\n"})
    finding = only_finding(root)
    assert (3, 5, "invalid YAML: mapping values are not allowed in this context") == (
        finding.line,
        finding.column,
        finding.message,
    )


def test_missing_definition_file_is_an_error(
    write_tree: WriteTree, shop_files: dict[str, str]
) -> None:
    shop_files["orders/catalog-info.yaml"] = shop_files["orders/catalog-info.yaml"].replace(
        "./openapi.yaml", "./missing.yaml"
    )
    finding = only_finding(write_tree(shop_files))
    assert "missing-file" == finding.code
    assert "'./missing.yaml'" in finding.message


def test_duplicate_definition_points_at_the_first(
    write_tree: WriteTree, shop_files: dict[str, str]
) -> None:
    shop_files["zz-extra/interlock.yaml"] = shop_files["payments/interlock.yaml"]
    finding = only_finding(write_tree(shop_files))
    assert "duplicate" == finding.code
    assert "payments/interlock.yaml" in finding.message


def test_cycles_in_calls_are_warnings(write_tree: WriteTree, shop_files: dict[str, str]) -> None:
    shop_files["payments/interlock.yaml"] += "calls: [orders]\n"
    finding = only_finding(write_tree(shop_files))
    assert (Severity.WARNING, "calls-cycle") == (finding.severity, finding.code)
    assert "orders -> payments -> orders" in finding.message


def test_unknown_field_in_interlock_yaml(write_tree: WriteTree) -> None:
    root = write_tree(
        {"a/interlock.yaml": "apiVersion: interlock/v1\nkind: Service\nname: a\nowns: []\n"}
    )
    finding = only_finding(root)
    assert ("unknown-field", 4) == (finding.code, finding.line)
