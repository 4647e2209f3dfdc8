"""The incident desk: one object per server that holds what correlation needs (database,
catalog names, service map, span store) and answers every route and command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from interlock.catalog import CatalogGraph, NodeKind, node_id
from interlock.incidents.changes import record_change
from interlock.incidents.config import IncidentSettings, RuleThresholds
from interlock.incidents.correlation import Correlator, IntakeResult
from interlock.incidents.incident_map import incident_map_svg
from interlock.incidents.intake_formats import parse_alertmanager, parse_grafana, parse_plain
from interlock.incidents.lifecycle import acknowledge_incident, resolve_incident
from interlock.incidents.model import AlertIn, ChangeEvent, Incident
from interlock.incidents.notifications import Notifier, SentNotification, sent_notifications
from interlock.incidents.recovery import Recovery
from interlock.incidents.reports import IncidentReport, incident_report, list_incidents
from interlock.incidents.service_labels import ServiceNames
from interlock.incidents.service_map import ServiceMap
from interlock.incidents.sources.health import HealthChecker, health_targets
from interlock.incidents.sources.outbox import take_queued
from interlock.incidents.sources.span_rules import RuleEngine, read_figures
from interlock.incidents.timeline_svg import timeline_svg
from interlock.store import alerts
from interlock.telemetry import SpanStore


@dataclass(frozen=True)
class IncidentPage:
    """One incident as its page draws it: the report, its timeline and its map (SVG)."""

    report: IncidentReport
    timeline_svg: str
    map_svg: str


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
        self.rules = RuleEngine(
            self.thresholds_for, self.settings.rule_window_s, self.settings.baseline_s
        )
        self.health = HealthChecker(
            health_targets(graph), self.settings.health_failures, self.settings.health_timeout_s
        )
        self.notifier = Notifier(engine, graph, self.settings.routes, self.settings.dashboard_url)
        if store is not None:
            recovery = Recovery(store, self.names, self.settings, self.thresholds_for)
            self.correlator.recovered = recovery.recovered

    def thresholds_for(self, service: str) -> RuleThresholds:
        """The rule thresholds of `service`: the settings' with its `alertRules` laid over."""
        key = node_id(NodeKind.SERVICE, service)
        own = self.graph.node(key).attrs.get("alert_rules") if key in self.graph else None
        return self.settings.rules.merged(own or {})

    def evaluate_rules(self, now: datetime | None = None) -> list[IntakeResult]:
        """Run the rules over the span aggregates once; correlate what fires or resolves."""
        if self.store is None:
            return []
        moment = now or datetime.now(UTC)
        figures = read_figures(
            self.store,
            self.names.catalog_name,
            moment,
            self.settings.rule_window_s,
            self.settings.baseline_s,
        )
        return self.correlator.ingest(self.rules.evaluate(figures, moment), moment)

    async def probe_health(self, now: datetime | None = None) -> list[AlertIn]:
        """Probe every declared health URL once; the alerts that open or resolve."""
        if not self.health.targets:
            return []
        return await self.health.probe_all(now)

    def take_outbox(self, now: datetime | None = None) -> list[IntakeResult]:
        """Correlate the alerts other packages queued (`raise_alert`); a resolution of an
        alert that is not firing is dropped (a passing verification after a passing one)."""
        queued = take_queued(self.engine, now)
        if not queued:
            return []
        with self.engine.connect() as connection:
            firing = set(
                connection.execute(
                    select(alerts.c.fingerprint)
                    .where(alerts.c.fingerprint.in_({a.fingerprint for a in queued}))
                    .where(alerts.c.status == "firing")
                ).scalars()
            )
        kept = [a for a in queued if a.status == "firing" or a.fingerprint in firing]
        return self.correlator.ingest(kept, now) if kept else []

    def notify(self, now: datetime | None = None) -> list[SentNotification]:
        """Send each route what it has not been told yet."""
        return self.notifier.send_due(now)

    def housekeeping(self, now: datetime | None = None) -> None:
        """Open pending incidents that fired long enough; resolve the recovered ones."""
        self.correlator.promote_due(now)
        self.correlator.resolve_recovered(now)

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
        found = incident_report(
            self.engine,
            incident_id,
            self.graph,
            self.map.snapshot(),
            self.settings,
            self.store,
            self.names,
        )
        found.notifications.extend(sent_notifications(self.engine, incident_id))
        return found

    def page(self, incident_id: int) -> IncidentPage:
        """The report with its pictures: the timeline (alerts, changes, curves) and the map."""
        found = self.report(incident_id)
        timeline = timeline_svg(found.alerts, found.changes, found.generated_at, found.curves)
        picture = incident_map_svg(self.graph, found.incident, self.map.snapshot())
        return IncidentPage(found, timeline, picture)

    def acknowledge(self, incident_id: int, actor: str, note: str = "") -> Incident:
        return acknowledge_incident(self.engine, incident_id, actor, note)

    def resolve(self, incident_id: int, actor: str, note: str) -> Incident:
        return resolve_incident(self.engine, incident_id, actor, note)
