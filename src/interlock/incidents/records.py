"""Rows of the incident tables read into typed records, and the one writer of transitions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from interlock.errors import UserInputError
from interlock.incidents.model import Alert, Incident, Transition, utc
from interlock.store import alerts, incident_transitions, incidents


class IncidentNotFound(UserInputError):
    """No incident has this id."""


def incident_of(row: Any) -> Incident:
    return Incident(
        id=row["id"],
        state=row["state"],
        title=row["title"],
        severity=row["severity"],
        started_at=utc(row["started_at"]),
        last_alert_at=utc(row["last_alert_at"]),
        opened_at=utc(row["opened_at"]) if row["opened_at"] else None,
        resolved_at=utc(row["resolved_at"]) if row["resolved_at"] else None,
        origin=row["origin"],
        services=dict(row["services"] or {}),
        trace_ids=tuple(row["trace_ids"] or ()),
        alert_count=row["alert_count"],
        firing_count=row["firing_count"],
        services_last=dict(row["services_last"] or {}),
    )


def alert_of(row: Any) -> Alert:
    return Alert(
        id=row["id"],
        fingerprint=row["fingerprint"],
        source=row["source"],
        name=row["name"],
        service=row["service"],
        service_label=row["service_label"],
        unmapped=row["unmapped"],
        severity=row["severity"],
        status=row["status"],
        starts_at=utc(row["starts_at"]),
        ends_at=utc(row["ends_at"]) if row["ends_at"] else None,
        summary=row["summary"],
        labels=dict(row["labels"] or {}),
        generator_url=row["generator_url"],
        trace_ids=tuple(row["trace_ids"] or ()),
        incident_id=row["incident_id"],
        join_reason=row["join_reason"],
        group_key=row["group_key"],
    )


def load_incident(connection: Connection, incident_id: int) -> Incident:
    """The incident `incident_id`; `IncidentNotFound` when there is none."""
    row = (
        connection.execute(select(incidents).where(incidents.c.id == incident_id))
        .mappings()
        .first()
    )
    if row is None:
        raise IncidentNotFound(f"incident {incident_id}: not found")
    return incident_of(row)


def add_transition(
    connection: Connection,
    incident_id: int,
    at: datetime,
    from_state: str | None,
    to_state: str,
    actor: str,
    note: str = "",
) -> None:
    """Record one step of an incident's life."""
    connection.execute(
        insert(incident_transitions).values(
            incident_id=incident_id,
            at=at,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            note=note,
        )
    )


def transitions_of(connection: Connection, incident_id: int) -> list[Transition]:
    query = (
        select(incident_transitions)
        .where(incident_transitions.c.incident_id == incident_id)
        .order_by(incident_transitions.c.id)
    )
    return [
        Transition(utc(r["at"]), r["from_state"], r["to_state"], r["actor"], r["note"])
        for r in connection.execute(query).mappings()
    ]


def alerts_of(connection: Connection, incident_id: int, limit: int = 5000) -> list[Alert]:
    query = (
        select(alerts)
        .where(alerts.c.incident_id == incident_id)
        .order_by(alerts.c.starts_at, alerts.c.id)
        .limit(limit)
    )
    return [alert_of(row) for row in connection.execute(query).mappings()]
