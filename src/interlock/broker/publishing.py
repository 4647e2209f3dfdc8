"""`POST /contracts/publish`: a consumer version's contracts, branch, tags and build URL at once.

Contract contents arrive base64-encoded; each is validated with its place in the body named.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from interlock.broker.errors import BrokerError
from interlock.broker.pacts import PactRecord, publish_contract

_CONFLICT_MODES = ("overwrite", "merge")
_SPECIFICATIONS = {"pact": "pact", "database": "database", "dbcontract": "database"}


@dataclass(frozen=True)
class Publication:
    """What one publish request stored."""

    consumer: str
    version: str
    branch: str | None
    tags: tuple[str, ...]
    contracts: tuple[PactRecord, ...]


def _text(payload: dict[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise BrokerError(f"{where}.{key}: expected a non-empty string")
    return value


def publish_contracts(connection: Connection, payload: Any) -> Publication:
    """Store every contract of the request for the consumer version it names."""
    if not isinstance(payload, dict):
        raise BrokerError("body: expected a JSON object")
    consumer = _text(payload, "pacticipantName", "body")
    number = _text(payload, "pacticipantVersionNumber", "body")
    assert consumer is not None and number is not None
    branch = _text(payload, "branch", "body", required=False)
    build_url = _text(payload, "buildUrl", "body", required=False)
    tags = payload.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise BrokerError("body.tags: expected a list of non-empty strings")
    contracts = payload.get("contracts")
    if not isinstance(contracts, list) or not contracts:
        raise BrokerError("body.contracts: expected a non-empty list")
    stored: list[PactRecord] = []
    for index, contract in enumerate(contracts):
        where = f"body.contracts[{index}]"
        if not isinstance(contract, dict):
            raise BrokerError(f"{where}: expected an object")
        consumer_name = _text(contract, "consumerName", where, required=False) or consumer
        if consumer_name != consumer:
            raise BrokerError(
                f"{where}.consumerName: {consumer_name!r} is not the pacticipant {consumer!r}"
            )
        provider = _text(contract, "providerName", where)
        assert provider is not None
        specification = _SPECIFICATIONS.get(str(contract.get("specification", "pact")))
        if specification is None:
            raise BrokerError(f"{where}.specification: expected pact or database")
        on_conflict = contract.get("onConflict", "overwrite")
        if on_conflict not in _CONFLICT_MODES:
            raise BrokerError(f"{where}.onConflict: expected overwrite or merge")
        encoded = _text(contract, "content", where)
        assert encoded is not None
        try:
            text = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BrokerError(f"{where}.content: expected base64 of UTF-8 text") from None
        stored.append(
            publish_contract(
                connection,
                consumer=consumer,
                provider=provider,
                version=number,
                content=text,
                specification=specification,
                on_conflict=on_conflict,
                # the branch and tags belong to the version: put it there once
                branch=branch if index == 0 else None,
                tags=tuple(tags) if index == 0 else (),
                build_url=build_url,
                where=f"{where}.content",
            )
        )
    return Publication(consumer, number, branch, tuple(tags), tuple(stored))
