"""What the incident pages, the JSON API and the CLI show: the list, and one incident with
its alerts, the changes before it ranked, its owners, its failing traces and the RCA check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, case, select

from interlock.catalog import CatalogGraph, EdgeKind, NodeKind, node_id
from interlock.incidents.changes import changes_between
from interlock.incidents.config import IncidentSettings
from interlock.incidents.evidence import LogGroup, ServiceCurve, error_log_groups, service_curves
from interlock.incidents.model import Alert, ChangeEvent, Incident, Transition, rfc3339
from interlock.incidents.records import alerts_of, incident_of, load_incident, transitions_of
from interlock.incidents.service_labels import ServiceNames
from interlock.incidents.service_map import MapSnapshot
from interlock.store import incidents
from interlock.telemetry import SpanStore, rca_window

_NS = 1_000_000_000
LISTED_STATES = ("open", "acknowledged", "resolved")
_RCA_MAX_WINDOW = timedelta(hours=1)
_RCA_LEAD = timedelta(minutes=2)
_RCA_BASELINE = timedelta(minutes=10)  # at least this much calm before the window
CURVE_CONTEXT = timedelta(minutes=5)  # the curves start this long before the first alert
RANKED = 5


def list_incidents(
    engine: Engine, states: tuple[str, ...] = LISTED_STATES, limit: int = 200
) -> list[Incident]:
    """Incidents in `states`: unresolved first, then by severity and the newest start."""
    order = case(
        (incidents.c.state == "open", 0),
        (incidents.c.state == "acknowledged", 1),
        (incidents.c.state == "pending", 2),
        else_=3,
    )
    severity = case(
        (incidents.c.severity == "critical", 0),
        (incidents.c.severity == "error", 1),
        (incidents.c.severity == "warning", 2),
        else_=3,
    )
    query = (
        select(incidents)
        .where(incidents.c.state.in_(states))
        .order_by(order, severity, incidents.c.started_at.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return [incident_of(row) for row in connection.execute(query).mappings()]


@dataclass(frozen=True)
class RankedChange:
    """A change before the incident, and how far it sits from the origin on the map."""

    change: ChangeEvent
    distance: int
    before_start_s: float

    def to_json(self) -> dict[str, Any]:
        return {
            **self.change.to_json(),
            "distance": self.distance,
            "before_start_s": round(self.before_start_s, 3),
        }


@dataclass(frozen=True)
class OriginCheck:
    """The map's probable origin against the window RCA's first-ranked service."""

    origin: str | None
    rca_first: str | None
    verdict: str  # confirmed | contradicted | no span data
    example_trace_ids: tuple[str, ...] = ()
    ranking: tuple[dict[str, Any], ...] = ()  # the window RCA's services, as its JSON says
    window: tuple[str, str] | None = None  # RFC 3339 start and end of the RCA window

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "rca_first": self.rca_first,
            "verdict": self.verdict,
            "example_trace_ids": list(self.example_trace_ids),
            "ranking": list(self.ranking),
            "window": list(self.window) if self.window else None,
        }


@dataclass(frozen=True)
class IncidentReport:
    """One incident as its page shows it."""

    incident: Incident
    alerts: list[Alert]
    changes: list[RankedChange]
    transitions: list[Transition]
    owners: dict[str, list[str]]  # service -> teams
    failing_traces: list[str]
    origin_check: OriginCheck
    curves: list[ServiceCurve] = field(default_factory=list)
    log_groups: list[LogGroup] = field(default_factory=list)
    notifications: list[Any] = field(default_factory=list)  # SentNotification, added by the desk
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> dict[str, Any]:
        return {
            **self.incident.to_json(self.generated_at),
            "origin_check": self.origin_check.to_json(),
            "owners": self.owners,
            "alerts": [a.to_json() for a in self.alerts],
            "changes": [c.to_json() for c in self.changes],
            "transitions": [t.to_json() for t in self.transitions],
            "failing_traces": self.failing_traces,
            "curves": [c.to_json() for c in self.curves],
            "log_groups": [g.to_json() for g in self.log_groups],
            "notifications": [n.to_json() for n in self.notifications],
            "generated_at": rfc3339(self.generated_at),
        }


def incident_report(
    engine: Engine,
    incident_id: int,
    graph: CatalogGraph,
    snapshot: MapSnapshot,
    settings: IncidentSettings,
    store: SpanStore | None = None,
    names: ServiceNames | None = None,
) -> IncidentReport:
    """Everything about one incident; `IncidentNotFound` for an unknown id."""
    with engine.connect() as connection:
        incident = load_incident(connection, incident_id)
        alerts = alerts_of(connection, incident_id)
        transitions = transitions_of(connection, incident_id)
    services = [name for name in incident.services if "=" not in name]
    names = names or ServiceNames(graph)
    origin_check = check_origin(incident, store, names.telemetry)
    curves: list[ServiceCurve] = []
    log_groups: list[LogGroup] = []
    if store is not None:
        end = incident.resolved_at or datetime.now(UTC)
        curves = service_curves(store, names, services, incident.started_at - CURVE_CONTEXT, end)
        traces = list(incident.trace_ids) + list(origin_check.example_trace_ids)
        for suspect in origin_check.ranking:
            traces += suspect.get("example_trace_ids", [])
        log_groups = error_log_groups(store, names, services, traces)
    return IncidentReport(
        incident=incident,
        alerts=alerts,
        changes=ranked_changes(engine, incident, services, snapshot, settings),
        transitions=transitions,
        owners={name: owners_of(graph, name) for name in services},
        failing_traces=list(incident.trace_ids),
        origin_check=origin_check,
        curves=curves,
        log_groups=log_groups,
    )


def ranked_changes(
    engine: Engine,
    incident: Incident,
    services: list[str],
    snapshot: MapSnapshot,
    settings: IncidentSettings,
) -> list[RankedChange]:
    """Changes shortly before the incident on its services and what they call, nearest
    first: by distance from the origin on the map, then the latest first."""
    roots = [incident.origin] if incident.origin else services
    distance = snapshot.downstream(roots, settings.max_hops)
    for name in services:  # every alerting service counts, at least one hop away
        distance.setdefault(name, 1)
    for name, hop in snapshot.downstream(services, settings.max_hops).items():
        distance.setdefault(name, hop + 1)
    start = incident.started_at - timedelta(seconds=settings.change_lookback_s)
    found = changes_between(engine, distance, start, incident.last_alert_at)
    ranked = [
        RankedChange(c, distance[c.service], (incident.started_at - c.occurred_at).total_seconds())
        for c in found
    ]
    return sorted(ranked, key=lambda r: (r.distance, abs(r.before_start_s)))


def owners_of(graph: CatalogGraph, service: str) -> list[str]:
    """The teams that own `service` in the catalog."""
    key = node_id(NodeKind.SERVICE, service)
    if key not in graph:
        return []
    return sorted(graph.node(e.target).name for e in graph.out_edges(key, EdgeKind.OWNED_BY))


def check_origin(
    incident: Incident, store: SpanStore | None, telemetry_names: dict[str, str]
) -> OriginCheck:
    """Confirm the origin with the window RCA over the incident's span data, if any."""
    if store is None:
        return OriginCheck(incident.origin, None, "no span data")
    end = incident.resolved_at or max(incident.last_alert_at, datetime.now(UTC))
    # the rules look a couple of minutes back: the failures began up to that long before
    start = max(incident.started_at - _RCA_LEAD, end - _RCA_MAX_WINDOW)
    baseline = max(end - start, _RCA_BASELINE)
    start_ns, end_ns = int(start.timestamp() * _NS), int(end.timestamp() * _NS)
    baseline_ns = int((start - baseline).timestamp() * _NS)
    diagnosis = rca_window(store, start_ns, end_ns, baseline_ns, start_ns)
    if not diagnosis.services:
        return OriginCheck(incident.origin, None, "no span data")
    to_catalog = {tel: name for name, tel in telemetry_names.items()}
    first = diagnosis.services[0]
    catalog_name = to_catalog.get(first.service, first.service)
    verdict = "confirmed" if catalog_name == incident.origin else "contradicted"
    ranking = tuple(
        {**s.to_json(), "service": to_catalog.get(s.service, s.service)}
        for s in diagnosis.services[:RANKED]
    )
    window = (rfc3339(start) or "", rfc3339(end) or "")
    return OriginCheck(
        incident.origin, catalog_name, verdict, first.example_trace_ids, ranking, window
    )
