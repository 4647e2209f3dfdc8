"""The catalog generator used by the benchmark and by tests of big maps."""

from __future__ import annotations

from pathlib import Path

from interlock.catalog import EdgeKind, NodeKind, generate_catalog, impact, load_catalog


def test_a_generated_catalog_loads_without_findings_at_the_size_asked(tmp_path: Path) -> None:
    made = generate_catalog(tmp_path, services=120, edges=600, seed=3)
    catalog = load_catalog(tmp_path)
    assert [] == catalog.findings
    assert 120 == len(catalog.graph.nodes(NodeKind.SERVICE))
    assert made.edges == len(catalog.graph.edges())
    assert 600 == made.edges


def test_a_generated_catalog_mixes_both_formats_and_every_edge_kind(tmp_path: Path) -> None:
    generate_catalog(tmp_path, services=80, edges=400, seed=1)
    names = {p.name for p in tmp_path.rglob("*.yaml")}
    assert {"catalog-info.yaml", "interlock.yaml", "openapi.yaml"} == names
    kinds = {e.kind for e in load_catalog(tmp_path).graph.edges()}
    assert set(EdgeKind) == kinds


def test_the_central_table_has_many_dependents(tmp_path: Path) -> None:
    made = generate_catalog(tmp_path, services=100, edges=500)
    report = impact(load_catalog(tmp_path).graph, made.central_table)
    assert 10 < len([d for d in report.dependents if d.distance == 1])


def test_the_same_seed_writes_the_same_tree(tmp_path: Path) -> None:
    generate_catalog(tmp_path / "a", services=30, edges=150, seed=5)
    generate_catalog(tmp_path / "b", services=30, edges=150, seed=5)
    first = {p.relative_to(tmp_path / "a"): p.read_text() for p in (tmp_path / "a").rglob("*.yaml")}
    second = {
        p.relative_to(tmp_path / "b"): p.read_text() for p in (tmp_path / "b").rglob("*.yaml")
    }
    assert first == second
