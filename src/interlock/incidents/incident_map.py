"""The service map of an incident: the catalog's own SVG map of services, with the
alerting services and the calls between them marked and the probable origin highlighted."""

from __future__ import annotations

from urllib.parse import quote

from interlock.catalog import CatalogGraph, Node, NodeKind, node_id, render_svg
from interlock.incidents.model import Incident
from interlock.incidents.service_map import MapSnapshot

SERVICES_ONLY = frozenset({NodeKind.SERVICE})


def incident_map_svg(graph: CatalogGraph, incident: Incident, snapshot: MapSnapshot) -> str:
    """The map; classes `alerting` (services and the calls between two of them) and
    `origin` (the probable origin) let the page colour them; every service links to its page."""
    alerting = {name for name in incident.services if "=" not in name}
    marks = {node_id(NodeKind.SERVICE, name): "alerting" for name in alerting}
    if incident.origin:
        marks[node_id(NodeKind.SERVICE, incident.origin)] = "alerting origin"
    for caller in alerting:
        for callee in snapshot.callees(caller) & alerting:
            key = f"{node_id(NodeKind.SERVICE, caller)}->{node_id(NodeKind.SERVICE, callee)}"
            marks[key] = (
                "alerting failing" if callee in snapshot.failing.get(caller, set()) else "alerting"
            )
    if not list(graph.nodes(NodeKind.SERVICE)):
        return ""
    return render_svg(graph, _href, SERVICES_ONLY, marks)


def _href(node: Node) -> str | None:
    return f"/services/{quote(node.name)}" if node.kind is NodeKind.SERVICE else None
