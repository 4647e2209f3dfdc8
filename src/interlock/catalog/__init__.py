"""What exists: services, APIs, databases, tables, teams, and the typed edges between them.

Names are imported from their modules when first used: `catalog check` reads a few descriptors
and must not pay for layout, SVG and views (nor a command that needs one name for all of them).
"""

from __future__ import annotations

import importlib

# `impact` and `layout` name both a module and its function: once the module is imported
# (by any other module) the package attribute is the module, so these two are bound now
from interlock.catalog.impact import impact
from interlock.catalog.layout import layout

TYPE_CHECKING = False  # mypy reads the imports below; at run time `__getattr__` does
if TYPE_CHECKING:
    from interlock.catalog.check import (
        CheckReport,
        InvalidCatalogError,
        check_catalog,
        load_valid_catalog,
    )
    from interlock.catalog.graph import CatalogGraph
    from interlock.catalog.impact import Dependent, ImpactReport
    from interlock.catalog.layout import Layout, NodeBox, Route
    from interlock.catalog.loader import Catalog, find_descriptor_files, load_catalog
    from interlock.catalog.mapview import ALL_BUT_TEAMS, MAP_KINDS, MapEdge, MapView, map_view
    from interlock.catalog.model import (
        Edge,
        EdgeKind,
        Finding,
        Node,
        NodeKind,
        Severity,
        Source,
        node_id,
    )
    from interlock.catalog.render import describe_path, render_dot, render_mermaid, render_text
    from interlock.catalog.svg import coordinate, render_svg, route_path
    from interlock.catalog.synthetic import SyntheticCatalog, generate_catalog
    from interlock.catalog.views import (
        CatalogSummary,
        ServiceSummary,
        ServiceView,
        UnknownService,
        catalog_summary,
        service_index,
        service_view,
    )
    from interlock.catalog.yamlsource import Document, load_documents

__all__ = [
    "ALL_BUT_TEAMS",
    "MAP_KINDS",
    "Catalog",
    "CatalogGraph",
    "CatalogSummary",
    "CheckReport",
    "Dependent",
    "Document",
    "Edge",
    "EdgeKind",
    "Finding",
    "ImpactReport",
    "InvalidCatalogError",
    "Layout",
    "MapEdge",
    "MapView",
    "Node",
    "NodeBox",
    "NodeKind",
    "Route",
    "ServiceSummary",
    "ServiceView",
    "Severity",
    "Source",
    "SyntheticCatalog",
    "UnknownService",
    "catalog_summary",
    "check_catalog",
    "coordinate",
    "describe_path",
    "find_descriptor_files",
    "generate_catalog",
    "impact",
    "layout",
    "load_catalog",
    "load_documents",
    "load_valid_catalog",
    "map_view",
    "node_id",
    "render_dot",
    "render_mermaid",
    "render_svg",
    "render_text",
    "route_path",
    "service_index",
    "service_view",
]

_WHERE: dict[str, str] = {
    "ALL_BUT_TEAMS": "mapview",
    "Catalog": "loader",
    "CatalogGraph": "graph",
    "CatalogSummary": "views",
    "CheckReport": "check",
    "Dependent": "impact",
    "Document": "yamlsource",
    "Edge": "model",
    "EdgeKind": "model",
    "Finding": "model",
    "ImpactReport": "impact",
    "InvalidCatalogError": "check",
    "Layout": "layout",
    "MAP_KINDS": "mapview",
    "MapEdge": "mapview",
    "MapView": "mapview",
    "Node": "model",
    "NodeBox": "layout",
    "NodeKind": "model",
    "Route": "layout",
    "ServiceSummary": "views",
    "ServiceView": "views",
    "Severity": "model",
    "Source": "model",
    "SyntheticCatalog": "synthetic",
    "UnknownService": "views",
    "catalog_summary": "views",
    "check_catalog": "check",
    "coordinate": "svg",
    "describe_path": "render",
    "find_descriptor_files": "loader",
    "generate_catalog": "synthetic",
    "load_catalog": "loader",
    "load_documents": "yamlsource",
    "load_valid_catalog": "check",
    "map_view": "mapview",
    "node_id": "model",
    "render_dot": "render",
    "render_mermaid": "render",
    "render_svg": "svg",
    "render_text": "render",
    "route_path": "svg",
    "service_index": "views",
    "service_view": "views",
}


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
