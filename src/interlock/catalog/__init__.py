"""What exists: services, APIs, databases, tables, teams, and the typed edges between them."""

from interlock.catalog.check import (
    CheckReport,
    InvalidCatalogError,
    check_catalog,
    load_valid_catalog,
)
from interlock.catalog.graph import CatalogGraph
from interlock.catalog.impact import Dependent, ImpactReport, impact
from interlock.catalog.layout import Layout, NodeBox, Route, layout
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
