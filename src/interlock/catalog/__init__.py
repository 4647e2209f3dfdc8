"""What exists: services, APIs, databases, tables, teams, and the typed edges between them."""

from interlock.catalog.graph import CatalogGraph
from interlock.catalog.impact import Dependent, ImpactReport, impact
from interlock.catalog.loader import Catalog, find_descriptor_files, load_catalog
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

__all__ = [
    "Catalog",
    "CatalogGraph",
    "Dependent",
    "Edge",
    "EdgeKind",
    "Finding",
    "ImpactReport",
    "Node",
    "NodeKind",
    "Severity",
    "Source",
    "find_descriptor_files",
    "impact",
    "load_catalog",
    "node_id",
]
