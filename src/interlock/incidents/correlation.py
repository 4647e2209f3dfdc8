"""Correlation: each arriving alert is deduplicated by fingerprint, then joins the open
incident it is close to (in time, on the service map, or by shared failing traces) or
starts a new one; every join carries its reason. A handful of indexed queries per alert."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from interlock.incidents.config import IncidentSettings
from interlock.incidents.model import AlertIn, Incident, rfc3339, severity_rank, utc
from interlock.incidents.records import add_transition, incident_of, load_incident
from interlock.incidents.service_labels import ServiceMatch
from interlock.incidents.service_map import MapSnapshot, ServiceMap
from interlock.store import alerts, incidents

UNRESOLVED = ("pending", "open", "acknowledged")
MAX_TRACES = 50
SYSTEM = "interlock"


@dataclass(frozen=True)
class IntakeResult:
    """What became of one alert: stored as new, updated (a repeat), or resolved."""

    alert_id: int
    incident_id: int | None
    outcome: str  # new | repeat | resolved
    join_reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "incident_id": self.incident_id,
            "outcome": self.outcome,
            "join_reason": self.join_reason,
        }


@dataclass(frozen=True)
class _Relation:
    distance: float
    reason: str


class Correlator:
    """Turns alerts into incidents; one per server, shared by every intake route."""

    def __init__(self, engine: Engine, service_map: ServiceMap, settings: IncidentSettings):
        self.engine = engine
        self.map = service_map
        self.settings = settings
        # Set when a span store can tell: an incident whose alerts all resolved stays open
        # until its services' error rates are back to their baseline.
        self.recovered: Callable[[Incident, datetime], bool] | None = None
        # One writer at a time in this process: SQLite would otherwise fail a read
        # transaction that wants to become a write one while another writes.
        self._lock = threading.Lock()

    def ingest(self, batch: Sequence[AlertIn], now: datetime | None = None) -> list[IntakeResult]:
        """Store and correlate `batch` in one transaction; `now` is the clock (tests set it)."""
        moment = utc(now) if now else datetime.now(UTC)
        snapshot = self.map.snapshot()
        matches = [self.map.names.match(a.labels, a.service) for a in batch]
        traces = [
            a.trace_ids + (self.map.failing_traces(m.service) if m.service else ())
            for a, m in zip(batch, matches, strict=True)
        ]
        with self._lock, self.engine.begin() as connection:
            return [
                self._one(connection, alert, match, trace_ids, snapshot, moment)
                for alert, match, trace_ids in zip(batch, matches, traces, strict=True)
            ]

    def _one(
        self,
        connection: Connection,
        alert: AlertIn,
        match: ServiceMatch,
        trace_ids: tuple[str, ...],
        snapshot: MapSnapshot,
        now: datetime,
    ) -> IntakeResult:
        previous = (
            connection.execute(
                select(alerts)
                .where(alerts.c.fingerprint == alert.fingerprint)
                .order_by(alerts.c.id.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        if previous is not None and (
            previous["status"] == "firing" or utc(previous["starts_at"]) == alert.starts_at
        ):
            return self._repeat(connection, previous, alert, now)
        values = _alert_values(alert, match, trace_ids, now)
        if alert.status == "resolved":
            values.update(join_reason="arrived resolved: no incident")
            new_id = connection.execute(insert(alerts).values(values).returning(alerts.c.id))
            return IntakeResult(new_id.scalar_one(), None, "resolved", values["join_reason"])
        incident, relation = self._closest(connection, alert, match, set(trace_ids), snapshot)
        if incident is None or relation is None:
            incident_id = self._open(connection, alert, match, trace_ids, now)
            reason = "first alert of this incident"
        else:
            incident_id, reason = incident.id, relation.reason
            self._join(connection, incident, alert, match, trace_ids, snapshot, now)
        values.update(incident_id=incident_id, join_reason=reason)
        new_id = connection.execute(insert(alerts).values(values).returning(alerts.c.id))
        return IntakeResult(new_id.scalar_one(), incident_id, "new", reason)

    def _repeat(
        self, connection: Connection, previous: Any, alert: AlertIn, now: datetime
    ) -> IntakeResult:
        changes: dict[str, Any] = {"summary": alert.summary or previous["summary"]}
        if alert.annotations:
            changes["annotations"] = alert.annotations
        incident_id: int | None = previous["incident_id"]
        outcome = "repeat"
        if alert.status != previous["status"]:
            changes.update(status=alert.status, ends_at=alert.ends_at or now)
            if alert.status == "firing":
                changes["ends_at"] = None
            outcome = alert.status if alert.status == "resolved" else "repeat"
        connection.execute(update(alerts).where(alerts.c.id == previous["id"]).values(changes))
        if incident_id is not None:
            step = {"resolved": -1, "firing": 1}[alert.status] if "status" in changes else 0
            self._recount(connection, incident_id, step, now)
        return IntakeResult(previous["id"], incident_id, outcome, previous["join_reason"])

    def _closest(
        self,
        connection: Connection,
        alert: AlertIn,
        match: ServiceMatch,
        trace_ids: set[str],
        snapshot: MapSnapshot,
    ) -> tuple[Incident | None, _Relation | None]:
        since = alert.starts_at - timedelta(seconds=self.settings.window_s)
        rows = connection.execute(
            select(incidents)
            .where(incidents.c.state.in_(UNRESOLVED))
            .where(incidents.c.last_alert_at >= since)
            .order_by(incidents.c.last_alert_at.desc())
            .limit(100)
        ).mappings()
        best: tuple[Incident | None, _Relation | None] = (None, None)
        for row in rows:
            incident = incident_of(row)
            relation = self._relate(incident, alert, match, trace_ids, snapshot)
            if relation and (best[1] is None or relation.distance < best[1].distance):
                best = (incident, relation)
        return best

    def _relate(
        self,
        incident: Incident,
        alert: AlertIn,
        match: ServiceMatch,
        trace_ids: set[str],
        snapshot: MapSnapshot,
    ) -> _Relation | None:
        shared = len(trace_ids & set(incident.trace_ids))
        relation = _on_map(incident, alert.starts_at, match, snapshot, self.settings.max_hops)
        if shared:
            common = f"{shared} failing trace{'s' if shared != 1 else ''} in common"
            if relation is None:
                return _Relation(1.5, f"shares failing traces: {common}")
            return _Relation(relation.distance - 0.25, f"{relation.reason}; {common}")
        return relation

    def _open(
        self,
        connection: Connection,
        alert: AlertIn,
        match: ServiceMatch,
        trace_ids: tuple[str, ...],
        now: datetime,
    ) -> int:
        key = match.key or f"alert={alert.name}"
        guard_met = self.settings.min_alerts <= 1 or self._old_enough(alert.starts_at, now)
        state = "open" if guard_met else "pending"
        values = {
            "state": state,
            "title": f"{alert.name} on {key}",
            "severity": alert.severity,
            "started_at": alert.starts_at,
            "last_alert_at": alert.starts_at,
            "opened_at": now if guard_met else None,
            "resolved_at": None,
            "origin": match.service,
            "services": {key: rfc3339(alert.starts_at)},
            "services_last": {key: rfc3339(alert.starts_at)},
            "trace_ids": list(trace_ids[:MAX_TRACES]),
            "alert_count": 1,
            "firing_count": 1,
        }
        new_id: int = connection.execute(
            insert(incidents).values(values).returning(incidents.c.id)
        ).scalar_one()
        note = "opened" if guard_met else "waiting for the flapping guard"
        add_transition(connection, new_id, now, None, state, SYSTEM, f"{alert.name}: {note}")
        return new_id

    def _join(
        self,
        connection: Connection,
        incident: Incident,
        alert: AlertIn,
        match: ServiceMatch,
        trace_ids: tuple[str, ...],
        snapshot: MapSnapshot,
        now: datetime,
    ) -> None:
        services = dict(incident.services)
        key = match.key or f"alert={alert.name}"
        first = services.get(key)
        if first is None or alert.starts_at < _parse(first):
            services[key] = rfc3339(alert.starts_at) or ""
        latest = dict(incident.services_last)
        if key not in latest or alert.starts_at > _parse(latest[key]):
            latest[key] = rfc3339(alert.starts_at) or ""
        merged = list(dict.fromkeys(incident.trace_ids + trace_ids))[:MAX_TRACES]
        severity = min(incident.severity, alert.severity, key=severity_rank)
        values: dict[str, Any] = {
            "services": services,
            "services_last": latest,
            "trace_ids": merged,
            "severity": severity,
            "alert_count": incident.alert_count + 1,
            "firing_count": incident.firing_count + 1,
            "last_alert_at": max(incident.last_alert_at, alert.starts_at),
            "started_at": min(incident.started_at, alert.starts_at),
            "origin": probable_origin(services, snapshot, self.settings.max_hops),
        }
        connection.execute(update(incidents).where(incidents.c.id == incident.id).values(values))
        self._recount(connection, incident.id, 0, now)

    def _recount(self, connection: Connection, incident_id: int, step: int, now: datetime) -> None:
        """Apply a change of the firing count; open, resolve or suppress as it now stands."""
        incident = load_incident(connection, incident_id)
        firing = max(0, incident.firing_count + step)
        values: dict[str, Any] = {"firing_count": firing}
        state = incident.state
        # every alert resolved but errors not back to baseline: `resolve_recovered` waits
        waiting = (
            firing == 0 and state in ("open", "acknowledged") and not self._recovered(incident, now)
        )
        if firing == 0 and state in UNRESOLVED and not waiting:
            state = "suppressed" if state == "pending" else "resolved"
            values.update(state=state, resolved_at=now)
            note = "every alert resolved" + (
                " before the flapping guard let it open"
                if state == "suppressed"
                else (" and the error rate is back to baseline" if self.recovered else "")
            )
            add_transition(connection, incident_id, now, incident.state, state, SYSTEM, note)
        elif state == "pending" and (
            firing >= self.settings.min_alerts or self._old_enough(incident.started_at, now)
        ):
            values.update(state="open", opened_at=now)
            note = (
                f"{firing} firing alerts"
                if firing >= self.settings.min_alerts
                else (f"firing for {self.settings.min_duration_s:g} s")
            )
            add_transition(connection, incident_id, now, "pending", "open", SYSTEM, note)
        connection.execute(update(incidents).where(incidents.c.id == incident_id).values(values))

    def _recovered(self, incident: Incident, now: datetime) -> bool:
        return self.recovered is None or self.recovered(incident, now)

    def resolve_recovered(self, now: datetime | None = None) -> int:
        """Resolve the incidents whose alerts all resolved once their error rates are back."""
        moment = utc(now) if now else datetime.now(UTC)
        with self._lock, self.engine.begin() as connection:
            waiting = (
                connection.execute(
                    select(incidents.c.id)
                    .where(incidents.c.state.in_(("open", "acknowledged")))
                    .where(incidents.c.firing_count == 0)
                )
                .scalars()
                .all()
            )
            before = len(waiting)
            for incident_id in waiting:
                self._recount(connection, incident_id, 0, moment)
            still = connection.execute(
                select(incidents.c.id)
                .where(incidents.c.id.in_(waiting))
                .where(incidents.c.state != "resolved")
            ).all()
        return before - len(still)

    def _old_enough(self, started_at: datetime, now: datetime) -> bool:
        return (now - started_at).total_seconds() >= self.settings.min_duration_s

    def promote_due(self, now: datetime | None = None) -> int:
        """Open the pending incidents whose alerts have fired for the minimum duration."""
        moment = utc(now) if now else datetime.now(UTC)
        cutoff = moment - timedelta(seconds=self.settings.min_duration_s)
        with self._lock, self.engine.begin() as connection:
            due = (
                connection.execute(
                    select(incidents.c.id)
                    .where(incidents.c.state == "pending")
                    .where(incidents.c.started_at <= cutoff)
                    .where(incidents.c.firing_count > 0)
                )
                .scalars()
                .all()
            )
            for incident_id in due:
                self._recount(connection, incident_id, 0, moment)
        return len(due)


def _on_map(
    incident: Incident,
    at: datetime,
    match: ServiceMatch,
    snapshot: MapSnapshot,
    max_hops: int,
) -> _Relation | None:
    """How `at`'s alert relates to the incident on the map: hops, plus a fraction for the
    time since the related service last alerted, so that among equally near incidents the
    one alerting closest in time wins."""
    key = match.key
    if key is None:
        return None
    if key in incident.services:
        first = incident.services[key]
        return _Relation(
            _recency(at, incident.services_last.get(key, first)),
            f"same {_what(match)} {key}, which alerted {_ago(at, first)}",
        )
    service = match.service
    if service is None:
        return None
    best: _Relation | None = None
    for other, first in incident.services.items():
        last = incident.services_last.get(other, first)
        # seconds since the neighbour last alerted, and until it first alerted
        since, until = (at - _parse(last)).total_seconds(), (_parse(first) - at).total_seconds()
        if other in snapshot.callees(service):
            # failures travel up to callers: its callee alerted before it, or just after
            if since > EXPLAINS_BEFORE_S or until > EXPLAINS_AFTER_S:
                continue
            found = _Relation(1, f"calls {other}, which alerted {_ago(at, first)}")
        elif service in snapshot.callees(other):
            # a callee that starts alerting well after its caller did not cause it
            if since > EXPLAINS_AFTER_S or until > EXPLAINS_BEFORE_S:
                continue
            found = _Relation(1, f"is called by {other}, which alerted {_ago(at, first)}")
        elif max(since, until) > EXPLAINS_BEFORE_S:
            continue
        elif (path := snapshot.failing_path(service, other, max_hops)) is not None:
            hops = len(path) - 1
            found = _Relation(
                hops,
                f"{hops} hops from {other} through failing calls ({' → '.join(path)}), "
                f"which alerted {_ago(at, first)}",
            )
        else:
            continue
        found = _Relation(found.distance + _recency(at, last), found.reason)
        if best is None or found.distance < best.distance:
            best = found
    return best


def _recency(at: datetime, last: str) -> float:
    """0 for an alert at the same moment, up to 0.2 for one an hour apart or more."""
    return min(abs((at - _parse(last)).total_seconds()), 3600.0) / 3600.0 * 0.2


# A callee's alert explains its caller's when it began at most this long before it (or a
# little after: rules over different figures fire at different moments).
EXPLAINS_BEFORE_S = 300.0
EXPLAINS_AFTER_S = 120.0


def probable_origin(services: dict[str, str], snapshot: MapSnapshot, max_hops: int) -> str | None:
    """The most downstream alerting service on the failing paths: no service it calls
    (within reach) alerted at about the same time to explain its alerts. Among several,
    the one that explains the most other alerting services, then the first to alert; an
    older alert of a callee (unrelated noise) does not make it the origin."""
    named = {name: _parse(first) for name, first in services.items() if "=" not in name}
    if not named:
        return None
    reach = {name: set(snapshot.downstream([name], max_hops)) - {name} for name in named}

    def explains(callee: str, caller: str) -> bool:
        gap = (named[caller] - named[callee]).total_seconds()
        return callee in reach[caller] and -EXPLAINS_AFTER_S <= gap <= EXPLAINS_BEFORE_S

    candidates = [c for c in named if not any(explains(x, c) for x in named if x != c)]
    explained = {c: sum(explains(c, other) for other in named if other != c) for c in named}
    return min(candidates or list(named), key=lambda c: (-explained[c], named[c], c))


def _what(match: ServiceMatch) -> str:
    return "service" if match.service else "unmapped label"


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _ago(at: datetime, first: str) -> str:
    seconds = (at - _parse(first)).total_seconds()
    if abs(seconds) < 1:
        return "at the same time"
    return f"{abs(seconds):.0f} s {'earlier' if seconds > 0 else 'later'}"


def _alert_values(
    alert: AlertIn, match: ServiceMatch, trace_ids: tuple[str, ...], now: datetime
) -> dict[str, Any]:
    return {
        "fingerprint": alert.fingerprint,
        "source": alert.source,
        "name": alert.name,
        "service": match.service,
        "service_label": match.label,
        "unmapped": None if match.service else match.value,
        "severity": alert.severity,
        "status": alert.status,
        "starts_at": alert.starts_at,
        "ends_at": alert.ends_at,
        "received_at": now,
        "summary": alert.summary,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "generator_url": alert.generator_url,
        "group_key": alert.group_key,
        "trace_ids": list(trace_ids[:MAX_TRACES]),
        "incident_id": None,
        "join_reason": "",
    }
