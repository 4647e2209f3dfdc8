"""Outgoing webhooks per route: one message per incident and event (opened, origin
changed, resolved), never one per alert; generic JSON or Slack's `text`/`blocks`, naming
the teams that own the services involved.

Each message is claimed in `incident_notifications` before it is sent, so several servers
on one database send it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from interlock.catalog import CatalogGraph
from interlock.incidents.config import NotifyRoute
from interlock.incidents.model import Alert, Incident, rfc3339, severity_rank, utc
from interlock.incidents.records import alerts_of, incident_of
from interlock.incidents.reports import owners_of
from interlock.store import incidents
from interlock.store.incident_schema import incident_notifications

RESOLVED_LOOKBACK = timedelta(hours=6)
ALERTS_IN_MESSAGE = 20
TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Notification:
    """One message to send: the route, the event, and the body in the route's format."""

    route: NotifyRoute
    incident_id: int
    event: str  # opened | origin_changed | resolved
    claims: tuple[str, ...]
    body: dict[str, Any]


@dataclass(frozen=True)
class SentNotification:
    """A message as recorded: which route, which event, and how the receiver answered."""

    route: str
    event: str
    sent_at: datetime
    status_code: int | None
    error: str

    def to_json(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "event": self.event,
            "sent_at": rfc3339(self.sent_at),
            "status_code": self.status_code,
            "error": self.error,
        }


class Notifier:
    """Finds what each route has not been told yet, and tells it."""

    def __init__(
        self,
        engine: Engine,
        graph: CatalogGraph,
        routes: Sequence[NotifyRoute],
        dashboard_url: str = "",
    ) -> None:
        self.engine = engine
        self.graph = graph
        self.routes = tuple(routes)
        self.dashboard_url = dashboard_url.rstrip("/")

    def due(self, now: datetime | None = None) -> list[Notification]:
        """The messages not sent yet, one per incident and route (events coalesced)."""
        if not self.routes:
            return []
        moment = utc(now) if now else datetime.now(UTC)
        query = select(incidents).where(
            or_(
                incidents.c.state.in_(("open", "acknowledged")),
                (incidents.c.state == "resolved")
                & (incidents.c.resolved_at >= moment - RESOLVED_LOOKBACK)
                & incidents.c.opened_at.is_not(None),
            )
        )
        out: list[Notification] = []
        with self.engine.connect() as connection:
            found = [incident_of(row) for row in connection.execute(query).mappings()]
            sent = _claimed(connection, [i.id for i in found])
            for incident in found:
                teams = {s: owners_of(self.graph, s) for s in _services(incident)}
                alerts: list[Alert] | None = None
                for route in self.routes:
                    if not _matches(route, incident, teams):
                        continue
                    event, claims = _event(incident, sent.get((incident.id, route.name), set()))
                    if event is None:
                        continue
                    if alerts is None:
                        alerts = alerts_of(connection, incident.id, ALERTS_IN_MESSAGE + 1)
                    body = message(route.format, event, incident, alerts, teams, self.dashboard_url)
                    out.append(Notification(route, incident.id, event, claims, body))
        return out

    def send_due(self, now: datetime | None = None) -> list[SentNotification]:
        """Claim and send every due message; what was sent (a failure is recorded, not raised)."""
        moment = utc(now) if now else datetime.now(UTC)
        results = []
        with httpx.Client(timeout=TIMEOUT_S) as client:
            for note in self.due(moment):
                if not self._claim(note, moment):
                    continue
                status, error = _post(client, note)
                with self.engine.begin() as connection:
                    connection.execute(
                        update(incident_notifications)
                        .where(incident_notifications.c.incident_id == note.incident_id)
                        .where(incident_notifications.c.route == note.route.name)
                        .where(incident_notifications.c.event == note.claims[0])
                        .values(status_code=status, error=error)
                    )
                results.append(SentNotification(note.route.name, note.event, moment, status, error))
        return results

    def _claim(self, note: Notification, now: datetime) -> bool:
        try:
            with self.engine.begin() as connection:
                for key in note.claims:
                    connection.execute(
                        insert(incident_notifications).values(
                            incident_id=note.incident_id,
                            route=note.route.name,
                            event=key,
                            sent_at=now,
                            status_code=None,
                            error="",
                        )
                    )
        except IntegrityError:
            return False  # another server claimed it
        return True


def sent_notifications(engine: Engine, incident_id: int) -> list[SentNotification]:
    """The messages sent for one incident, in order (the claims without a message left out)."""
    query = (
        select(incident_notifications)
        .where(incident_notifications.c.incident_id == incident_id)
        .order_by(incident_notifications.c.id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        SentNotification(r["route"], r["event"], utc(r["sent_at"]), r["status_code"], r["error"])
        for r in rows
        if r["status_code"] is not None or r["error"]
    ]


def _claimed(connection: Any, ids: list[int]) -> dict[tuple[int, str], set[str]]:
    if not ids:
        return {}
    rows = connection.execute(
        select(
            incident_notifications.c.incident_id,
            incident_notifications.c.route,
            incident_notifications.c.event,
        ).where(incident_notifications.c.incident_id.in_(ids))
    )
    found: dict[tuple[int, str], set[str]] = {}
    for incident_id, route, event in rows:
        found.setdefault((incident_id, route), set()).add(event)
    return found


def _event(incident: Incident, sent: set[str]) -> tuple[str | None, tuple[str, ...]]:
    """The event to announce and the claim keys it covers (the first key is the message's)."""
    origin_key = f"origin:{incident.origin or ''}"
    if incident.state == "resolved":
        if "resolved" in sent:
            return None, ()
        return "resolved", ("resolved", *(("opened",) if "opened" not in sent else ()))
    if "opened" not in sent:
        return "opened", ("opened", origin_key)
    if origin_key not in sent:
        return "origin_changed", (origin_key,)
    return None, ()


def _services(incident: Incident) -> list[str]:
    return sorted(name for name in incident.services if "=" not in name)


def _matches(route: NotifyRoute, incident: Incident, teams: dict[str, list[str]]) -> bool:
    if route.services and not set(route.services) & set(_services(incident)):
        return False
    if route.teams and not {t for owners in teams.values() for t in owners} & set(route.teams):
        return False
    return route.min_severity is None or severity_rank(incident.severity) <= severity_rank(
        route.min_severity
    )


def message(
    form: str,
    event: str,
    incident: Incident,
    alerts: Sequence[Alert],
    teams: dict[str, list[str]],
    dashboard_url: str = "",
) -> dict[str, Any]:
    """The body of one message: generic JSON, or Slack's `text` and `blocks`."""
    url = f"{dashboard_url}/incidents/{incident.id}"
    origin_teams = teams.get(incident.origin or "", [])
    all_teams = sorted({t for owners in teams.values() for t in owners})
    owner = ", ".join(origin_teams or all_teams) or "no owning team in the catalog"
    verb = {"opened": "opened", "origin_changed": "origin now", "resolved": "resolved"}[event]
    text = (
        f"Incident {incident.id} {verb}"
        + (f" {incident.origin}" if event == "origin_changed" else "")
        + f": {incident.title} — {incident.alert_count} alerts on "
        f"{', '.join(_services(incident)) or 'unmapped services'}; probable origin "
        f"{incident.origin or 'unknown'} (owned by {owner}). {url}"
    )
    if form == "slack":
        return _slack(text, event, incident, alerts, owner, url)
    shown = list(alerts)[:ALERTS_IN_MESSAGE]
    return {
        "event": event,
        "text": text,
        "incident": {**incident.to_json(), "url": url},
        "teams": {"origin": origin_teams, "all": all_teams, "by_service": teams},
        "alerts": [
            {
                "name": a.name,
                "service": a.service or f"{a.service_label}={a.unmapped}",
                "status": a.status,
                "severity": a.severity,
                "starts_at": rfc3339(a.starts_at),
                "summary": a.summary,
            }
            for a in shown
        ],
        "more_alerts": max(0, incident.alert_count - len(shown)),
    }


def _slack(
    text: str, event: str, incident: Incident, alerts: Sequence[Alert], owner: str, url: str
) -> dict[str, Any]:
    icon = {
        "opened": ":rotating_light:",
        "origin_changed": ":mag:",
        "resolved": ":white_check_mark:",
    }
    lines = [
        f"• {a.name} on {a.service or f'{a.service_label}={a.unmapped}'} ({a.status})"
        for a in list(alerts)[:10]
    ]
    return {
        "text": text,
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"{icon[event]} *<{url}|Incident {incident.id}>* {event.replace('_', ' ')}: "
                    f"{incident.title}",
                },
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*Origin*\n{incident.origin or 'unknown'}"},
                    {"type": "mrkdwn", "text": f"*Owners*\n{owner}"},
                    {"type": "mrkdwn", "text": f"*Severity*\n{incident.severity}"},
                    {"type": "mrkdwn", "text": f"*Alerts*\n{incident.alert_count}"},
                ],
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines) or "—"}},
        ],
    }


def _post(client: httpx.Client, note: Notification) -> tuple[int | None, str]:
    try:
        response = client.post(note.route.url, json=note.body)
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"
    return (
        response.status_code,
        "" if response.status_code < 400 else f"HTTP {response.status_code}",
    )
