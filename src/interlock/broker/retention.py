"""Retention: old versions that nothing needs are removed, with the figures of what was kept.

A version is kept when it is deployed or released now, heads a branch, is the latest with a
tag or the latest of its pacticipant, is younger than the retention period, or holds the
latest (or latest successful) verification of a contract a kept version published: the
matrix, can-i-deploy and pending status read nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select

from interlock.broker.records import now
from interlock.store.broker_schema import (
    broker_branch_versions,
    broker_contents,
    broker_deployments,
    broker_publications,
    broker_tags,
    broker_verifications,
    broker_versions,
)

_CHUNK = 500
"""Ids per DELETE: under every engine's limit on bound parameters."""


@dataclass(frozen=True)
class PruneReport:
    """What a prune found and removed (or would remove, in a dry run)."""

    versions: int
    removed_versions: int
    removed_contents: int
    removed_verifications: int
    kept_because: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "versions": self.versions,
            "removedVersions": self.removed_versions,
            "removedContents": self.removed_contents,
            "removedVerifications": self.removed_verifications,
            "keptBecause": self.kept_because,
            "dryRun": self.dry_run,
        }


def _ids(connection: Connection, query: Any) -> set[int]:
    return {int(v) for v in connection.execute(query).scalars() if v is not None}


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    items = sorted(ids)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _needed_by_matrix(connection: Connection, kept: set[int]) -> set[int]:
    """Provider versions holding the latest (or latest successful) verification of a content
    that a kept consumer version published."""
    contents: set[int] = set()
    for chunk in _chunks(kept):
        contents |= _ids(
            connection,
            select(broker_publications.c.content_id).where(
                broker_publications.c.consumer_version_id.in_(chunk)
            ),
        )
    needed: set[int] = set()
    for chunk in _chunks(contents):
        latest = select(func.max(broker_verifications.c.id)).where(
            broker_verifications.c.content_id.in_(chunk)
        )
        latest_ok = latest.where(broker_verifications.c.success.is_(True))
        for query in (latest, latest_ok):
            verification_ids = _ids(connection, query.group_by(broker_verifications.c.content_id))
            needed |= _ids(
                connection,
                select(broker_verifications.c.provider_version_id).where(
                    broker_verifications.c.id.in_(verification_ids)
                ),
            )
    return needed


def versions_to_keep(
    connection: Connection, younger_than: datetime | None
) -> tuple[set[int], dict[str, int]]:
    """The versions retention must keep, and how many each reason kept."""
    reasons = {
        "deployedOrReleased": _ids(
            connection,
            select(broker_deployments.c.version_id).where(broker_deployments.c.current.is_(True)),
        ),
        "branchHead": _ids(
            connection,
            select(func.max(broker_branch_versions.c.version_id)).group_by(
                broker_branch_versions.c.branch_id
            ),
        ),
        "latestWithTag": _ids(
            connection,
            select(func.max(broker_tags.c.version_id))
            .join(broker_versions, broker_versions.c.id == broker_tags.c.version_id)
            .group_by(broker_versions.c.pacticipant_id, broker_tags.c.name),
        ),
        "latestOfPacticipant": _ids(
            connection,
            select(func.max(broker_versions.c.id)).group_by(broker_versions.c.pacticipant_id),
        ),
        "recent": set()
        if younger_than is None
        else _ids(
            connection,
            select(broker_versions.c.id).where(broker_versions.c.created_at >= younger_than),
        ),
    }
    kept = set().union(*reasons.values())
    matrix: set[int] = set()
    while True:  # a provider version kept for the matrix may itself have published contracts
        more = _needed_by_matrix(connection, kept) - kept
        if not more:
            break
        matrix |= more
        kept |= more
    reasons["neededByMatrix"] = matrix
    return kept, {reason: len(ids) for reason, ids in reasons.items()}


def prune_versions(
    engine: Engine, older_than_days: float = 0.0, *, dry_run: bool = False
) -> PruneReport:
    """Remove the versions (with their publications, tags and verifications) that nothing
    needs, and contents no version publishes any more."""
    younger_than = now() - timedelta(days=older_than_days) if older_than_days > 0 else None
    with engine.begin() as connection:
        every = _ids(connection, select(broker_versions.c.id))
        kept, reasons = versions_to_keep(connection, younger_than)
        doomed = every - kept
        verifications = 0
        for chunk in _chunks(doomed):
            verifications += int(
                connection.execute(
                    select(func.count()).where(
                        broker_verifications.c.provider_version_id.in_(chunk)
                    )
                ).scalar_one()
            )
        still_published: set[int] = set()
        for chunk in _chunks(kept):
            still_published |= _ids(
                connection,
                select(broker_publications.c.content_id).where(
                    broker_publications.c.consumer_version_id.in_(chunk)
                ),
            )
        orphans = _ids(connection, select(broker_contents.c.id)) - still_published
        if dry_run:
            return PruneReport(len(every), len(doomed), len(orphans), verifications, reasons, True)
        for chunk in _chunks(doomed):
            connection.execute(delete(broker_versions).where(broker_versions.c.id.in_(chunk)))
        for chunk in _chunks(orphans):
            verifications += int(
                connection.execute(
                    delete(broker_verifications).where(broker_verifications.c.content_id.in_(chunk))
                ).rowcount
            )
            connection.execute(delete(broker_contents).where(broker_contents.c.id.in_(chunk)))
    return PruneReport(len(every), len(doomed), len(orphans), verifications, reasons)
