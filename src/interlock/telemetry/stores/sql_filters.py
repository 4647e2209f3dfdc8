"""WHERE clauses for trace search and aggregate windows, written once for both span stores.

SQLite and PostgreSQL differ only in the parameter mark, the literal for true, and how a
span attribute is read out of the JSON column; a `Dialect` says which.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from interlock.telemetry.stores.interface import TraceQuery


@dataclass(frozen=True)
class Dialect:
    mark: str  # the parameter placeholder
    true: str  # a clause that is always true
    attribute: str  # an attribute's text from `attributes`, else `resource`; two marks for its key
    attribute_key: Callable[[str], str]  # the key as the attribute expression wants it
    like_escape: str  # the ESCAPE clause LIKE needs for a backslash escape


SQLITE = Dialect(
    mark="?",
    true="1",
    attribute="CAST(COALESCE(json_extract(attributes, ?), json_extract(resource, ?)) AS TEXT)",
    attribute_key=lambda key: '$."' + key.replace('"', '""') + '"',
    like_escape=" ESCAPE '\\'",
)
POSTGRES = Dialect(
    mark="%s",
    true="TRUE",
    attribute="COALESCE(attributes ->> %s, resource ->> %s)",
    attribute_key=lambda key: key,
    like_escape="",  # backslash is PostgreSQL's default LIKE escape
)


def minute_window(
    dialect: Dialect, start_ns: int | None, end_ns: int | None
) -> tuple[str, tuple[Any, ...]]:
    """Aggregate rows (keyed by minute, in unix seconds) inside [start, end)."""
    m = dialect.mark
    clauses, params = [dialect.true], []
    if start_ns is not None:
        clauses.append(f"minute >= {m}")
        params.append(start_ns // 60_000_000_000 * 60)
    if end_ns is not None:
        clauses.append(f"minute < {m}")
        params.append(end_ns // 1_000_000_000)
    return " AND ".join(clauses), tuple(params)


def search_filter(dialect: Dialect, query: TraceQuery) -> tuple[str, tuple[Any, ...]]:
    """The spans a trace search matches: service, operation, status, duration, time, attributes."""
    m = dialect.mark
    simple = (
        (f"service = {m}", query.service),
        (f"name = {m}", query.operation),
        (f"status_code = {m}", None if query.status is None else int(query.status)),
        (
            f"duration_ns >= {m}",
            None if query.min_duration_ms is None else int(query.min_duration_ms * 1e6),
        ),
        (
            f"duration_ns <= {m}",
            None if query.max_duration_ms is None else int(query.max_duration_ms * 1e6),
        ),
        (f"start_ns >= {m}", query.start_unix_nano),
        (f"start_ns < {m}", query.end_unix_nano),
    )
    clauses: list[str] = [dialect.true]
    params: list[Any] = []
    for clause, value in simple:
        if value is not None:
            clauses.append(clause)
            params.append(value)
    for attribute in query.attributes:
        key = dialect.attribute_key(attribute.key)
        if attribute.substring:
            escaped = attribute.value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append(f"{dialect.attribute} LIKE {m}{dialect.like_escape}")
            params.extend([key, key, f"%{escaped}%"])
        else:
            clauses.append(f"{dialect.attribute} = {m}")
            params.extend([key, key, attribute.value])
    return " AND ".join(clauses), tuple(params)


def edges_query(
    dialect: Dialect, start_ns: int | None, end_ns: int | None
) -> tuple[str, tuple[Any, ...]]:
    """Edge minutes in the window, as (SQL, parameters); the histogram is the last column."""
    where, params = minute_window(dialect, start_ns, end_ns)
    sql = (
        "SELECT caller, callee, callee_kind, minute, calls, errors, histogram FROM edge_minutes "
        f"WHERE {where} ORDER BY minute, caller, callee"
    )
    return sql, params


def operations_query(
    dialect: Dialect, service: str | None, start_ns: int | None, end_ns: int | None
) -> tuple[str, tuple[Any, ...]]:
    """RED minutes in the window (of one service, or all), as (SQL, parameters)."""
    where, params = minute_window(dialect, start_ns, end_ns)
    if service is not None:
        where += f" AND service = {dialect.mark}"
        params = (*params, service)
    sql = (
        "SELECT service, operation, minute, calls, errors, total_ms, histogram "
        f"FROM operation_minutes WHERE {where} ORDER BY minute, service, operation"
    )
    return sql, params
