"""Contract changes: each publication whose content differs from the pair's previous one,
with the interactions (or database queries) it added, removed or changed, and the teams
that own both sides in the catalog, for the webhooks and the dashboard.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, and_, func, select

from interlock.broker.records import as_utc, rfc3339
from interlock.catalog import CatalogGraph, EdgeKind, NodeKind, node_id
from interlock.store.broker_schema import (
    broker_contents,
    broker_pacticipants,
    broker_publications,
    broker_versions,
)

Owners = Callable[[str], list[str]]
"""The teams that own a pacticipant (a service, or a database through its owning service)."""

DEFAULT_LIMIT = 50


def no_owners(_name: str) -> list[str]:
    """Owners when no catalog is known."""
    return []


@dataclass(frozen=True)
class InteractionChanges:
    """What a new content did to the previous one, by interaction (or query) name."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    def names(self) -> list[str]:
        """Every affected interaction, in the order added, removed, changed."""
        return [*self.added, *self.removed, *self.changed]

    def summary(self) -> str:
        """One line: `removed: a; changed: b` (empty parts left out)."""
        parts = (("added", self.added), ("removed", self.removed), ("changed", self.changed))
        return "; ".join(f"{what}: {', '.join(names)}" for what, names in parts if names)

    def to_json(self) -> dict[str, list[str]]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": list(self.changed),
        }


@dataclass(frozen=True)
class ContractChange:
    """One publication that changed the content of a consumer-provider pair's contract."""

    consumer: str
    provider: str
    specification: str
    consumer_version: str
    previous_version: str
    sha: str
    previous_sha: str
    published_at: datetime
    interactions: InteractionChanges
    consumer_teams: tuple[str, ...] = ()
    provider_teams: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "consumer": self.consumer,
            "provider": self.provider,
            "specification": self.specification,
            "consumerVersion": self.consumer_version,
            "previousConsumerVersion": self.previous_version,
            "sha": self.sha,
            "previousSha": self.previous_sha,
            "publishedAt": rfc3339(self.published_at),
            "interactions": self.interactions.to_json(),
            "consumerTeams": list(self.consumer_teams),
            "providerTeams": list(self.provider_teams),
        }


def _keyed(document: Any, specification: str) -> dict[str, str]:
    """Each interaction (or query) by its name, with its canonical JSON."""
    if not isinstance(document, dict):
        return {}
    database = specification == "database"
    items = document.get("queries" if database else "interactions") or []
    found: dict[str, str] = {}
    for item in items:
        if isinstance(item, dict):
            name = str(item.get("name", "")) if database else _interaction_name(item)
            found[name] = json.dumps(item, sort_keys=True, default=str)
    return found


def _interaction_name(interaction: dict[str, Any]) -> str:
    # Pact identifies an interaction by its description and provider states
    states = interaction.get("providerStates") or []
    names = [s.get("name", "") for s in states if isinstance(s, dict)]
    if not names and interaction.get("providerState"):
        names = [str(interaction["providerState"])]
    description = str(interaction.get("description", ""))
    return f"{description} (given {', '.join(names)})" if names else description


def _document(text: str, specification: str) -> Any:
    try:
        return yaml.safe_load(text) if specification == "database" else json.loads(text)
    except (ValueError, yaml.YAMLError):
        return None  # stored contents were parsed on the way in; this is only defensive


def interaction_changes(old: str, new: str, specification: str) -> InteractionChanges:
    """The interactions `new` added, removed or changed against `old` (contents as stored)."""
    before = _keyed(_document(old, specification), specification)
    after = _keyed(_document(new, specification), specification)
    return InteractionChanges(
        tuple(name for name in after if name not in before),
        tuple(name for name in before if name not in after),
        tuple(name for name in after if name in before and before[name] != after[name]),
    )


def contract_changes(
    connection: Connection,
    *,
    consumer: str | None = None,
    provider: str | None = None,
    owners: Owners = no_owners,
    limit: int = DEFAULT_LIMIT,
) -> list[ContractChange]:
    """The latest content changes (newest first), of one pair or of every pair."""
    pub = broker_publications
    pair = (pub.c.consumer_id, pub.c.provider_id, pub.c.specification)
    history = select(
        pub.c.id,
        pub.c.consumer_id,
        pub.c.provider_id,
        pub.c.specification,
        pub.c.content_id,
        pub.c.consumer_version_id,
        pub.c.created_at,
        func.lag(pub.c.content_id)
        .over(partition_by=pair, order_by=pub.c.consumer_version_id)
        .label("previous_content_id"),
        func.lag(pub.c.consumer_version_id)
        .over(partition_by=pair, order_by=pub.c.consumer_version_id)
        .label("previous_version_id"),
    )
    for name, column in ((consumer, pub.c.consumer_id), (provider, pub.c.provider_id)):
        if name is not None:
            pid = select(broker_pacticipants.c.id).where(broker_pacticipants.c.name == name)
            history = history.where(column == pid.scalar_subquery())
    rows = history.subquery()
    consumers, providers = broker_pacticipants.alias(), broker_pacticipants.alias()
    versions, previous_versions = broker_versions.alias(), broker_versions.alias()
    contents, previous_contents = broker_contents.alias(), broker_contents.alias()
    query = (
        select(
            consumers.c.name.label("consumer"),
            providers.c.name.label("provider"),
            rows.c.specification,
            versions.c.number.label("version"),
            previous_versions.c.number.label("previous_version"),
            contents.c.sha,
            contents.c.content,
            previous_contents.c.sha.label("previous_sha"),
            previous_contents.c.content.label("previous_content"),
            rows.c.created_at,
        )
        .join(consumers, consumers.c.id == rows.c.consumer_id)
        .join(providers, providers.c.id == rows.c.provider_id)
        .join(versions, versions.c.id == rows.c.consumer_version_id)
        .join(previous_versions, previous_versions.c.id == rows.c.previous_version_id)
        .join(contents, contents.c.id == rows.c.content_id)
        .join(previous_contents, previous_contents.c.id == rows.c.previous_content_id)
        .where(
            and_(
                rows.c.previous_content_id.is_not(None),
                rows.c.previous_content_id != rows.c.content_id,
            )
        )
        .order_by(rows.c.created_at.desc(), rows.c.id.desc())
        .limit(limit)
    )
    return [
        ContractChange(
            row.consumer,
            row.provider,
            row.specification,
            row.version,
            row.previous_version,
            row.sha,
            row.previous_sha,
            as_utc(row.created_at),
            interaction_changes(row.previous_content, row.content, row.specification),
            tuple(owners(row.consumer)),
            tuple(owners(row.provider)),
        )
        for row in connection.execute(query)
    ]


def catalog_owners(graph: CatalogGraph) -> Owners:
    """Owners read from the catalog: a service's teams (found by its catalog or Pact name),
    a database's teams or those of the services that own it."""
    by_pact_name = {
        str(node.attrs.get("pact_name") or node.name): node.id
        for node in graph.nodes(NodeKind.SERVICE)
    }

    def teams_of(key: str) -> set[str]:
        return {graph.node(e.target).name for e in graph.out_edges(key, EdgeKind.OWNED_BY)}

    def owners(name: str) -> list[str]:
        service = by_pact_name.get(name, node_id(NodeKind.SERVICE, name))
        if service in graph:
            return sorted(teams_of(service))
        database = node_id(NodeKind.DATABASE, name)
        if database not in graph:
            return []
        found = teams_of(database)
        for edge in graph.in_edges(database, EdgeKind.OWNS):
            found |= teams_of(edge.source)
        return sorted(found)

    return owners


def contract_changes_view(
    engine: Engine,
    *,
    consumer: str | None = None,
    provider: str | None = None,
    owners: Owners | None = None,
    limit: int = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """The `/contracts/changes` page's data (and its JSON twin): the latest content changes,
    each with its affected interactions and the teams to tell."""
    with engine.connect() as connection:
        found = contract_changes(
            connection,
            consumer=consumer,
            provider=provider,
            owners=owners or no_owners,
            limit=limit,
        )
    return {
        "consumer": consumer,
        "provider": provider,
        "changes": [change.to_json() for change in found],
    }
