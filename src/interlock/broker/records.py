"""Pacticipants, their versions, branches and tags: found or created by name, read back.

Every function takes an open connection, so that one request is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from interlock.broker.errors import NotFoundError
from interlock.store.broker_schema import (
    broker_branch_versions,
    broker_branches,
    broker_pacticipants,
    broker_tags,
    broker_versions,
)

# Branch names taken as a pacticipant's main branch when none was configured (as the Pact
# Broker does by default).
MAIN_BRANCH_CANDIDATES = ("main", "master", "develop")


def now() -> datetime:
    """The current time in UTC: every time the broker stores is UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time with its zone (SQLite keeps none; every stored time is UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def rfc3339(moment: datetime | None) -> str | None:
    """A time as the Pact Broker writes it (RFC 3339, UTC)."""
    if moment is None:
        return None
    return as_utc(moment).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Pacticipant:
    """An application that consumes or provides contracts."""

    id: int
    name: str
    display_name: str | None
    main_branch: str | None
    repository_url: str | None
    created_at: datetime


@dataclass(frozen=True)
class Version:
    """One version of a pacticipant, with the branches and tags it is on."""

    id: int
    pacticipant: str
    number: str
    build_url: str | None
    created_at: datetime
    branches: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


def _insert_or_nothing(connection: Connection, table: Table, values: dict[str, Any]) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING RETURNING id` where the database speaks it, else None."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return (
            postgresql.insert(table).values(values).on_conflict_do_nothing().returning(table.c.id)
        )
    if connection.dialect.name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table).values(values).on_conflict_do_nothing().returning(table.c.id)
    return None


def get_or_create(
    connection: Connection,
    table: Table,
    key: dict[str, Any],
    extra: dict[str, Any],
    *,
    likely_new: bool = False,
) -> tuple[int, bool]:
    """The id of the row matching `key`, inserting it (with `extra`) if absent; (id, created).

    Two writers racing to create the same row both end with its one id (the loser's insert
    does nothing on the conflict; elsewhere, a savepoint takes its unique violation).
    `likely_new` tries the insert first: one round trip instead of two for a new row.
    """
    where = [table.c[name] == value for name, value in key.items()]
    statement = _insert_or_nothing(connection, table, {**key, **extra})
    if not (likely_new and statement is not None):
        found = connection.execute(select(table.c.id).where(*where)).scalar()
        if found is not None:
            return int(found), False
    if statement is not None:
        # INSERT ... ON CONFLICT DO NOTHING: no savepoint (two round trips fewer per row)
        new_id = connection.execute(statement).scalar()
        if new_id is not None:
            return int(new_id), True
        return int(connection.execute(select(table.c.id).where(*where)).scalar_one()), False
    try:
        with connection.begin_nested():
            new_id = connection.execute(
                insert(table).values({**key, **extra}).returning(table.c.id)
            ).scalar_one()
            return int(new_id), True
    except IntegrityError:
        return int(connection.execute(select(table.c.id).where(*where)).scalar_one()), False


def ensure_pacticipant(connection: Connection, name: str) -> int:
    """The id of the pacticipant called `name`, created if new."""
    pacticipant_id, _ = get_or_create(
        connection, broker_pacticipants, {"name": name}, {"created_at": now()}
    )
    return pacticipant_id


def find_pacticipant(connection: Connection, name: str) -> Pacticipant | None:
    """The pacticipant called `name`, or None."""
    row = (
        connection.execute(select(broker_pacticipants).where(broker_pacticipants.c.name == name))
        .mappings()
        .first()
    )
    if row is None:
        return None
    return Pacticipant(
        row["id"],
        row["name"],
        row["display_name"],
        row["main_branch"],
        row["repository_url"],
        as_utc(row["created_at"]),
    )


def require_pacticipant(connection: Connection, name: str) -> Pacticipant:
    """The pacticipant called `name`; `NotFoundError` if there is none."""
    found = find_pacticipant(connection, name)
    if found is None:
        raise NotFoundError(f"no pacticipant named {name!r}")
    return found


def update_pacticipant(connection: Connection, name: str, fields: dict[str, Any]) -> Pacticipant:
    """Create or update the pacticipant `name` with displayName, mainBranch, repositoryUrl."""
    pacticipant_id = ensure_pacticipant(connection, name)
    columns = {"displayName": "display_name", "mainBranch": "main_branch"}
    columns["repositoryUrl"] = "repository_url"
    values = {column: fields[key] for key, column in columns.items() if key in fields}
    if values:
        connection.execute(
            update(broker_pacticipants)
            .where(broker_pacticipants.c.id == pacticipant_id)
            .values(values)
        )
    return require_pacticipant(connection, name)


def list_pacticipants(connection: Connection) -> list[Pacticipant]:
    """Every pacticipant, by name."""
    rows = connection.execute(select(broker_pacticipants.c.name).order_by("name")).scalars()
    return [require_pacticipant(connection, name) for name in rows]


def ensure_version(
    connection: Connection, pacticipant_id: int, number: str, build_url: str | None = None
) -> int:
    """The id of version `number` of the pacticipant, created if new (with its build URL)."""
    version_id, created = get_or_create(
        connection,
        broker_versions,
        {"pacticipant_id": pacticipant_id, "number": number},
        {"build_url": build_url, "created_at": now()},
    )
    if build_url and not created:
        connection.execute(
            update(broker_versions)
            .where(broker_versions.c.id == version_id)
            .values(build_url=build_url)
        )
    return version_id


def version_id_of(connection: Connection, pacticipant: str, number: str) -> int | None:
    """The id of version `number` of the pacticipant called `pacticipant`, or None."""
    query = (
        select(broker_versions.c.id)
        .join(broker_pacticipants, broker_pacticipants.c.id == broker_versions.c.pacticipant_id)
        .where(broker_pacticipants.c.name == pacticipant, broker_versions.c.number == number)
    )
    found = connection.execute(query).scalar()
    return None if found is None else int(found)


def require_version_id(connection: Connection, pacticipant: str, number: str) -> int:
    """The id of version `number` of `pacticipant`; `NotFoundError` if it was never seen."""
    found = version_id_of(connection, pacticipant, number)
    if found is None:
        raise NotFoundError(f"no version {number!r} of pacticipant {pacticipant!r}")
    return found


def add_branch(connection: Connection, pacticipant_id: int, version_id: int, branch: str) -> None:
    """Put the version on the branch; a first `main`/`master`/`develop` becomes the main branch."""
    branch_id, _ = get_or_create(
        connection,
        broker_branches,
        {"pacticipant_id": pacticipant_id, "name": branch},
        {"created_at": now()},
    )
    get_or_create(
        connection,
        broker_branch_versions,
        {"branch_id": branch_id, "version_id": version_id},
        {"created_at": now()},
    )
    if branch in MAIN_BRANCH_CANDIDATES:
        connection.execute(
            update(broker_pacticipants)
            .where(
                broker_pacticipants.c.id == pacticipant_id,
                broker_pacticipants.c.main_branch.is_(None),
            )
            .values(main_branch=branch)
        )


def add_tag(connection: Connection, version_id: int, tag: str) -> None:
    """Tag the version (tags are the older way of marking branches and environments)."""
    get_or_create(
        connection, broker_tags, {"version_id": version_id, "name": tag}, {"created_at": now()}
    )


def remove_tag(connection: Connection, version_id: int, tag: str) -> None:
    """Remove the tag from the version; `NotFoundError` if it had none."""
    deleted = connection.execute(
        broker_tags.delete().where(
            broker_tags.c.version_id == version_id, broker_tags.c.name == tag
        )
    )
    if not deleted.rowcount:
        raise NotFoundError(f"the version has no tag {tag!r}")


def describe_version(connection: Connection, version_id: int) -> Version:
    """The version with its pacticipant, branches and tags."""
    row = (
        connection.execute(
            select(broker_versions, broker_pacticipants.c.name.label("pacticipant"))
            .join(broker_pacticipants, broker_pacticipants.c.id == broker_versions.c.pacticipant_id)
            .where(broker_versions.c.id == version_id)
        )
        .mappings()
        .one()
    )
    branches = connection.execute(
        select(broker_branches.c.name)
        .join(broker_branch_versions, broker_branch_versions.c.branch_id == broker_branches.c.id)
        .where(broker_branch_versions.c.version_id == version_id)
        .order_by(broker_branch_versions.c.id)
    ).scalars()
    tags = connection.execute(
        select(broker_tags.c.name)
        .where(broker_tags.c.version_id == version_id)
        .order_by(broker_tags.c.id)
    ).scalars()
    return Version(
        row["id"],
        row["pacticipant"],
        row["number"],
        row["build_url"],
        as_utc(row["created_at"]),
        tuple(branches),
        tuple(tags),
    )


def latest_version_id(
    connection: Connection,
    pacticipant_id: int,
    *,
    branch: str | None = None,
    tag: str | None = None,
) -> int | None:
    """The newest version of the pacticipant (on `branch`, or with `tag`), or None."""
    query = select(func.max(broker_versions.c.id)).where(
        broker_versions.c.pacticipant_id == pacticipant_id
    )
    if branch is not None:
        query = (
            query.join(
                broker_branch_versions, broker_branch_versions.c.version_id == broker_versions.c.id
            )
            .join(broker_branches, broker_branches.c.id == broker_branch_versions.c.branch_id)
            .where(broker_branches.c.name == branch)
        )
    if tag is not None:
        query = query.join(broker_tags, broker_tags.c.version_id == broker_versions.c.id).where(
            broker_tags.c.name == tag
        )
    found = connection.execute(query).scalar()
    return None if found is None else int(found)


def version_ids_on_branch(connection: Connection, pacticipant_id: int, branch: str) -> list[int]:
    """Every version of the pacticipant on `branch`, oldest first."""
    query = (
        select(broker_branch_versions.c.version_id)
        .join(broker_branches, broker_branches.c.id == broker_branch_versions.c.branch_id)
        .where(broker_branches.c.pacticipant_id == pacticipant_id, broker_branches.c.name == branch)
        .order_by(broker_branch_versions.c.version_id)
    )
    return [int(v) for v in connection.execute(query).scalars()]


def delete_branch(connection: Connection, pacticipant_id: int, branch: str) -> None:
    """Forget the branch (its versions stay); `NotFoundError` if there is none."""
    deleted = connection.execute(
        broker_branches.delete().where(
            broker_branches.c.pacticipant_id == pacticipant_id, broker_branches.c.name == branch
        )
    )
    if not deleted.rowcount:
        raise NotFoundError(f"no branch {branch!r}")
