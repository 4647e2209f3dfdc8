"""The six broker events, made from a publication or a verification, with the values of
the `${pactbroker.*}` template variables that webhooks fill their requests with.

Events are computed inside the write's transaction and delivered after it commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, select

from interlock.broker.changes import interaction_changes
from interlock.broker.links import pact_version_url, verification_results_url
from interlock.broker.pacts import PactRecord
from interlock.broker.records import describe_version, find_pacticipant, latest_version_id
from interlock.broker.verifications import Verification
from interlock.store.broker_access_schema import broker_webhooks
from interlock.store.broker_schema import (
    broker_contents,
    broker_deployments,
    broker_publications,
    broker_verifications,
    broker_versions,
)

VARIABLE = re.compile(r"\$\{pactbroker\.([A-Za-z]+)\}")
VARIABLES = (
    "eventName",
    "pactUrl",
    "verificationResultUrl",
    "consumerName",
    "providerName",
    "consumerVersionNumber",
    "consumerVersionBranch",
    "consumerVersionTags",
    "providerVersionNumber",
    "providerVersionBranch",
    "providerVersionTags",
    "buildUrl",
    "consumerLabels",
    "providerLabels",
    "githubVerificationStatus",
    "bitbucketVerificationStatus",
    "gitlabVerificationStatus",
    "azureDevOpsVerificationStatus",
    # Interlock's own: the catalog teams of both sides (filled when the server knows its
    # catalog) and, for contract_content_changed, the interactions the new content touched
    "consumerTeams",
    "providerTeams",
    "changedInteractions",
)


@dataclass(frozen=True)
class BrokerEvent:
    """Something that happened to the pact between `consumer` and `provider`."""

    name: str
    consumer: str
    provider: str
    variables: dict[str, str] = field(default_factory=dict)


def render(template: Any, variables: dict[str, str]) -> Any:
    """The template with each `${pactbroker.name}` replaced (in strings, lists and objects)."""
    if isinstance(template, str):
        return VARIABLE.sub(lambda m: variables.get(m.group(1), ""), template)
    if isinstance(template, list):
        return [render(item, variables) for item in template]
    if isinstance(template, dict):
        return {key: render(value, variables) for key, value in template.items()}
    return template


def _statuses(state: str) -> dict[str, str]:
    # Each code host spells a pending or finished check its own way.
    github = {"pending": "pending", "success": "success", "failure": "failure"}[state]
    bitbucket = {"pending": "INPROGRESS", "success": "SUCCESSFUL", "failure": "FAILED"}[state]
    gitlab = {"pending": "running", "success": "success", "failure": "failed"}[state]
    azure = {"pending": "pending", "success": "succeeded", "failure": "failed"}[state]
    return {
        "githubVerificationStatus": github,
        "bitbucketVerificationStatus": bitbucket,
        "gitlabVerificationStatus": gitlab,
        "azureDevOpsVerificationStatus": azure,
    }


def _version_facts(connection: Connection, version_id: int, prefix: str) -> dict[str, str]:
    version = describe_version(connection, version_id)
    return {
        f"{prefix}VersionNumber": version.number,
        f"{prefix}VersionBranch": version.branches[-1] if version.branches else "",
        f"{prefix}VersionTags": ", ".join(version.tags),
    }


def _previous_content(connection: Connection, record: PactRecord) -> int | None:
    """The content the pair's latest other consumer version published, or None."""
    consumer_id = connection.execute(
        select(broker_versions.c.pacticipant_id).where(
            broker_versions.c.id == record.consumer_version_id
        )
    ).scalar_one()
    provider = find_pacticipant(connection, record.provider)
    assert provider is not None  # the publication just made it
    found = connection.execute(
        select(broker_publications.c.content_id)
        .where(
            broker_publications.c.consumer_id == consumer_id,
            broker_publications.c.provider_id == provider.id,
            broker_publications.c.consumer_version_id != record.consumer_version_id,
            broker_publications.c.specification == record.specification,
        )
        .order_by(broker_publications.c.consumer_version_id.desc())
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


def _versions_to_verify(connection: Connection, record: PactRecord) -> list[int]:
    """The provider versions that must verify this content and have not: the head of the
    provider's main branch and its deployed or released versions."""
    provider = find_pacticipant(connection, record.provider)
    if provider is None:
        return []
    candidates: list[int] = []
    if provider.main_branch:
        head = latest_version_id(connection, provider.id, branch=provider.main_branch)
        if head is not None:
            candidates.append(head)
    deployed = connection.execute(
        select(broker_deployments.c.version_id)
        .where(
            broker_deployments.c.pacticipant_id == provider.id,
            broker_deployments.c.current.is_(True),
        )
        .order_by(broker_deployments.c.version_id)
    ).scalars()
    candidates.extend(int(v) for v in deployed if int(v) not in candidates)
    verified = set(
        connection.execute(
            select(broker_verifications.c.provider_version_id).where(
                broker_verifications.c.content_id == record.content_id
            )
        ).scalars()
    )
    return [v for v in candidates if v not in verified]


def _changed_interactions(connection: Connection, previous: int | None, record: PactRecord) -> str:
    """`added: a; changed: b`: what the publication did to the pair's previous content."""
    old = "{}" if previous is None else _content_text(connection, previous)
    return interaction_changes(old, record.content, record.specification).summary()


def _content_text(connection: Connection, content_id: int) -> str:
    return str(
        connection.execute(
            select(broker_contents.c.content).where(broker_contents.c.id == content_id)
        ).scalar_one()
    )


def with_teams(
    events: Iterable[BrokerEvent], owners: Callable[[str], list[str]]
) -> list[BrokerEvent]:
    """The events with `consumerTeams` and `providerTeams` (the owning teams in the catalog,
    comma-separated) among their variables, so a webhook can address those teams."""
    return [
        replace(
            event,
            variables={
                **event.variables,
                "consumerTeams": ",".join(owners(event.consumer)),
                "providerTeams": ",".join(owners(event.provider)),
            },
        )
        for event in events
    ]


def wanted_events(connection: Connection) -> frozenset[str]:
    """The events some enabled webhook listens to: only those are worth computing."""
    rows = connection.execute(
        select(broker_webhooks.c.events).where(broker_webhooks.c.enabled.is_(True))
    ).scalars()
    return frozenset(name for events in rows for name in events)


def publication_events(
    connection: Connection, base: str, record: PactRecord, wanted: frozenset[str]
) -> list[BrokerEvent]:
    """The events of one contract publication that a webhook wants: published; content
    changed (when it differs from the pair's previous one); requiring verification (once
    per provider version that must verify it)."""
    if not wanted:
        return []
    common = {
        "pactUrl": pact_version_url(base, record.provider, record.consumer, record.sha),
        "verificationResultUrl": "",
        "consumerName": record.consumer,
        "providerName": record.provider,
        **_version_facts(connection, record.consumer_version_id, "consumer"),
        "providerVersionNumber": "",
        "providerVersionBranch": "",
        "providerVersionTags": "",
        "buildUrl": describe_version(connection, record.consumer_version_id).build_url or "",
        "consumerLabels": "",
        "providerLabels": "",
        **_statuses("pending"),
    }

    def event(name: str, **extra: str) -> BrokerEvent:
        variables = {**common, **extra, "eventName": name}
        return BrokerEvent(name, record.consumer, record.provider, variables)

    events = [event("contract_published")]
    if "contract_content_changed" in wanted:
        previous = _previous_content(connection, record)
        if previous != record.content_id:
            changed = _changed_interactions(connection, previous, record)
            events.append(event("contract_content_changed", changedInteractions=changed))
    if "contract_requiring_verification_published" not in wanted:
        return events
    for version_id in _versions_to_verify(connection, record):
        events.append(
            event(
                "contract_requiring_verification_published",
                **_version_facts(connection, version_id, "provider"),
            )
        )
    return events


def verification_events(
    connection: Connection, base: str, found: Verification, wanted: frozenset[str]
) -> list[BrokerEvent]:
    """The events of one verification result: published, and succeeded or failed."""
    if not wanted:
        return []
    provider_version_id = connection.execute(
        select(broker_verifications.c.provider_version_id).where(
            broker_verifications.c.id == found.id
        )
    ).scalar_one()
    content_id = connection.execute(
        select(broker_verifications.c.content_id).where(broker_verifications.c.id == found.id)
    ).scalar_one()
    consumer_version_id = connection.execute(
        select(broker_publications.c.consumer_version_id)
        .where(broker_publications.c.content_id == content_id)
        .order_by(broker_publications.c.consumer_version_id.desc())
        .limit(1)
    ).scalar()
    results = verification_results_url(base, found.provider, found.consumer, found.sha)
    variables = {
        "pactUrl": pact_version_url(base, found.provider, found.consumer, found.sha),
        "verificationResultUrl": f"{results}/{found.id}",
        "consumerName": found.consumer,
        "providerName": found.provider,
        "consumerVersionNumber": "",
        "consumerVersionBranch": "",
        "consumerVersionTags": "",
        **_version_facts(connection, provider_version_id, "provider"),
        "buildUrl": found.build_url or "",
        "consumerLabels": "",
        "providerLabels": "",
        **_statuses("success" if found.success else "failure"),
    }
    if consumer_version_id is not None:
        variables.update(_version_facts(connection, int(consumer_version_id), "consumer"))
    outcome = "provider_verification_succeeded" if found.success else "provider_verification_failed"
    return [
        BrokerEvent(name, found.consumer, found.provider, {**variables, "eventName": name})
        for name in ("provider_verification_published", outcome)
    ]
