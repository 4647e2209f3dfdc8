"""The typed records of incidents: an alert as it arrives and as stored, a change event,
an incident with its transitions; each says how it reads as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SEVERITIES = ("critical", "error", "warning", "info", "none")


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; SQLite keeps no zone, and every time Interlock writes is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def rfc3339(moment: datetime | None) -> str | None:
    """`2026-12-01T10:00:00Z`, or None."""
    if moment is None:
        return None
    return utc(moment).isoformat().replace("+00:00", "Z")


def severity_rank(severity: str) -> int:
    """0 for critical, higher for milder; unknown words rank with `warning`."""
    word = severity.lower()
    return SEVERITIES.index(word) if word in SEVERITIES else SEVERITIES.index("warning")


@dataclass(frozen=True)
class AlertIn:
    """One alert as a webhook or the plain form delivered it, before correlation."""

    source: str  # alertmanager | grafana | plain | health | rule
    name: str
    status: str  # firing | resolved
    starts_at: datetime
    ends_at: datetime | None
    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    severity: str = "warning"
    summary: str = ""
    service: str | None = None  # named outright by the plain form
    generator_url: str | None = None
    group_key: str | None = None
    trace_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Alert:
    """A stored alert, the service it was mapped to, and why it is in its incident."""

    id: int
    fingerprint: str
    source: str
    name: str
    service: str | None
    service_label: str | None
    unmapped: str | None
    severity: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    summary: str
    labels: dict[str, str]
    generator_url: str | None
    trace_ids: tuple[str, ...]
    incident_id: int | None
    join_reason: str
    group_key: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "fingerprint": self.fingerprint,
            "source": self.source,
            "name": self.name,
            "service": self.service,
            "service_label": self.service_label,
            "unmapped": self.unmapped,
            "severity": self.severity,
            "status": self.status,
            "starts_at": rfc3339(self.starts_at),
            "ends_at": rfc3339(self.ends_at),
            "summary": self.summary,
            "labels": self.labels,
            "generator_url": self.generator_url,
            "group_key": self.group_key,
            "trace_ids": list(self.trace_ids),
            "incident_id": self.incident_id,
            "join_reason": self.join_reason,
        }


@dataclass(frozen=True)
class ChangeEvent:
    """Something that changed: a deploy, a config change, a migration, a feature flag."""

    id: int
    occurred_at: datetime
    kind: str
    service: str
    environment: str | None
    version: str | None
    summary: str
    attributes: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "occurred_at": rfc3339(self.occurred_at),
            "kind": self.kind,
            "service": self.service,
            "environment": self.environment,
            "version": self.version,
            "summary": self.summary,
            "attributes": self.attributes,
        }


@dataclass(frozen=True)
class Transition:
    """One step of an incident's life: from which state to which, who, when, why."""

    at: datetime
    from_state: str | None
    to_state: str
    actor: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "at": rfc3339(self.at),
            "from": self.from_state,
            "to": self.to_state,
            "actor": self.actor,
            "note": self.note,
        }


@dataclass(frozen=True)
class Incident:
    """A group of related alerts, the services they touch, and where it probably started."""

    id: int
    state: str
    title: str
    severity: str
    started_at: datetime
    last_alert_at: datetime
    opened_at: datetime | None
    resolved_at: datetime | None
    origin: str | None
    services: dict[str, str]  # service (or `label=value` when unmapped) -> first alert time
    trace_ids: tuple[str, ...]
    alert_count: int
    firing_count: int
    services_last: dict[str, str] = field(default_factory=dict)  # service -> latest alert

    def duration_s(self, now: datetime) -> float:
        """From the first alert to the resolution, or to `now` while unresolved."""
        return ((self.resolved_at or now) - self.started_at).total_seconds()

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        moment = now or datetime.now(UTC)
        return {
            "id": self.id,
            "state": self.state,
            "title": self.title,
            "severity": self.severity,
            "started_at": rfc3339(self.started_at),
            "last_alert_at": rfc3339(self.last_alert_at),
            "opened_at": rfc3339(self.opened_at),
            "resolved_at": rfc3339(self.resolved_at),
            "duration_s": round(self.duration_s(moment), 3),
            "origin": self.origin,
            "services": sorted(self.services),
            "trace_ids": list(self.trace_ids),
            "alert_count": self.alert_count,
            "firing_count": self.firing_count,
        }
