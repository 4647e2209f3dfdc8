"""Verification results: a provider version's verdict on one contract content.

A result is recorded against the content, so it counts for every consumer version that
published that content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from interlock.broker.errors import BrokerError, NotFoundError
from interlock.broker.pacts import require_contract
from interlock.broker.records import as_utc, ensure_pacticipant, ensure_version, now
from interlock.store.broker_schema import (
    broker_pacticipants,
    broker_verifications,
    broker_versions,
)


@dataclass(frozen=True)
class Verification:
    """One published verification result."""

    id: int
    consumer: str
    provider: str
    provider_version: str
    sha: str
    success: bool
    build_url: str | None
    verified_by: Any
    test_results: Any
    verified_at: datetime


def record_verification(
    connection: Connection, provider: str, consumer: str, sha: str, payload: Any
) -> Verification:
    """Store the result POSTed to a pact's `pb:publish-verification-results` link.

    `payload` carries `success` and `providerApplicationVersion`, optionally `buildUrl`,
    `verifiedBy` and `testResults`; anything else is a `BrokerError` naming the field.
    """
    if not isinstance(payload, dict):
        raise BrokerError("body: expected a JSON object")
    success = payload.get("success")
    if not isinstance(success, bool):
        raise BrokerError("body.success: expected true or false")
    number = payload.get("providerApplicationVersion")
    if not isinstance(number, str) or not number:
        raise BrokerError("body.providerApplicationVersion: expected a version string")
    build_url = payload.get("buildUrl")
    if build_url is not None and not isinstance(build_url, str):
        raise BrokerError("body.buildUrl: expected a string")
    contract = require_contract(connection, provider, consumer, sha=sha)
    provider_id = ensure_pacticipant(connection, provider)
    version_id = ensure_version(connection, provider_id, number)
    values = {
        "content_id": contract.content_id,
        "provider_version_id": version_id,
        "success": success,
        "build_url": build_url,
        "verified_by": payload.get("verifiedBy"),
        "test_results": payload.get("testResults"),
        "created_at": now(),
    }
    new_id = connection.execute(
        insert(broker_verifications).values(values).returning(broker_verifications.c.id)
    ).scalar_one()
    return read_verification(connection, provider, consumer, sha, int(new_id))


def read_verification(
    connection: Connection, provider: str, consumer: str, sha: str, verification_id: int
) -> Verification:
    """The verification `verification_id` of that content; `NotFoundError` if there is none."""
    contract = require_contract(connection, provider, consumer, sha=sha)
    row = (
        connection.execute(
            select(broker_verifications, broker_versions.c.number)
            .join(
                broker_versions, broker_versions.c.id == broker_verifications.c.provider_version_id
            )
            .join(broker_pacticipants, broker_pacticipants.c.id == broker_versions.c.pacticipant_id)
            .where(
                broker_verifications.c.id == verification_id,
                broker_verifications.c.content_id == contract.content_id,
                broker_pacticipants.c.name == provider,
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"no verification {verification_id} of that pact")
    return Verification(
        row["id"],
        consumer,
        provider,
        row["number"],
        sha,
        bool(row["success"]),
        row["build_url"],
        row["verified_by"],
        row["test_results"],
        as_utc(row["created_at"]),
    )
