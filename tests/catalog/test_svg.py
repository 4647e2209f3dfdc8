"""The SVG service map: valid XML, every node drawn once, no two boxes overlapping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import pytest

from interlock.catalog import (
    CatalogGraph,
    Node,
    NodeKind,
    generate_catalog,
    layout,
    load_catalog,
    render_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
Box = tuple[float, float, float, float]  # left, top, right, bottom


@pytest.fixture(scope="module")
def generated_50(tmp_path_factory: pytest.TempPathFactory) -> CatalogGraph:
    """A generated catalog of 50 services (about 250 edges)."""
    root = tmp_path_factory.mktemp("generated-50")
    generate_catalog(root, services=50, edges=250, seed=7)
    catalog = load_catalog(root)
    assert [] == catalog.errors
    return catalog.graph


@pytest.fixture
def shop(shop_tree: Path) -> CatalogGraph:
    return load_catalog(shop_tree).graph


def node_groups(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {
        g.attrib["id"]: g
        for g in root.iter(f"{SVG}g")
        if "node" in g.attrib.get("class", "").split()
    }


def numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)]


def shape_box(group: ET.Element) -> Box:
    """The bounding box of a node's shape, read back from the SVG itself."""
    shape = next(e for e in group if e.attrib.get("class") == "shape")
    tag = shape.tag.removeprefix(SVG)
    if tag == "rect":
        x, y = float(shape.attrib["x"]), float(shape.attrib["y"])
        return (x, y, x + float(shape.attrib["width"]), y + float(shape.attrib["height"]))
    if tag == "polygon":
        values = numbers(shape.attrib["points"])
        xs, ys = values[0::2], values[1::2]
        return (min(xs), min(ys), max(xs), max(ys))
    assert "path" == tag
    # M x,y+ry  a w/2,ry 0 0,0 w,0  a ... -w,0  v h-2ry  a ... w,0  v -(h-2ry)
    d = shape.attrib["d"]
    x, top_plus_ry = numbers(d.split("a")[0])
    rx, ry = numbers(d.split("a")[1])[:2]
    body = numbers(d.split("v")[1].split("a")[0])[0]
    return (x, top_plus_ry - ry, x + 2 * rx, top_plus_ry + body + ry)


def overlapping(boxes: dict[str, Box]) -> list[tuple[str, str]]:
    return [
        (a, b)
        for (a, (al, at, ar, ab)), (b, (bl, bt, br, bb)) in combinations(boxes.items(), 2)
        if al < br and bl < ar and at < bb and bt < ab
    ]


def test_svg_parses_and_draws_every_service_api_and_database(shop: CatalogGraph) -> None:
    svg = render_svg(shop)
    groups = node_groups(svg)
    expected = {
        f"node-{n.kind.value}-{n.name}"
        for n in shop.nodes()
        if n.kind in {NodeKind.SERVICE, NodeKind.API, NodeKind.DATABASE}
    }
    assert expected == set(groups)
    for node_id, group in groups.items():
        kind = node_id.split("-")[1]
        assert ["node", kind] == group.attrib["class"].split()
        assert group.find(f"{SVG}title") is not None


def test_no_two_node_boxes_overlap_in_the_small_catalog(shop: CatalogGraph) -> None:
    boxes = {key: shape_box(group) for key, group in node_groups(render_svg(shop)).items()}
    assert [] == overlapping(boxes)


def test_no_two_node_boxes_overlap_with_50_services(generated_50: CatalogGraph) -> None:
    """Checked twice: on the SVG's own shapes and on the layout it was drawn from."""
    svg = render_svg(generated_50)
    groups = node_groups(svg)
    assert 50 == sum(1 for key in groups if key.startswith("node-service-"))
    assert [] == overlapping({key: shape_box(group) for key, group in groups.items()})
    plan = layout(generated_50)
    assert [] == [(a.node.id, b.node.id) for a, b in combinations(plan.boxes, 2) if a.overlaps(b)]


def test_tables_and_teams_are_drawn_when_asked(shop: CatalogGraph) -> None:
    svg = render_svg(shop, kinds=frozenset(NodeKind))
    groups = node_groups(svg)
    assert {"node-table-inventory.products", "node-team-team-orders"} <= set(groups)
    assert [] == overlapping({key: shape_box(group) for key, group in groups.items()})


def test_databases_are_cylinders_services_rounded_boxes_apis_hexagons(
    shop: CatalogGraph,
) -> None:
    groups = node_groups(render_svg(shop))

    def shape(key: str) -> ET.Element:
        return next(e for e in groups[key] if e.attrib.get("class") == "shape")

    assert f"{SVG}path" == shape("node-database-orders").tag
    assert f"{SVG}rect" == shape("node-service-orders").tag
    assert "0" != shape("node-service-orders").attrib["rx"]
    assert f"{SVG}polygon" == shape("node-api-orders-api").tag


def test_every_edge_has_a_path_and_a_label_naming_its_kind(shop: CatalogGraph) -> None:
    root = ET.fromstring(render_svg(shop))
    edges = [g for g in root.iter(f"{SVG}g") if "edge" in g.attrib.get("class", "").split()]
    labels = [t.text for t in root.iter(f"{SVG}text") if t.attrib.get("class") == "edge-label"]
    assert len(edges) == len(labels)
    assert {"consumes", "provides", "owns", "reads", "calls"} == set(labels)
    for edge in edges:
        assert edge.find(f"{SVG}path") is not None


def test_href_links_services_and_escapes_the_url(shop: CatalogGraph) -> None:
    def href(node: Node) -> str | None:
        return f"/services/{node.name}?from=map&x=<1>" if node.kind is NodeKind.SERVICE else None

    root = ET.fromstring(render_svg(shop, href=href))
    links = {
        a.attrib["href"]: a.find(f"{SVG}g").attrib["id"]  # type: ignore[union-attr]
        for a in root.iter(f"{SVG}a")
    }
    assert {
        "/services/gateway?from=map&x=<1>": "node-service-gateway",
        "/services/inventory?from=map&x=<1>": "node-service-inventory",
        "/services/orders?from=map&x=<1>": "node-service-orders",
        "/services/payments?from=map&x=<1>": "node-service-payments",
    } == links


def test_output_is_deterministic(generated_50: CatalogGraph) -> None:
    assert render_svg(generated_50) == render_svg(generated_50)


def test_a_cycle_of_calls_is_drawn_without_overlap(
    write_tree: Callable[[dict[str, str]], Path],
) -> None:
    """Cycle breaking reverses an edge for layout; the arrow still points the declared way."""
    files = {
        f"{name}/interlock.yaml": (
            f"apiVersion: interlock/v1\nkind: Service\nname: {name}\ncalls: [{callee}]\n"
        )
        for name, callee in (("a", "b"), ("b", "c"), ("c", "a"))
    }
    root = write_tree(files)
    graph = load_catalog(root).graph
    plan = layout(graph)
    assert 3 == len(plan.routes)
    for route in plan.routes:
        source = next(b for b in plan.boxes if b.node.id == route.edge.source)
        target = next(b for b in plan.boxes if b.node.id == route.edge.target)
        start, end = route.points[0], route.points[-1]
        assert source.y <= start[1] <= source.y + source.height
        assert target.y <= end[1] <= target.y + target.height
        assert end[0] in (target.x, target.x + target.width)
    ET.fromstring(render_svg(graph))


def test_an_empty_catalog_is_an_empty_but_valid_picture() -> None:
    root = ET.fromstring(render_svg(CatalogGraph()))
    assert [] == [g for g in root.iter(f"{SVG}g") if "node" in g.attrib.get("class", "").split()]


def test_the_example_shop_map_links_every_service_without_overlap() -> None:
    shop_root = Path(__file__).resolve().parents[2] / "examples" / "shop"
    catalog = load_catalog(shop_root)
    assert [] == catalog.errors
    svg = render_svg(
        catalog.graph,
        href=lambda n: f"/services/{n.name}" if n.kind is NodeKind.SERVICE else None,
    )
    groups = node_groups(svg)
    assert [] == overlapping({key: shape_box(group) for key, group in groups.items()})
    links = [a.attrib["href"] for a in ET.fromstring(svg).iter(f"{SVG}a")]
    expected = sorted(f"/services/{n.name}" for n in catalog.graph.nodes(NodeKind.SERVICE))
    assert expected == sorted(links)
