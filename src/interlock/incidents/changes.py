"""Change events: what changed, where and when (deploys, config, migrations, flags),
recorded by people, CI, and other parts of Interlock through `record_change`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from interlock.errors import UserInputError
from interlock.incidents.model import ChangeEvent, utc
from interlock.store import CHANGE_KINDS, change_events


def record_change(
    engine: Engine,
    *,
    service: str,
    kind: str,
    version: str | None = None,
    environment: str | None = None,
    summary: str = "",
    occurred_at: datetime | None = None,
    attributes: dict[str, Any] | None = None,
) -> ChangeEvent:
    """Store one change event (now, unless `occurred_at` says when) and return it."""
    if not service.strip():
        raise UserInputError("service: expected the name of the service that changed")
    if kind not in CHANGE_KINDS:
        raise UserInputError(f"kind {kind!r}: expected one of {', '.join(CHANGE_KINDS)}")
    when = utc(occurred_at) if occurred_at else datetime.now(UTC)
    values: dict[str, Any] = {
        "occurred_at": when,
        "kind": kind,
        "service": service.strip(),
        "environment": environment or None,
        "version": version or None,
        "summary": summary,
        "attributes": attributes or {},
    }
    with engine.begin() as connection:
        query = insert(change_events).values(values).returning(change_events.c.id)
        new_id: int = connection.execute(query).scalar_one()
    return ChangeEvent(
        new_id,
        when,
        kind,
        values["service"],
        values["environment"],
        values["version"],
        summary,
        values["attributes"],
    )


def changes_between(
    engine: Engine, services: Iterable[str], start: datetime, end: datetime
) -> list[ChangeEvent]:
    """Changes on `services` from `start` to `end`, newest first (one indexed range each)."""
    names = sorted(set(services))
    if not names:
        return []
    query = (
        select(change_events)
        .where(change_events.c.service.in_(names))
        .where(change_events.c.occurred_at >= start)
        .where(change_events.c.occurred_at <= end)
        .order_by(change_events.c.occurred_at.desc())
        .limit(200)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [_change(row) for row in rows]


def recent_changes(engine: Engine, limit: int = 50) -> list[ChangeEvent]:
    """The latest changes on any service, newest first."""
    query = select(change_events).order_by(change_events.c.occurred_at.desc()).limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [_change(row) for row in rows]


def _change(row: Any) -> ChangeEvent:
    return ChangeEvent(
        row["id"],
        utc(row["occurred_at"]),
        row["kind"],
        row["service"],
        row["environment"],
        row["version"],
        row["summary"],
        dict(row["attributes"] or {}),
    )
