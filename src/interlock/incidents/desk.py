"""The incident desk: one object per server that holds what correlation needs (database,
catalog names, service map, span store) and answers every route and command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from interlock.catalog import CatalogGraph
from interlock.incidents.changes import record_change
from interlock.incidents.config import IncidentSettings
from interlock.incidents.correlation import Correlator, IntakeResult
from interlock.incidents.intake_formats import parse_alertmanager, parse_grafana, parse_plain
from interlock.incidents.lifecycle import acknowledge_incident, resolve_incident
from interlock.incidents.model import AlertIn, ChangeEvent, Incident
from interlock.incidents.reports import IncidentReport, incident_report, list_incidents
from interlock.incidents.service_labels import ServiceNames
from interlock.incidents.service_map import ServiceMap
from interlock.telemetry import SpanStore

PARSERS: dict[str, Callable[[Any], list[AlertIn]]] = {
    "alertmanager": parse_alertmanager,
    "grafana": parse_grafana,
    "plain": parse_plain,
}


class IncidentDesk:
    """Alerts in, incidents out, for one catalog and one database."""

    def __init__(
        self,
        engine: Engine,
        graph: CatalogGraph,
        store: SpanStore | None = None,
        settings: IncidentSettings | None = None,
    ) -> None:
        self.engine = engine
        self.graph = graph
        self.store = store
        self.settings = settings or IncidentSettings()
        self.names = ServiceNames(graph, self.settings.service_labels)
        self.map = ServiceMap(graph, self.names, store, self.settings.window_s)
        self.correlator = Correlator(engine, self.map, self.settings)

    def receive(self, kind: str, payload: Any, now: datetime | None = None) -> list[IntakeResult]:
        """Parse a payload of `kind` (alertmanager | grafana | plain) and correlate it."""
        return self.correlator.ingest(PARSERS[kind](payload), now)

    def receive_alerts(
        self, alerts: list[AlertIn], now: datetime | None = None
    ) -> list[IntakeResult]:
        """Correlate alerts made by Interlock itself (health checks, rules)."""
        return self.correlator.ingest(alerts, now)

    def record_change(self, **fields: Any) -> ChangeEvent:
        """`record_change` on this desk's database."""
        return record_change(self.engine, **fields)

    def incidents(self, states: tuple[str, ...] | None = None) -> list[Incident]:
        self.correlator.promote_due()
        return list_incidents(self.engine, states) if states else list_incidents(self.engine)

    def report(self, incident_id: int) -> IncidentReport:
        self.correlator.promote_due()
        return incident_report(
            self.engine,
            incident_id,
            self.graph,
            self.map.snapshot(),
            self.settings,
            self.store,
            self.names.telemetry,
        )

    def acknowledge(self, incident_id: int, actor: str, note: str = "") -> Incident:
        return acknowledge_incident(self.engine, incident_id, actor, note)

    def resolve(self, incident_id: int, actor: str, note: str) -> Incident:
        return resolve_incident(self.engine, incident_id, actor, note)
