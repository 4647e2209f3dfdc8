"""The matrix: which consumer versions' contracts were verified by which provider versions,
and the can-i-deploy answer drawn from it.

Every step is an indexed query bounded by the versions in question (a version's
publications, an environment's deployments, one content's verifications by one provider
version), so the answer costs the same with 20,000 versions as with 20.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, func, select

from interlock.broker.matrix_query import MatrixQuery, VersionSelector
from interlock.broker.records import as_utc, latest_version_id
from interlock.store.broker_schema import (
    broker_contents,
    broker_deployments,
    broker_environments,
    broker_pacticipants,
    broker_publications,
    broker_verifications,
    broker_versions,
)


@dataclass(frozen=True)
class VersionRef:
    """A pacticipant version as the matrix names it."""

    id: int
    pacticipant: str
    number: str


@dataclass(frozen=True)
class MatrixRow:
    """One consumer version's contract with one provider, and a provider version's verdict.

    `provider_version` is None when no version of the provider is where the question looks;
    `success` is None when that provider version never verified the content.
    """

    consumer: VersionRef
    provider_name: str
    provider_version: VersionRef | None
    sha: str
    specification: str
    published_at: datetime
    verification_id: int | None = None
    success: bool | None = None
    verified_at: datetime | None = None
    ignored: bool = False


@dataclass(frozen=True)
class MatrixResult:
    """The rows and the verdict: deployable (True/False) or unknown (None), with reasons."""

    rows: tuple[MatrixRow, ...]
    deployable: bool | None
    reason: str
    notices: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def counts(self) -> dict[str, int]:
        """How many counted rows succeeded, failed, or have no result."""
        counted = [row for row in self.rows if not row.ignored]
        return {
            "success": sum(1 for row in counted if row.success is True),
            "failed": sum(1 for row in counted if row.success is False),
            "unknown": sum(1 for row in counted if row.success is None),
        }


def query_matrix(connection: Connection, query: MatrixQuery) -> MatrixResult:
    """Answer `/matrix` (and so can-i-deploy): rows for the selected versions, and a verdict."""
    chosen: list[list[VersionRef]] = []
    for selector in query.selectors:
        versions = _resolve(connection, selector, query.limit)
        if not versions:
            reason = f"No version of {selector.pacticipant} matches {_describe(selector)}"
            return MatrixResult((), None, reason, (("error", reason),))
        chosen.append(versions)
    if len(query.selectors) == 1 and query.has_target:
        rows = _rows_towards_target(connection, chosen[0], query)
    elif len(query.selectors) == 1:
        rows = _all_rows(connection, chosen[0], query.limit)
    else:
        rows = _rows_between(connection, chosen)
    if query.latestby == "cvp":
        rows = _latest_per_consumer_version_and_provider(rows)
    rows = [_mark_ignored(row, query) for row in rows]
    return _verdict(rows, query)


def _describe(selector: VersionSelector) -> str:
    if selector.version:
        return f"version {selector.version}"
    if selector.branch:
        return f"the latest version on branch {selector.branch}"
    if selector.tag:
        return f"the latest version tagged {selector.tag}"
    if selector.main_branch:
        return "the latest version on its main branch"
    return "the latest version"


def _pacticipant_row(connection: Connection, name: str) -> tuple[int, str | None] | None:
    row = connection.execute(
        select(broker_pacticipants.c.id, broker_pacticipants.c.main_branch).where(
            broker_pacticipants.c.name == name
        )
    ).first()
    return None if row is None else (int(row.id), row.main_branch)


def _refs(connection: Connection, ids: Iterable[int]) -> list[VersionRef]:
    wanted = list(ids)
    if not wanted:
        return []
    rows = connection.execute(
        select(broker_versions.c.id, broker_versions.c.number, broker_pacticipants.c.name)
        .join(broker_pacticipants, broker_pacticipants.c.id == broker_versions.c.pacticipant_id)
        .where(broker_versions.c.id.in_(wanted))
        .order_by(broker_versions.c.id)
    )
    return [VersionRef(row.id, row.name, row.number) for row in rows]


def _resolve(connection: Connection, selector: VersionSelector, limit: int) -> list[VersionRef]:
    found = _pacticipant_row(connection, selector.pacticipant)
    if found is None:
        return []
    pacticipant_id, main_branch = found
    if selector.version is not None:
        query = select(broker_versions.c.id).where(
            broker_versions.c.pacticipant_id == pacticipant_id,
            broker_versions.c.number == selector.version,
        )
        return _refs(connection, connection.execute(query).scalars())
    branch = main_branch if selector.main_branch else selector.branch
    if selector.main_branch and branch is None:
        return []
    if selector.latest or branch is not None or selector.tag is not None:
        latest = latest_version_id(connection, pacticipant_id, branch=branch, tag=selector.tag)
        return _refs(connection, [] if latest is None else [latest])
    newest = (
        select(broker_versions.c.id)
        .where(broker_versions.c.pacticipant_id == pacticipant_id)
        .order_by(broker_versions.c.id.desc())
        .limit(limit)
    )
    return _refs(connection, connection.execute(newest).scalars())


def _published(connection: Connection, *conditions: object) -> list[dict[str, object]]:
    """Publications (with consumer version and content) matching `conditions`."""
    consumer = broker_pacticipants.alias("consumer")
    provider = broker_pacticipants.alias("provider")
    query = (
        select(
            broker_publications.c.consumer_version_id,
            broker_publications.c.provider_id,
            broker_publications.c.content_id,
            broker_publications.c.created_at,
            broker_versions.c.number,
            consumer.c.name.label("consumer"),
            provider.c.name.label("provider"),
            broker_contents.c.sha,
            broker_contents.c.specification,
        )
        .join(broker_versions, broker_versions.c.id == broker_publications.c.consumer_version_id)
        .join(consumer, consumer.c.id == broker_publications.c.consumer_id)
        .join(provider, provider.c.id == broker_publications.c.provider_id)
        .join(broker_contents, broker_contents.c.id == broker_publications.c.content_id)
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(broker_publications.c.consumer_version_id, provider.c.name)
    )
    return [dict(row) for row in connection.execute(query).mappings()]


def _latest_verification(
    connection: Connection, content_id: int, provider_version_id: int
) -> tuple[int, bool, datetime] | None:
    row = connection.execute(
        select(
            broker_verifications.c.id,
            broker_verifications.c.success,
            broker_verifications.c.created_at,
        )
        .where(
            broker_verifications.c.content_id == content_id,
            broker_verifications.c.provider_version_id == provider_version_id,
        )
        .order_by(broker_verifications.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (int(row.id), bool(row.success), as_utc(row.created_at))


Verdict = tuple[int, bool, datetime]


def _latest_verifications(
    connection: Connection, keys: set[tuple[int, int]]
) -> dict[tuple[int, int], Verdict]:
    """The latest verification of each (content, provider version), in two queries."""
    if not keys:
        return {}
    contents = sorted({content for content, _ in keys})
    versions = sorted({version for _, version in keys})
    latest = (
        select(func.max(broker_verifications.c.id))
        .where(
            broker_verifications.c.content_id.in_(contents),
            broker_verifications.c.provider_version_id.in_(versions),
        )
        .group_by(broker_verifications.c.content_id, broker_verifications.c.provider_version_id)
    )
    rows = connection.execute(
        select(
            broker_verifications.c.id,
            broker_verifications.c.content_id,
            broker_verifications.c.provider_version_id,
            broker_verifications.c.success,
            broker_verifications.c.created_at,
        ).where(broker_verifications.c.id.in_(latest))
    )
    return {
        (int(row.content_id), int(row.provider_version_id)): (
            int(row.id),
            bool(row.success),
            as_utc(row.created_at),
        )
        for row in rows
    }


def _rows(
    connection: Connection, pairs: Sequence[tuple[dict[str, object], VersionRef | None]]
) -> list[MatrixRow]:
    """A row for each (publication, provider version), their verdicts read in one go."""
    keys = {
        (int(publication["content_id"]), version.id)  # type: ignore[call-overload]
        for publication, version in pairs
        if version is not None
    }
    verdicts = _latest_verifications(connection, keys)
    return [_row(connection, publication, version, verdicts) for publication, version in pairs]


def _row(
    connection: Connection,
    publication: dict[str, object],
    provider_version: VersionRef | None,
    verdicts: dict[tuple[int, int], Verdict] | None = None,
) -> MatrixRow:
    consumer = VersionRef(
        int(publication["consumer_version_id"]),  # type: ignore[call-overload]
        str(publication["consumer"]),
        str(publication["number"]),
    )
    verdict = None
    if provider_version is not None:
        content_id = int(publication["content_id"])  # type: ignore[call-overload]
        if verdicts is None:
            verdict = _latest_verification(connection, content_id, provider_version.id)
        else:
            verdict = verdicts.get((content_id, provider_version.id))
    created = publication["created_at"]
    assert isinstance(created, datetime)
    return MatrixRow(
        consumer,
        str(publication["provider"]),
        provider_version,
        str(publication["sha"]),
        str(publication["specification"]),
        as_utc(created),
        None if verdict is None else verdict[0],
        None if verdict is None else verdict[1],
        None if verdict is None else verdict[2],
    )


def _target_version_ids(
    connection: Connection, pacticipant_id: int, query: MatrixQuery
) -> list[int]:
    """The versions of a pacticipant where the question looks: deployed or released in the
    environment, the latest with the tag, on the main branch, or the latest."""
    if query.environment is not None:
        rows = connection.execute(
            select(broker_deployments.c.version_id)
            .join(
                broker_environments, broker_environments.c.id == broker_deployments.c.environment_id
            )
            .where(
                broker_environments.c.name == query.environment,
                broker_deployments.c.current.is_(True),
                broker_deployments.c.pacticipant_id == pacticipant_id,
            )
            .distinct()
        )
        return sorted(int(v) for v in rows.scalars())
    if query.tag is not None:
        latest = latest_version_id(connection, pacticipant_id, tag=query.tag)
    elif query.main_branch:
        main = connection.execute(
            select(broker_pacticipants.c.main_branch).where(
                broker_pacticipants.c.id == pacticipant_id
            )
        ).scalar()
        latest = (
            None if main is None else latest_version_id(connection, pacticipant_id, branch=main)
        )
    else:
        latest = latest_version_id(connection, pacticipant_id)
    return [] if latest is None else [latest]


def _rows_towards_target(
    connection: Connection, versions: list[VersionRef], query: MatrixQuery
) -> list[MatrixRow]:
    pairs: list[tuple[dict[str, object], VersionRef | None]] = []
    for version in versions:
        # as consumer: each provider it has a contract with must be there and have verified it
        for publication in _published(
            connection, broker_publications.c.consumer_version_id == version.id
        ):
            provider_id = int(publication["provider_id"])  # type: ignore[call-overload]
            targets = _refs(connection, _target_version_ids(connection, provider_id, query))
            if not targets:
                pairs.append((publication, None))
            pairs.extend((publication, target) for target in targets)
        # as provider: each consumer version that is there must have been verified by it
        provider_id = int(
            connection.execute(
                select(broker_versions.c.pacticipant_id).where(broker_versions.c.id == version.id)
            ).scalar_one()
        )
        for publication in _consumers_at_target(connection, provider_id, query):
            pairs.append((publication, version))
    return _rows(connection, pairs)


def _consumers_at_target(
    connection: Connection, provider_id: int, query: MatrixQuery
) -> list[dict[str, object]]:
    if query.environment is not None:
        deployed = (
            select(broker_deployments.c.version_id)
            .join(
                broker_environments, broker_environments.c.id == broker_deployments.c.environment_id
            )
            .where(
                broker_environments.c.name == query.environment,
                broker_deployments.c.current.is_(True),
            )
        )
        return _published(
            connection,
            broker_publications.c.provider_id == provider_id,
            broker_publications.c.consumer_version_id.in_(deployed),
        )
    consumer_ids = connection.execute(
        select(broker_publications.c.consumer_id)
        .where(broker_publications.c.provider_id == provider_id)
        .distinct()
    ).scalars()
    wanted = [
        version_id
        for consumer_id in consumer_ids
        for version_id in _target_version_ids(connection, int(consumer_id), query)
    ]
    if not wanted:
        return []
    return _published(
        connection,
        broker_publications.c.provider_id == provider_id,
        broker_publications.c.consumer_version_id.in_(wanted),
    )


def _all_rows(connection: Connection, versions: list[VersionRef], limit: int) -> list[MatrixRow]:
    """Every verification of every contract the versions published or were asked to verify."""
    ids = [version.id for version in versions]
    pairs: list[tuple[dict[str, object], VersionRef | None]] = []
    as_consumer = _published(connection, broker_publications.c.consumer_version_id.in_(ids))
    for publication in as_consumer:
        verifiers = connection.execute(
            select(broker_verifications.c.provider_version_id)
            .where(broker_verifications.c.content_id == publication["content_id"])
            .distinct()
            .limit(limit)
        ).scalars()
        refs = _refs(connection, verifiers)
        if not refs:
            pairs.append((publication, None))
        pairs.extend((publication, ref) for ref in refs)
    rows = _rows(connection, pairs)
    verified = (
        select(broker_verifications.c.content_id)
        .where(broker_verifications.c.provider_version_id.in_(ids))
        .distinct()
    )
    as_provider = _published(connection, broker_publications.c.content_id.in_(verified))
    checked = _rows(connection, [(p, ref) for p in as_provider for ref in versions])
    rows.extend(row for row in checked if row.success is not None)
    return rows[:limit]


def _rows_between(connection: Connection, chosen: list[list[VersionRef]]) -> list[MatrixRow]:
    """Rows between the selected versions only, each selector's versions against the others'."""
    rows: list[MatrixRow] = []
    for index, consumers in enumerate(chosen):
        for other_index, providers in enumerate(chosen):
            if index == other_index or not providers:
                continue
            provider_name = providers[0].pacticipant
            publications = _published(
                connection,
                broker_publications.c.consumer_version_id.in_([c.id for c in consumers]),
                broker_publications.c.provider_id
                == select(broker_pacticipants.c.id)
                .where(broker_pacticipants.c.name == provider_name)
                .scalar_subquery(),
            )
            pairs = [
                (publication, provider) for publication in publications for provider in providers
            ]
            rows.extend(_rows(connection, pairs))
    return rows


def _latest_per_consumer_version_and_provider(rows: list[MatrixRow]) -> list[MatrixRow]:
    best: dict[tuple[int, str], MatrixRow] = {}
    order: list[tuple[int, str]] = []
    for row in rows:
        key = (row.consumer.id, row.provider_name)
        current = best.get(key)
        if current is None:
            order.append(key)
            best[key] = row
        elif _rank(row) > _rank(current):
            best[key] = row
    return [best[key] for key in order]


def _rank(row: MatrixRow) -> tuple[int, int]:
    version = row.provider_version.id if row.provider_version else -1
    return (1 if row.success is not None else 0, version)


def _mark_ignored(row: MatrixRow, query: MatrixQuery) -> MatrixRow:
    provider_number = row.provider_version.number if row.provider_version else None
    ignored = any(
        rule.covers(row.consumer.pacticipant, row.consumer.number)
        or rule.covers(row.provider_name, provider_number)
        for rule in query.ignore
    )
    if not ignored:
        return row
    return MatrixRow(
        row.consumer,
        row.provider_name,
        row.provider_version,
        row.sha,
        row.specification,
        row.published_at,
        row.verification_id,
        row.success,
        row.verified_at,
        True,
    )


def _where(query: MatrixQuery) -> str:
    if query.environment:
        return f"currently in {query.environment}"
    if query.tag:
        return f"tagged {query.tag}"
    if query.main_branch:
        return "from the main branch"
    return "(latest)"


def _verdict(rows: list[MatrixRow], query: MatrixQuery) -> MatrixResult:
    notices: list[tuple[str, str]] = []
    for row in rows:
        between = f"version {row.consumer.number} of {row.consumer.pacticipant}"
        pact = "database contract" if row.specification == "database" else "pact"
        if row.provider_version is None:
            text = (
                f"There is no verified {pact} between {between} and a version of "
                f"{row.provider_name} {_where(query)}"
            )
        else:
            other = f"version {row.provider_version.number} of {row.provider_name}"
            if row.success is True:
                text = f"The verification for the {pact} between {between} and {other} passed"
            elif row.success is False:
                text = f"The verification for the {pact} between {between} and {other} failed"
            else:
                text = f"There is no verified {pact} between {between} and {other}"
        if row.ignored:
            notices.append(("info", f"{text} (ignored)"))
        else:
            notices.append(("success" if row.success else "error", text))
    counted = [row for row in rows if not row.ignored]
    failures = [text for kind, text in notices if kind == "error"]
    if any(row.success is False for row in counted):
        deployable: bool | None = False
    elif any(row.success is None for row in counted):
        deployable = False if query.has_target else None
    else:
        deployable = True
    if deployable:
        reason = (
            "All required verification results are published and successful"
            if counted
            else "There are no missing dependencies"
        )
    else:
        reason = "; ".join(failures)
    notices.insert(0, ("success" if deployable else "error", reason))
    return MatrixResult(tuple(rows), deployable, reason, tuple(notices))


def count_versions(connection: Connection) -> int:
    """How many versions the broker holds (for the benchmark's and the dashboard's figures)."""
    return int(connection.execute(select(func.count()).select_from(broker_versions)).scalar_one())
