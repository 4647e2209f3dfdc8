"""The record of each catalog the server loaded: when, from where, how big, which digest.

Written on every server start; read by the dashboard to say how fresh the map is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from interlock.store.schema import catalog_loads


@dataclass(frozen=True)
class CatalogLoad:
    """One load of the catalog; `digest` is the SHA-256 of its descriptor files."""

    id: int
    loaded_at: datetime
    source_dir: str
    node_count: int
    edge_count: int
    finding_count: int
    digest: str


def record_catalog_load(
    engine: Engine,
    *,
    source_dir: str,
    node_count: int,
    edge_count: int,
    finding_count: int,
    digest: str,
    loaded_at: datetime | None = None,
) -> CatalogLoad:
    """Store one catalog load and return it with its id; `loaded_at` defaults to now (UTC)."""
    when = (loaded_at or datetime.now(UTC)).astimezone(UTC)
    values: dict[str, object] = {
        "loaded_at": when,
        "source_dir": source_dir,
        "node_count": node_count,
        "edge_count": edge_count,
        "finding_count": finding_count,
        "digest": digest,
    }
    with engine.begin() as connection:
        query = insert(catalog_loads).values(values).returning(catalog_loads.c.id)
        new_id: int = connection.execute(query).scalar_one()
    return CatalogLoad(
        id=new_id,
        loaded_at=when,
        source_dir=source_dir,
        node_count=node_count,
        edge_count=edge_count,
        finding_count=finding_count,
        digest=digest,
    )


def latest_catalog_load(engine: Engine, source_dir: str | None = None) -> CatalogLoad | None:
    """The most recent load (of `source_dir`, when given), or None if there was none."""
    query = select(catalog_loads).order_by(catalog_loads.c.id.desc()).limit(1)
    if source_dir is not None:
        query = query.where(catalog_loads.c.source_dir == source_dir)
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        return None
    loaded_at: datetime = row["loaded_at"]
    # SQLite keeps no zone: every time Interlock writes is UTC.
    if loaded_at.tzinfo is None:
        loaded_at = loaded_at.replace(tzinfo=UTC)
    return CatalogLoad(
        id=row["id"],
        loaded_at=loaded_at.astimezone(UTC),
        source_dir=row["source_dir"],
        node_count=row["node_count"],
        edge_count=row["edge_count"],
        finding_count=row["finding_count"],
        digest=row["digest"],
    )
