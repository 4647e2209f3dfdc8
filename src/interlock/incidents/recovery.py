"""Whether an incident's services are back to normal: each one's error rate over the last
minutes no higher than before the incident began (within half the rule's margin)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from interlock.incidents.config import IncidentSettings, RuleThresholds
from interlock.incidents.model import Incident
from interlock.incidents.service_labels import ServiceNames
from interlock.incidents.sources.span_rules import Tally
from interlock.telemetry import SpanStore

_NS = 1_000_000_000


class Recovery:
    """Answers `recovered(incident, now)` from the span store's per-minute aggregates."""

    def __init__(
        self,
        store: SpanStore,
        names: ServiceNames,
        settings: IncidentSettings,
        thresholds_for: Callable[[str], RuleThresholds],
    ) -> None:
        self.store = store
        self.names = names
        self.settings = settings
        self.thresholds_for = thresholds_for

    def recovered(self, incident: Incident, now: datetime) -> bool:
        """True when no service of `incident` still fails more than it did before it."""
        return not self.still_failing(incident, now)

    def still_failing(self, incident: Incident, now: datetime) -> list[str]:
        """The services whose error rate is not back to their baseline yet."""
        recent_start = now - timedelta(seconds=self.settings.rule_window_s)
        before_start = incident.started_at - timedelta(seconds=self.settings.baseline_s)
        failing = []
        for service in (name for name in incident.services if "=" not in name):
            thresholds = self.thresholds_for(service)
            recent = self._tally(service, recent_start, now)
            if recent.calls < thresholds.min_calls:
                continue  # too little traffic to say it still fails
            usual = self._tally(service, before_start, incident.started_at)
            margin = thresholds.error_rate_increase / 2
            if recent.error_rate > usual.error_rate + margin:
                failing.append(service)
        return failing

    def _tally(self, service: str, start: datetime, end: datetime) -> Tally:
        tally = Tally()
        rows = self.store.operations(
            self.names.telemetry_name(service),
            int(start.timestamp()) // 60 * 60 * _NS,
            int(end.timestamp() * _NS),
        )
        for row in rows:
            tally.add(row.calls, row.errors, row.histogram)
        return tally
