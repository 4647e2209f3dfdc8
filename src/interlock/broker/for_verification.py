"""Which pacts a provider version must verify: consumer version selectors, pending and WIP.

Selected publications are grouped by content, so a pact shared by many consumer versions
is verified once; each result says why it was selected and whether it is pending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from interlock.broker.errors import BrokerError, NotFoundError
from interlock.broker.links import pact_version_url
from interlock.broker.records import as_utc, find_pacticipant
from interlock.store.broker_schema import (
    broker_branch_versions,
    broker_branches,
    broker_contents,
    broker_deployments,
    broker_environments,
    broker_pacticipants,
    broker_publications,
    broker_tags,
    broker_verifications,
    broker_versions,
)

SELECTOR_KEYS = frozenset(
    {
        "mainBranch",
        "branch",
        "fallbackBranch",
        "matchingBranch",
        "deployedOrReleased",
        "deployed",
        "released",
        "environment",
        "latest",
        "consumer",
        "tag",
        "fallbackTag",
    }
)
DEFAULT_SELECTORS: tuple[dict[str, Any], ...] = ({"mainBranch": True}, {"deployedOrReleased": True})
PENDING_DOCS = "https://docs.pact.io/pending"
WIP_DOCS = "https://docs.pact.io/wip"


@dataclass
class PactToVerify:
    """One pact content to verify, the consumer versions that published it, and why."""

    consumer: str
    provider: str
    sha: str
    reasons: list[tuple[str, str]] = field(default_factory=list)
    """(selector description, consumer version number), in selection order."""
    pending: bool = False
    wip: bool = False
    notices: list[dict[str, str]] = field(default_factory=list)

    @property
    def short_description(self) -> str:
        """What selected it, as clients print it."""
        seen: list[str] = []
        for description, _number in self.reasons:
            if description not in seen:
                seen.append(description)
        return ", ".join(seen)


@dataclass(frozen=True)
class _Request:
    selectors: tuple[dict[str, Any], ...]
    include_pending: bool
    wip_since: datetime | None
    provider_branch: str | None
    provider_tags: tuple[str, ...]


def _parse(payload: Any) -> _Request:
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise BrokerError("body: expected a JSON object")
    selectors = payload.get("consumerVersionSelectors") or list(DEFAULT_SELECTORS)
    if not isinstance(selectors, list):
        raise BrokerError("body.consumerVersionSelectors: expected a list")
    for index, selector in enumerate(selectors):
        where = f"body.consumerVersionSelectors[{index}]"
        if not isinstance(selector, dict):
            raise BrokerError(f"{where}: expected an object")
        unknown = sorted(set(selector) - SELECTOR_KEYS)
        if unknown:
            raise BrokerError(f"{where}: unknown selector field {unknown[0]!r}")
        if selector.get("mainBranch") is False or selector.get("matchingBranch") is False:
            raise BrokerError(f"{where}: mainBranch and matchingBranch can only be true")
    since = payload.get("includeWipPactsSince")
    wip_since = None
    if since:
        try:
            wip_since = as_utc(datetime.fromisoformat(str(since).replace("Z", "+00:00")))
        except ValueError:
            raise BrokerError(
                f"body.includeWipPactsSince: {since!r}: expected a date (YYYY-MM-DD)"
            ) from None
    tags = payload.get("providerVersionTags") or []
    return _Request(
        tuple(selectors),
        bool(payload.get("includePendingStatus", False)),
        wip_since,
        payload.get("providerVersionBranch") or None,
        tuple(str(tag) for tag in tags),
    )


def pacts_for_verification(
    connection: Connection, provider: str, payload: Any, base: str
) -> list[PactToVerify]:
    """The pacts `provider` must verify for the request `payload` (the body clients POST)."""
    request = _parse(payload)
    found = find_pacticipant(connection, provider)
    if found is None:
        raise NotFoundError(f"no pacticipant named {provider!r}")
    provider_id = found.id
    chosen: dict[str, PactToVerify] = {}
    for selector in request.selectors:
        for row, description in _select(connection, provider_id, selector, request):
            entry = chosen.setdefault(
                row["sha"], PactToVerify(row["consumer"], provider, row["sha"])
            )
            entry.reasons.append((description, row["number"]))
    results = list(chosen.values())
    if request.include_pending:
        for entry in results:
            entry.pending = _pending(connection, provider_id, entry.sha, request)
        if request.wip_since is not None:
            results.extend(_wip(connection, provider_id, provider, request, set(chosen)))
    for entry in results:
        entry.notices = _notices(entry, base, request)
    return results


def _latest(column: Any) -> Any:
    return func.max(column)


def _publication_rows(
    connection: Connection, version_ids: list[int], provider_id: int
) -> list[Any]:
    if not version_ids:
        return []
    consumer = broker_pacticipants.alias("consumer")
    rows = connection.execute(
        select(
            consumer.c.name.label("consumer"),
            broker_versions.c.number,
            broker_contents.c.sha,
            broker_publications.c.consumer_version_id,
        )
        .join(broker_versions, broker_versions.c.id == broker_publications.c.consumer_version_id)
        .join(consumer, consumer.c.id == broker_publications.c.consumer_id)
        .join(broker_contents, broker_contents.c.id == broker_publications.c.content_id)
        .where(
            broker_publications.c.provider_id == provider_id,
            broker_publications.c.consumer_version_id.in_(version_ids),
            broker_contents.c.specification == "pact",
        )
        .order_by(consumer.c.name, broker_publications.c.consumer_version_id)
    )
    return list(rows.mappings())


def _versions_on(
    connection: Connection,
    provider_id: int,
    consumer_id: int | None,
    *,
    branch: str | None = None,
    main_branch: bool = False,
    tag: str | None = None,
    latest: bool = True,
) -> list[int]:
    """Consumer versions with a pact for the provider: on a branch (or each consumer's main
    branch) or with a tag; the latest per consumer unless `latest` is False."""
    column = broker_publications.c.consumer_version_id
    query = select(_latest(column) if latest else column).where(
        broker_publications.c.provider_id == provider_id
    )
    if consumer_id is not None:
        query = query.where(broker_publications.c.consumer_id == consumer_id)
    if branch is not None or main_branch:
        query = query.join(
            broker_branch_versions, broker_branch_versions.c.version_id == column
        ).join(broker_branches, broker_branches.c.id == broker_branch_versions.c.branch_id)
        if main_branch:
            query = query.join(
                broker_pacticipants, broker_pacticipants.c.id == broker_publications.c.consumer_id
            ).where(broker_branches.c.name == broker_pacticipants.c.main_branch)
        else:
            query = query.where(broker_branches.c.name == branch)
    if tag is not None:
        query = query.join(broker_tags, broker_tags.c.version_id == column).where(
            broker_tags.c.name == tag
        )
    if latest:
        query = query.group_by(broker_publications.c.consumer_id)
    return [int(v) for v in connection.execute(query).scalars() if v is not None]


def _deployed(
    connection: Connection,
    provider_id: int,
    consumer_id: int | None,
    kinds: tuple[str, ...],
    environment: str | None,
) -> list[int]:
    query = (
        select(broker_publications.c.consumer_version_id)
        .join(
            broker_deployments,
            broker_deployments.c.version_id == broker_publications.c.consumer_version_id,
        )
        .where(
            broker_publications.c.provider_id == provider_id,
            broker_deployments.c.current.is_(True),
            broker_deployments.c.kind.in_(kinds),
        )
        .distinct()
    )
    if consumer_id is not None:
        query = query.where(broker_publications.c.consumer_id == consumer_id)
    if environment is not None:
        query = query.join(
            broker_environments, broker_environments.c.id == broker_deployments.c.environment_id
        ).where(broker_environments.c.name == environment)
    return [int(v) for v in connection.execute(query).scalars()]


def _select(
    connection: Connection, provider_id: int, selector: dict[str, Any], request: _Request
) -> list[tuple[Any, str]]:
    consumer_name = selector.get("consumer")
    consumer_id = None
    if consumer_name:
        found = find_pacticipant(connection, str(consumer_name))
        if found is None:
            return []
        consumer_id = found.id
    of = f" of {consumer_name}" if consumer_name else ""
    latest = selector.get("latest") is not False
    environment = selector.get("environment")
    if selector.get("mainBranch"):
        ids = _versions_on(connection, provider_id, consumer_id, main_branch=True)
        description = f"latest version{of} from the main branch"
    elif selector.get("matchingBranch"):
        if not request.provider_branch:
            return []
        branch = request.provider_branch
        ids = _versions_on(connection, provider_id, consumer_id, branch=branch, latest=latest)
        description = f"latest version{of} from branch '{branch}' (matching the provider's)"
    elif selector.get("branch"):
        branch = str(selector["branch"])
        ids = _versions_on(connection, provider_id, consumer_id, branch=branch, latest=latest)
        if not ids and selector.get("fallbackBranch"):
            branch = str(selector["fallbackBranch"])
            ids = _versions_on(connection, provider_id, consumer_id, branch=branch, latest=latest)
        which = "latest version" if latest else "all versions"
        description = f"{which}{of} from branch '{branch}'"
    elif selector.get("tag"):
        tag = str(selector["tag"])
        latest = selector.get("latest") is True
        ids = _versions_on(connection, provider_id, consumer_id, tag=tag, latest=latest)
        if not ids and selector.get("fallbackTag"):
            tag = str(selector["fallbackTag"])
            ids = _versions_on(connection, provider_id, consumer_id, tag=tag, latest=latest)
        description = f"{'latest version' if latest else 'all versions'}{of} tagged '{tag}'"
    elif (
        selector.get("deployedOrReleased")
        or selector.get("deployed")
        or selector.get("released")
        or environment
    ):
        kinds: tuple[str, ...] = ("deployed", "released")
        if selector.get("deployed") and not selector.get("released"):
            kinds = ("deployed",)
        elif selector.get("released") and not selector.get("deployed"):
            kinds = ("released",)
        ids = _deployed(connection, provider_id, consumer_id, kinds, environment)
        verb = " or ".join(kinds)
        place = f" to {environment}" if environment else " to any environment"
        description = f"currently {verb}{of}{place}"
    elif selector.get("latest") is True or consumer_id is not None:
        ids = _versions_on(connection, provider_id, consumer_id)
        description = f"latest version{of}"
    else:
        raise BrokerError(
            "body.consumerVersionSelectors: a selector needs mainBranch, branch, "
            "matchingBranch, tag, deployed, released, deployedOrReleased, environment or latest"
        )
    return [(row, description) for row in _publication_rows(connection, ids, provider_id)]


def _pending(connection: Connection, provider_id: int, sha: str, request: _Request) -> bool:
    """Pending until a provider version on the branch (or with the tags) verified it."""
    query = (
        select(broker_verifications.c.id)
        .join(broker_contents, broker_contents.c.id == broker_verifications.c.content_id)
        .join(broker_versions, broker_versions.c.id == broker_verifications.c.provider_version_id)
        .where(
            broker_contents.c.sha == sha,
            broker_verifications.c.success.is_(True),
            broker_versions.c.pacticipant_id == provider_id,
        )
        .limit(1)
    )
    if request.provider_branch:
        query = (
            query.join(
                broker_branch_versions,
                broker_branch_versions.c.version_id == broker_versions.c.id,
            )
            .join(broker_branches, broker_branches.c.id == broker_branch_versions.c.branch_id)
            .where(broker_branches.c.name == request.provider_branch)
        )
    elif request.provider_tags:
        query = query.join(broker_tags, broker_tags.c.version_id == broker_versions.c.id).where(
            broker_tags.c.name.in_(request.provider_tags)
        )
    return connection.execute(query).first() is None


def _wip(
    connection: Connection, provider_id: int, provider: str, request: _Request, chosen: set[str]
) -> list[PactToVerify]:
    """Work in progress: the latest pact of each consumer branch published since the date,
    not selected already, and still pending."""
    assert request.wip_since is not None
    heads = (
        select(func.max(broker_publications.c.consumer_version_id))
        .join(
            broker_branch_versions,
            broker_branch_versions.c.version_id == broker_publications.c.consumer_version_id,
        )
        .where(broker_publications.c.provider_id == provider_id)
        .group_by(broker_branch_versions.c.branch_id)
    )
    ids = [int(v) for v in connection.execute(heads).scalars()]
    found: dict[str, PactToVerify] = {}
    for row in _publication_rows(connection, ids, provider_id):
        if row["sha"] in chosen or row["sha"] in found:
            continue
        published = connection.execute(
            select(func.max(broker_publications.c.created_at)).where(
                broker_publications.c.consumer_version_id == row["consumer_version_id"],
                broker_publications.c.provider_id == provider_id,
            )
        ).scalar_one()
        if as_utc(published) < request.wip_since.astimezone(UTC):
            continue
        if not _pending(connection, provider_id, row["sha"], request):
            continue
        entry = PactToVerify(row["consumer"], provider, row["sha"], pending=True, wip=True)
        entry.reasons.append(("work in progress", row["number"]))
        found[row["sha"]] = entry
    return list(found.values())


def _notices(entry: PactToVerify, base: str, request: _Request) -> list[dict[str, str]]:
    url = pact_version_url(base, entry.provider, entry.consumer, entry.sha)
    if entry.wip:
        versions = ", ".join(number for _d, number in entry.reasons)
        why = (
            f"The pact at {url} is being verified because it is a 'work in progress' pact "
            f"(the latest pact of a branch of {entry.consumer}, version {versions}, still "
            f"pending). Read more at {WIP_DOCS}"
        )
    else:
        criteria = "".join(f"\n    * {d} ({n})" for d, n in entry.reasons)
        why = (
            f"The pact at {url} is being verified because the pact content belongs to the "
            f"consumer version(s) matching the following criteria:{criteria}"
        )
    notices = [{"when": "before_verification", "text": why}]
    on = f" on branch '{request.provider_branch}'" if request.provider_branch else ""
    if entry.pending:
        notices.append(
            {
                "when": "before_verification",
                "text": (
                    f"This pact is in pending state for this version of {entry.provider} "
                    f"because a successful verification result for a version{on} has not yet "
                    "been published. If this verification fails, it will not cause the overall "
                    f"build to fail. Read more at {PENDING_DOCS}"
                ),
            }
        )
        failed = "Failure! This pact is in pending state, so the failure does not fail the build."
    else:
        notices.append(
            {
                "when": "before_verification",
                "text": (
                    f"This pact has been successfully verified by a version of {entry.provider}"
                    f"{on}. If this verification fails, it will fail the build."
                ),
            }
        )
        failed = "Failure! This pact is not pending: the failure fails the build."
    passed = "This pact has been verified successfully."
    notices.extend(
        [
            {"when": "after_verification:success_true_published_false", "text": passed},
            {"when": "after_verification:success_false_published_false", "text": failed},
            {
                "when": "after_verification:success_true_published_true",
                "text": f"{passed} The result was published to the broker.",
            },
            {
                "when": "after_verification:success_false_published_true",
                "text": f"{failed} The result was published to the broker.",
            },
        ]
    )
    return notices
