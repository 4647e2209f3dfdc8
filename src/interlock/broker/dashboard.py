"""What the dashboard shows of the broker: each pair's verification state and where it is
deployed, a pacticipant's matrix, and a can-i-deploy answer with its reasons.

Plain data (dicts ready for JSON and templates), read in one connection each.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, func, select

from interlock.broker.environments import list_environments
from interlock.broker.matrix import MatrixResult, MatrixRow, query_matrix
from interlock.broker.matrix_query import MatrixQuery, VersionSelector
from interlock.broker.records import as_utc, rfc3339
from interlock.broker.webhooks import list_webhooks
from interlock.store.broker_schema import (
    broker_contents,
    broker_deployments,
    broker_pacticipants,
    broker_publications,
    broker_verifications,
    broker_versions,
)

_consumers = broker_pacticipants.alias("consumers")
_providers = broker_pacticipants.alias("providers")


def _verification(
    connection: Connection, content_id: int, provider_id: int, version_id: int | None = None
) -> dict[str, Any] | None:
    """The latest verification of the content by the provider (by one version of it)."""
    query = (
        select(
            broker_verifications.c.success,
            broker_verifications.c.created_at,
            broker_versions.c.number,
        )
        .join(broker_versions, broker_versions.c.id == broker_verifications.c.provider_version_id)
        .where(
            broker_verifications.c.content_id == content_id,
            broker_versions.c.pacticipant_id == provider_id,
        )
        .order_by(broker_verifications.c.id.desc())
        .limit(1)
    )
    if version_id is not None:
        query = query.where(broker_verifications.c.provider_version_id == version_id)
    row = connection.execute(query).first()
    if row is None:
        return None
    return {
        "success": bool(row.success),
        "verifiedAt": rfc3339(as_utc(row.created_at)),
        "providerVersion": row.number,
    }


def _deployed(connection: Connection, environment_id: int, pacticipant_id: int) -> list[Any]:
    return list(
        connection.execute(
            select(broker_deployments.c.version_id, broker_versions.c.number)
            .join(broker_versions, broker_versions.c.id == broker_deployments.c.version_id)
            .where(
                broker_deployments.c.environment_id == environment_id,
                broker_deployments.c.pacticipant_id == pacticipant_id,
                broker_deployments.c.current.is_(True),
            )
        )
    )


def _environments(
    connection: Connection, consumer_id: int, provider_id: int, specification: str
) -> list[dict[str, Any]]:
    """Each environment where both are deployed, and whether that deployed pair is verified."""
    found = []
    for environment in list_environments(connection):
        consumers = _deployed(connection, environment.id, consumer_id)
        providers = _deployed(connection, environment.id, provider_id)
        for consumer in consumers:
            content_id = connection.execute(
                select(broker_publications.c.content_id).where(
                    broker_publications.c.consumer_version_id == consumer.version_id,
                    broker_publications.c.provider_id == provider_id,
                    broker_publications.c.specification == specification,
                )
            ).scalar()
            for provider in providers:
                verdict = (
                    None
                    if content_id is None
                    else _verification(connection, content_id, provider_id, provider.version_id)
                )
                found.append(
                    {
                        "environment": environment.name,
                        "consumerVersion": consumer.number,
                        "providerVersion": provider.number,
                        "verified": None if verdict is None else verdict["success"],
                    }
                )
    return found


def pair_states(engine: Engine) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every published (consumer, provider, specification): its latest contract, that
    contract's latest verification, and the environments where the pair is deployed."""
    latest = (
        select(
            func.max(broker_publications.c.consumer_version_id).label("version_id"),
            broker_publications.c.provider_id,
            broker_publications.c.specification,
        )
        .group_by(
            broker_publications.c.consumer_id,
            broker_publications.c.provider_id,
            broker_publications.c.specification,
        )
        .subquery()
    )
    query = (
        select(
            _consumers.c.name.label("consumer"),
            _providers.c.name.label("provider"),
            broker_publications.c.consumer_id,
            broker_publications.c.provider_id,
            broker_publications.c.content_id,
            broker_versions.c.number,
            broker_contents.c.sha,
            broker_contents.c.specification,
            broker_publications.c.created_at,
        )
        .join(
            latest,
            (latest.c.version_id == broker_publications.c.consumer_version_id)
            & (latest.c.provider_id == broker_publications.c.provider_id)
            & (latest.c.specification == broker_publications.c.specification),
        )
        .join(_consumers, _consumers.c.id == broker_publications.c.consumer_id)
        .join(_providers, _providers.c.id == broker_publications.c.provider_id)
        .join(broker_versions, broker_versions.c.id == broker_publications.c.consumer_version_id)
        .join(broker_contents, broker_contents.c.id == broker_publications.c.content_id)
        .order_by(_consumers.c.name, _providers.c.name, broker_publications.c.specification.desc())
    )
    states: dict[tuple[str, str, str], dict[str, Any]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query).all():
            verification = _verification(connection, row.content_id, row.provider_id)
            states[(row.consumer, row.provider, row.specification)] = {
                "consumer": row.consumer,
                "provider": row.provider,
                "consumerVersion": row.number,
                "sha": row.sha,
                "specification": row.specification,
                "publishedAt": rfc3339(as_utc(row.created_at)),
                "verification": verification,
                "state": "unverified"
                if verification is None
                else "verified"
                if verification["success"]
                else "failed",
                "environments": _environments(
                    connection, row.consumer_id, row.provider_id, row.specification
                ),
            }
    return states


def _row(row: MatrixRow) -> dict[str, Any]:
    return {
        "consumer": row.consumer.pacticipant,
        "consumerVersion": row.consumer.number,
        "provider": row.provider_name,
        "providerVersion": None if row.provider_version is None else row.provider_version.number,
        "specification": row.specification,
        "sha": row.sha,
        "success": row.success,
        "verifiedAt": rfc3339(row.verified_at),
        "ignored": row.ignored,
    }


def _answer(result: MatrixResult) -> dict[str, Any]:
    return {
        "deployable": result.deployable,
        "reason": result.reason,
        "counts": result.counts,
        "notices": [{"type": kind, "text": text} for kind, text in result.notices],
        "rows": [_row(row) for row in result.rows],
    }


def pacticipant_matrix(engine: Engine, pacticipant: str, limit: int = 100) -> dict[str, Any]:
    """The matrix of a pacticipant's versions, as consumer and as provider, newest first."""
    with engine.connect() as connection:
        result = query_matrix(connection, MatrixQuery((VersionSelector(pacticipant),), limit=limit))
        environments = [e.name for e in list_environments(connection)]
    return {"pacticipant": pacticipant, "environments": environments, **_answer(result)}


def can_i_deploy_answer(
    engine: Engine, pacticipant: str, version: str | None, environment: str
) -> dict[str, Any]:
    """Can `version` (or the latest) of the pacticipant go to the environment, and why."""
    selector = VersionSelector(pacticipant, version=version, latest=version is None)
    with engine.connect() as connection:
        result = query_matrix(connection, MatrixQuery((selector,), environment=environment))
    return {
        "pacticipant": pacticipant,
        "version": version,
        "environment": environment,
        **_answer(result),
    }


def webhooks_view(engine: Engine) -> list[dict[str, Any]]:
    """Every webhook: its events, target, pair, and whether it is enabled."""
    with engine.connect() as connection:
        found = list_webhooks(connection)
    return [
        {
            "uuid": w.uuid,
            "description": w.description,
            "events": list(w.events),
            "method": w.request["method"],
            "url": w.request["url"],
            "consumer": w.consumer,
            "provider": w.provider,
            "enabled": w.enabled,
        }
        for w in found
    ]
