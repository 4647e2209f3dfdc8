"""A database owner's side of the broker: fetch the latest database contract of each consumer
of a database, and publish the owner version's verdict on each (what a migration's dry run
found), so that can-i-deploy for that version reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from interlock.broker.client import BrokerClient, BrokerPact
from interlock.contracts import ContractQuery
from interlock.errors import UserInputError


@dataclass(frozen=True)
class BrokerDatabaseContract:
    """A consumer's database contract as the broker holds it, and where its result goes."""

    consumer: str
    consumer_version: str
    database: str
    queries: tuple[ContractQuery, ...]
    pact: BrokerPact


@dataclass(frozen=True)
class PublishedVerdict:
    """One verification result published for a consumer's database contract."""

    consumer: str
    consumer_version: str
    database: str
    version: str
    success: bool
    failures: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "consumer": self.consumer,
            "consumer_version": self.consumer_version,
            "database": self.database,
            "version": self.version,
            "success": self.success,
            "failures": list(self.failures),
        }


def fetch_database_contracts(client: BrokerClient, database: str) -> list[BrokerDatabaseContract]:
    """The latest database contract each consumer published for `database`."""
    return [
        _contract(client.url, database, pact)
        for pact in client.latest_contracts(database, "database")
    ]


def _contract(url: str, database: str, pact: BrokerPact) -> BrokerDatabaseContract:
    document = pact.document
    consumer = document.get("consumer")
    items = document.get("queries")
    if not isinstance(consumer, str) or not isinstance(items, list):
        raise UserInputError(
            f"broker {url}: a database contract of {database} has no consumer or queries list"
        )
    source = f"{url} {consumer} {pact.consumer_version}"
    queries = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("sql"), str):
            raise UserInputError(
                f"broker {url}: {consumer}'s database contract, query {index}: expected name and sql"
            )
        name = str(item.get("name") or f"query-{index + 1}")
        queries.append(ContractQuery(consumer, database, name, item["sql"].strip(), source))
    return BrokerDatabaseContract(consumer, pact.consumer_version, database, tuple(queries), pact)


def publish_database_verdict(
    client: BrokerClient,
    contract: BrokerDatabaseContract,
    version: str,
    errors: Mapping[str, str | None],
    blocker: str | None = None,
) -> PublishedVerdict:
    """Publish `version` of the database owner's result on `contract`: a failure when a query
    in `errors` (by name) has an error, or when `blocker` says the check itself could not be
    trusted (a migration that did not apply)."""
    failures = [f"{name}: {error}" for name, error in errors.items() if error is not None]
    missing = [q.name for q in contract.queries if q.name not in errors]
    failures += [f"{name}: not checked" for name in missing]
    if blocker:
        failures.append(blocker)
    tests = [
        {
            "interactionDescription": q.name,
            "success": q.name in errors and errors[q.name] is None and not blocker,
            **({"mismatches": [{"description": errors[q.name]}]} if errors.get(q.name) else {}),
        }
        for q in contract.queries
    ]
    success = not failures
    client.publish_result(contract.pact, contract.database, version, success, test_results=tests)
    return PublishedVerdict(
        contract.consumer,
        contract.consumer_version,
        contract.database,
        version,
        success,
        tuple(failures),
    )
