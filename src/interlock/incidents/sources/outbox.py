"""Alerts raised by other packages and processes (a failed contract verification at the
broker, a failed migration): written to the outbox in the caller's own transaction, taken
by the server's watch and correlated like any webhook's alert."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from interlock.incidents.model import AlertIn, rfc3339, utc
from interlock.store.incident_schema import alert_outbox

TAKE_AT_MOST = 500


def raise_alert(bind: Engine | Connection, alert: AlertIn) -> None:
    """Queue `alert` for the server's correlation; inside `bind`'s transaction if a Connection."""
    values = {"created_at": datetime.now(UTC), "payload": _payload(alert), "taken_at": None}
    if isinstance(bind, Connection):
        bind.execute(insert(alert_outbox).values(values))
        return
    with bind.begin() as connection:
        connection.execute(insert(alert_outbox).values(values))


def take_queued(engine: Engine, now: datetime | None = None) -> list[AlertIn]:
    """The queued alerts, oldest first, each taken once (marked in the same transaction)."""
    moment = utc(now) if now else datetime.now(UTC)
    with engine.begin() as connection:
        rows = connection.execute(
            select(alert_outbox.c.id, alert_outbox.c.payload)
            .where(alert_outbox.c.taken_at.is_(None))
            .order_by(alert_outbox.c.id)
            .limit(TAKE_AT_MOST)
        ).all()
        if not rows:
            return []
        taken = (
            update(alert_outbox)
            .where(alert_outbox.c.id.in_([row.id for row in rows]))
            .where(alert_outbox.c.taken_at.is_(None))
            .values(taken_at=moment)
        )
        if connection.execute(taken).rowcount != len(rows):
            return []  # another server took them first; it correlates them
    return [_alert(row.payload) for row in rows]


def verification_alert(
    *,
    consumer: str,
    provider: str,
    provider_version: str,
    success: bool,
    verified_at: datetime | None = None,
    build_url: str | None = None,
) -> AlertIn:
    """The alert a published verification result means: firing when it failed, resolved
    (for the same consumer-provider pair) when a later one passed."""
    at = utc(verified_at) if verified_at else datetime.now(UTC)
    verdict = "passed" if success else "failed"
    return AlertIn(
        source="broker",
        name="ContractVerificationFailed",
        status="resolved" if success else "firing",
        starts_at=at,
        ends_at=at if success else None,
        fingerprint=f"verification:{consumer}->{provider}",
        labels={
            "alertname": "ContractVerificationFailed",
            "service": provider,
            "consumer": consumer,
            "provider_version": provider_version,
        },
        severity="error",
        summary=f"{provider} {provider_version} {verdict} the verification of {consumer}'s pact",
        service=provider,
        generator_url=build_url,
    )


def migration_alert(
    *,
    service: str,
    database: str,
    migration: str,
    success: bool,
    detail: str = "",
    at: datetime | None = None,
) -> AlertIn:
    """The alert a migration result means: firing when `migration` failed on `database`,
    resolved when a later run of the same service's migrations on it succeeded."""
    moment = utc(at) if at else datetime.now(UTC)
    verdict = "applied" if success else "failed"
    return AlertIn(
        source="migrations",
        name="MigrationFailed",
        status="resolved" if success else "firing",
        starts_at=moment,
        ends_at=moment if success else None,
        fingerprint=f"migration:{service}:{database}",
        labels={
            "alertname": "MigrationFailed",
            "service": service,
            "database": database,
            "migration": migration,
        },
        severity="critical",
        summary=f"{migration} {verdict} on {database}" + (f": {detail}" if detail else ""),
        service=service,
    )


def _payload(alert: AlertIn) -> dict[str, Any]:
    return {
        "source": alert.source,
        "name": alert.name,
        "status": alert.status,
        "starts_at": rfc3339(alert.starts_at),
        "ends_at": rfc3339(alert.ends_at),
        "fingerprint": alert.fingerprint,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "severity": alert.severity,
        "summary": alert.summary,
        "service": alert.service,
        "generator_url": alert.generator_url,
        "trace_ids": list(alert.trace_ids),
    }


def _alert(payload: dict[str, Any]) -> AlertIn:
    ends = payload.get("ends_at")
    return AlertIn(
        source=payload["source"],
        name=payload["name"],
        status=payload["status"],
        starts_at=_time(payload["starts_at"]),
        ends_at=_time(ends) if ends else None,
        fingerprint=payload["fingerprint"],
        labels=dict(payload["labels"]),
        annotations=dict(payload.get("annotations") or {}),
        severity=payload["severity"],
        summary=payload["summary"],
        service=payload.get("service"),
        generator_url=payload.get("generator_url"),
        trace_ids=tuple(payload.get("trace_ids") or ()),
    )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
