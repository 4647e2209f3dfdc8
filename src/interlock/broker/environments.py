"""Environments, and which pacticipant versions are deployed or released in each.

Recording a deployment also writes a `deploy` change event, which the incidents view lays
beside the alerts that follow it.
"""

from __future__ import annotations

import uuid as uuids
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from interlock.broker.errors import BrokerError, ConflictError, NotFoundError
from interlock.broker.records import as_utc, now, require_version_id
from interlock.store.broker_schema import (
    broker_deployments,
    broker_environments,
    broker_pacticipants,
    broker_versions,
)

KINDS = ("deployed", "released")


@dataclass(frozen=True)
class Environment:
    """A place versions are deployed to (`production`, `staging`...)."""

    id: int
    uuid: str
    name: str
    display_name: str | None
    production: bool
    contacts: Any
    created_at: datetime


@dataclass(frozen=True)
class Deployment:
    """A version deployed (or released) to an environment; `current` until it is replaced."""

    uuid: str
    kind: str
    pacticipant: str
    version: str
    environment: Environment
    application_instance: str | None
    current: bool
    created_at: datetime
    ended_at: datetime | None


def _environment(row: Any) -> Environment:
    return Environment(
        row["id"],
        row["uuid"],
        row["name"],
        row["display_name"],
        bool(row["production"]),
        row["contacts"],
        as_utc(row["created_at"]),
    )


def create_environment(connection: Connection, payload: Any) -> Environment:
    """Create the environment described by `payload` (name, displayName, production, contacts)."""
    if not isinstance(payload, dict):
        raise BrokerError("body: expected a JSON object")
    name = payload.get("name")
    if not isinstance(name, str) or not name or "/" in name:
        raise BrokerError("body.name: expected a name without '/'")
    if find_environment(connection, name) is not None:
        raise ConflictError(f"body.name: an environment named {name!r} already exists")
    values = {
        "uuid": str(uuids.uuid4()),
        "name": name,
        "display_name": payload.get("displayName"),
        "production": bool(payload.get("production", False)),
        "contacts": payload.get("contacts"),
        "created_at": now(),
    }
    connection.execute(insert(broker_environments).values(values))
    return require_environment(connection, name)


def update_environment(connection: Connection, key: str, payload: Any) -> Environment:
    """Change an environment's displayName, production flag or contacts."""
    if not isinstance(payload, dict):
        raise BrokerError("body: expected a JSON object")
    environment = require_environment(connection, key)
    values: dict[str, Any] = {}
    if "displayName" in payload:
        values["display_name"] = payload["displayName"]
    if "production" in payload:
        values["production"] = bool(payload["production"])
    if "contacts" in payload:
        values["contacts"] = payload["contacts"]
    if isinstance(payload.get("name"), str):
        values["name"] = payload["name"]
    if values:
        connection.execute(
            update(broker_environments)
            .where(broker_environments.c.id == environment.id)
            .values(values)
        )
    return require_environment(connection, environment.uuid)


def delete_environment(connection: Connection, key: str) -> None:
    """Forget an environment and what was deployed there."""
    environment = require_environment(connection, key)
    connection.execute(
        broker_environments.delete().where(broker_environments.c.id == environment.id)
    )


def list_environments(connection: Connection, name: str | None = None) -> list[Environment]:
    """Every environment (or the one called `name`), by name."""
    query = select(broker_environments).order_by(broker_environments.c.name)
    if name is not None:
        query = query.where(broker_environments.c.name == name)
    return [_environment(row) for row in connection.execute(query).mappings()]


def find_environment(connection: Connection, key: str) -> Environment | None:
    """The environment whose uuid or name is `key`, or None."""
    query = select(broker_environments).where(
        (broker_environments.c.uuid == key) | (broker_environments.c.name == key)
    )
    row = connection.execute(query).mappings().first()
    return None if row is None else _environment(row)


def require_environment(connection: Connection, key: str) -> Environment:
    """The environment whose uuid or name is `key`; `NotFoundError` if there is none."""
    found = find_environment(connection, key)
    if found is None:
        raise NotFoundError(f"no environment {key!r}")
    return found


def record_deployment(
    connection: Connection,
    *,
    pacticipant: str,
    version: str,
    environment: str,
    kind: str = "deployed",
    application_instance: str | None = None,
) -> Deployment:
    """Record that `version` now runs (or is released) in `environment`.

    A deployment replaces the one of the same pacticipant and application instance that was
    current there; releases accumulate until their support ends. The caller reports the
    `deploy` change event once this commits (`interlock.broker.api.record_deployment`).
    """
    if kind not in KINDS:
        raise BrokerError(f"kind: expected one of {', '.join(KINDS)}")
    target = require_environment(connection, environment)
    version_id = require_version_id(connection, pacticipant, version)
    pacticipant_id = connection.execute(
        select(broker_versions.c.pacticipant_id).where(broker_versions.c.id == version_id)
    ).scalar_one()
    moment = now()
    if kind == "deployed":
        same_instance = (
            broker_deployments.c.application_instance.is_(None)
            if application_instance is None
            else broker_deployments.c.application_instance == application_instance
        )
        connection.execute(
            update(broker_deployments)
            .where(
                broker_deployments.c.environment_id == target.id,
                broker_deployments.c.pacticipant_id == pacticipant_id,
                broker_deployments.c.kind == kind,
                broker_deployments.c.current.is_(True),
                same_instance,
            )
            .values(current=False, ended_at=moment)
        )
    new_uuid = str(uuids.uuid4())
    connection.execute(
        insert(broker_deployments).values(
            uuid=new_uuid,
            kind=kind,
            version_id=version_id,
            pacticipant_id=pacticipant_id,
            environment_id=target.id,
            application_instance=application_instance,
            current=True,
            created_at=moment,
        )
    )
    return require_deployment(connection, new_uuid)


def end_deployment(connection: Connection, deployment_uuid: str, kind: str) -> Deployment:
    """Mark a deployment undeployed (or a release no longer supported)."""
    found = require_deployment(connection, deployment_uuid)
    if found.kind != kind:
        raise NotFoundError(f"no {kind} version {deployment_uuid!r}")
    connection.execute(
        update(broker_deployments)
        .where(broker_deployments.c.uuid == deployment_uuid, broker_deployments.c.current.is_(True))
        .values(current=False, ended_at=now())
    )
    return require_deployment(connection, deployment_uuid)


def current_deployments(
    connection: Connection,
    environment: str,
    kind: str,
    pacticipant: str | None = None,
) -> list[Deployment]:
    """What is currently deployed (or supported) in the environment, oldest first."""
    target = require_environment(connection, environment)
    query = (
        select(broker_deployments.c.uuid)
        .join(broker_pacticipants, broker_pacticipants.c.id == broker_deployments.c.pacticipant_id)
        .where(
            broker_deployments.c.environment_id == target.id,
            broker_deployments.c.current.is_(True),
            broker_deployments.c.kind == kind,
        )
        .order_by(broker_deployments.c.id)
    )
    if pacticipant is not None:
        query = query.where(broker_pacticipants.c.name == pacticipant)
    return [require_deployment(connection, key) for key in connection.execute(query).scalars()]


def deployments_of_version(connection: Connection, version_id: int) -> list[Deployment]:
    """Every current deployment and release of one version."""
    query = (
        select(broker_deployments.c.uuid)
        .where(
            broker_deployments.c.version_id == version_id, broker_deployments.c.current.is_(True)
        )
        .order_by(broker_deployments.c.id)
    )
    return [require_deployment(connection, key) for key in connection.execute(query).scalars()]


def require_deployment(connection: Connection, deployment_uuid: str) -> Deployment:
    """The deployment (or release) with that uuid; `NotFoundError` if there is none."""
    row = (
        connection.execute(
            select(
                broker_deployments,
                broker_versions.c.number,
                broker_pacticipants.c.name.label("pacticipant"),
            )
            .join(broker_versions, broker_versions.c.id == broker_deployments.c.version_id)
            .join(
                broker_pacticipants, broker_pacticipants.c.id == broker_deployments.c.pacticipant_id
            )
            .where(broker_deployments.c.uuid == deployment_uuid)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"no deployed or released version {deployment_uuid!r}")
    environment = connection.execute(
        select(broker_environments).where(broker_environments.c.id == row["environment_id"])
    ).mappings()
    return Deployment(
        row["uuid"],
        row["kind"],
        row["pacticipant"],
        row["number"],
        _environment(environment.one()),
        row["application_instance"],
        bool(row["current"]),
        as_utc(row["created_at"]),
        None if row["ended_at"] is None else as_utc(row["ended_at"]),
    )
