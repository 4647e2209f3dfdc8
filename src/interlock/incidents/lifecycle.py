"""An incident's life by hand: acknowledge, resolve with a note; each step recorded with
who and when (the automatic steps are taken by correlation)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, update

from interlock.errors import UserInputError
from interlock.incidents.model import Incident, utc
from interlock.incidents.records import add_transition, load_incident
from interlock.store import incidents

# state -> the states a person may move it to
ALLOWED = {
    "pending": ("acknowledged", "resolved"),
    "open": ("acknowledged", "resolved"),
    "acknowledged": ("resolved",),
    "resolved": (),
    "suppressed": (),
}


class TransitionRefused(UserInputError):
    """The incident is in a state that does not allow this step."""


def acknowledge_incident(
    engine: Engine, incident_id: int, actor: str, note: str = "", now: datetime | None = None
) -> Incident:
    """Mark an incident acknowledged by `actor`."""
    return _move(engine, incident_id, "acknowledged", actor, note, now)


def resolve_incident(
    engine: Engine, incident_id: int, actor: str, note: str, now: datetime | None = None
) -> Incident:
    """Resolve an incident by hand; `note` says why (required)."""
    if not note.strip():
        raise UserInputError("note: expected a few words on why the incident is resolved")
    return _move(engine, incident_id, "resolved", actor, note, now)


def _move(
    engine: Engine,
    incident_id: int,
    target: str,
    actor: str,
    note: str,
    now: datetime | None,
) -> Incident:
    if not actor.strip():
        raise UserInputError("actor: expected who takes this step")
    moment = utc(now) if now else datetime.now(UTC)
    with engine.begin() as connection:
        incident = load_incident(connection, incident_id)
        if target not in ALLOWED[incident.state]:
            raise TransitionRefused(
                f"incident {incident_id} is {incident.state}: it cannot become {target}"
            )
        values: dict[str, object] = {"state": target}
        if target == "resolved":
            values["resolved_at"] = moment
        connection.execute(update(incidents).where(incidents.c.id == incident_id).values(values))
        add_transition(
            connection, incident_id, moment, incident.state, target, actor.strip(), note.strip()
        )
        return load_incident(connection, incident_id)
