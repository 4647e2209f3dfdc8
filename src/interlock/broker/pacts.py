"""Contracts published to the broker, stored once per distinct content and read back whole.

A publication ties a consumer version and a provider to a content; the content's SHA-256
(of its canonical JSON) is the "pact version" that verifications are recorded against.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import Connection, func, select, update

from interlock.broker.errors import BrokerError, ConflictError, NotFoundError
from interlock.broker.records import (
    add_branch,
    add_tag,
    as_utc,
    ensure_pacticipant,
    ensure_version,
    get_or_create,
    now,
)
from interlock.store.broker_schema import (
    broker_contents,
    broker_pacticipants,
    broker_publications,
    broker_versions,
)

# "pact" is a Pact JSON file; "database" is an Interlock `*.dbcontract.yaml` (its queries).
SPECIFICATIONS = ("pact", "database")


@dataclass(frozen=True)
class PactRecord:
    """One published contract: who, which consumer version, and its content."""

    consumer: str
    provider: str
    consumer_version: str
    consumer_version_id: int
    sha: str
    specification: str
    content: str
    created_at: datetime
    content_id: int

    def document(self) -> Any:
        """The contract as data (a pact's JSON; a database contract's YAML)."""
        if self.specification == "database":
            return yaml.safe_load(self.content)
        return json.loads(self.content)


def parse_content(text: str, specification: str, where: str) -> Any:
    """The contract's data; `BrokerError` naming `where` when it is not JSON (or YAML)."""
    if specification not in SPECIFICATIONS:
        raise BrokerError(f"{where}.specification: expected one of {', '.join(SPECIFICATIONS)}")
    try:
        data = yaml.safe_load(text) if specification == "database" else json.loads(text)
    except (ValueError, yaml.YAMLError) as error:
        raise BrokerError(f"{where}: the contract is not valid: {error}") from None
    if not isinstance(data, dict):
        raise BrokerError(f"{where}: expected a JSON object")
    return data


def content_sha(data: Any) -> str:
    """SHA-256 of the canonical JSON of `data`: equal contracts, however formatted, share it."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def publish_contract(
    connection: Connection,
    *,
    consumer: str,
    provider: str,
    version: str,
    content: str,
    specification: str = "pact",
    on_conflict: str = "overwrite",
    branch: str | None = None,
    tags: tuple[str, ...] = (),
    build_url: str | None = None,
    where: str = "body",
) -> PactRecord:
    """Store a contract for `consumer` `version` with `provider`; returns it as stored.

    `on_conflict="merge"` adds the new interactions to what the version already published
    (an interaction with the same description and provider states but other content is a
    `ConflictError`); `"overwrite"` replaces it.
    """
    data = parse_content(content, specification, where)
    consumer_id = ensure_pacticipant(connection, consumer)
    provider_id = ensure_pacticipant(connection, provider)
    version_id = ensure_version(connection, consumer_id, version, build_url)
    if branch:
        add_branch(connection, consumer_id, version_id, branch)
    for tag in tags:
        add_tag(connection, version_id, tag)
    existing = connection.execute(
        select(broker_publications.c.id, broker_contents.c.content)
        .join(broker_contents, broker_contents.c.id == broker_publications.c.content_id)
        .where(
            broker_publications.c.consumer_version_id == version_id,
            broker_publications.c.provider_id == provider_id,
            broker_publications.c.specification == specification,
        )
    ).first()
    if existing is not None and on_conflict == "merge" and specification == "pact":
        data = _merged(json.loads(existing.content), data)
        content = json.dumps(data)
    content_id, sha, created = _store_content(connection, data, content, specification)
    moment = now()
    if existing is None:
        get_or_create(
            connection,
            broker_publications,
            {
                "consumer_version_id": version_id,
                "provider_id": provider_id,
                "specification": specification,
            },
            {"consumer_id": consumer_id, "content_id": content_id, "created_at": moment},
            likely_new=True,
        )
    else:
        connection.execute(
            update(broker_publications)
            .where(broker_publications.c.id == existing.id)
            .values(content_id=content_id, created_at=moment)
        )
    # the stored content's text: the first publication of equal content keeps its own form
    stored = (
        content
        if created
        else connection.execute(
            select(broker_contents.c.content).where(broker_contents.c.id == content_id)
        ).scalar_one()
    )
    return PactRecord(
        consumer, provider, version, version_id, sha, specification, stored, moment, content_id
    )


def _store_content(
    connection: Connection, data: Any, text: str, specification: str
) -> tuple[int, str, bool]:
    sha = content_sha(data)
    content_id, created = get_or_create(
        connection,
        broker_contents,
        {"sha": sha},
        {"specification": specification, "content": text, "created_at": now()},
    )
    return content_id, sha, created


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    key = "messages" if "messages" in new and "interactions" not in new else "interactions"
    merged = list(old.get(key) or [])

    def identity(item: Any) -> str:
        states = item.get("providerStates", item.get("providerState"))
        return json.dumps([item.get("description"), states], sort_keys=True)

    index = {identity(item): item for item in merged}
    for item in new.get(key) or []:
        same = index.get(identity(item))
        if same is None:
            merged.append(item)
            index[identity(item)] = item
        elif same != item:
            raise ConflictError(
                f"cannot merge: the interaction {item.get('description')!r} was already "
                "published by this version with different content"
            )
    return {**new, key: merged}


_COLUMNS = (
    broker_publications.c.consumer_version_id,
    broker_versions.c.number,
    broker_publications.c.created_at,
    broker_contents.c.id.label("content_id"),
    broker_contents.c.sha,
    broker_contents.c.specification,
    broker_contents.c.content,
)


def read_contract(
    connection: Connection,
    provider: str,
    consumer: str,
    *,
    version: str | None = None,
    sha: str | None = None,
    specification: str | None = None,
) -> PactRecord | None:
    """The contract `consumer` published for `provider`: of `version`, of content `sha`, or
    the latest (of one `specification`, when given); None if there is none."""
    consumer_row = _pacticipant_id(connection, consumer)
    provider_row = _pacticipant_id(connection, provider)
    if consumer_row is None or provider_row is None:
        return None
    query = (
        select(*_COLUMNS)
        .join(broker_versions, broker_versions.c.id == broker_publications.c.consumer_version_id)
        .join(broker_contents, broker_contents.c.id == broker_publications.c.content_id)
        .where(
            broker_publications.c.consumer_id == consumer_row,
            broker_publications.c.provider_id == provider_row,
        )
        # a version's pact before its database contract with the same provider
        .order_by(
            broker_publications.c.consumer_version_id.desc(),
            (broker_publications.c.specification != "pact"),
        )
        .limit(1)
    )
    if version is not None:
        query = query.where(broker_versions.c.number == version)
    if sha is not None:
        query = query.where(broker_contents.c.sha == sha)
    if specification is not None:
        query = query.where(broker_publications.c.specification == specification)
    row = connection.execute(query).mappings().first()
    if row is None:
        return None
    return PactRecord(
        consumer,
        provider,
        row["number"],
        row["consumer_version_id"],
        row["sha"],
        row["specification"],
        row["content"],
        as_utc(row["created_at"]),
        row["content_id"],
    )


def require_contract(
    connection: Connection,
    provider: str,
    consumer: str,
    *,
    version: str | None = None,
    sha: str | None = None,
) -> PactRecord:
    """As `read_contract`, raising `NotFoundError` when there is no such contract."""
    found = read_contract(connection, provider, consumer, version=version, sha=sha)
    if found is None:
        which = f"version {version}" if version else f"content {sha}" if sha else "any version"
        raise NotFoundError(f"no pact between {consumer!r} ({which}) and {provider!r}")
    return found


def latest_contracts_for_provider(
    connection: Connection, provider: str, specification: str | None = None
) -> list[PactRecord]:
    """The latest contract of each consumer of `provider` (of one `specification`, when
    given: a database owner asks for the database contracts alone)."""
    provider_id = _pacticipant_id(connection, provider)
    if provider_id is None:
        raise NotFoundError(f"no pacticipant named {provider!r}")
    latest = (
        select(func.max(broker_publications.c.consumer_version_id))
        .where(broker_publications.c.provider_id == provider_id)
        .group_by(broker_publications.c.consumer_id)
    )
    if specification is not None:
        latest = latest.where(broker_publications.c.specification == specification)
    rows = connection.execute(
        select(broker_pacticipants.c.name)
        .join(broker_versions, broker_versions.c.pacticipant_id == broker_pacticipants.c.id)
        .where(broker_versions.c.id.in_(latest))
        .order_by(broker_pacticipants.c.name)
    ).scalars()
    found = [
        read_contract(connection, provider, consumer, specification=specification)
        for consumer in rows
    ]
    return [record for record in found if record is not None]


def _pacticipant_id(connection: Connection, name: str) -> int | None:
    found = connection.execute(
        select(broker_pacticipants.c.id).where(broker_pacticipants.c.name == name)
    ).scalar()
    return None if found is None else int(found)
