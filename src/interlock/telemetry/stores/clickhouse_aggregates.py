"""Interlock's aggregates inside ClickHouse: materialized views over the exporter's spans.

RED per operation and minute, the two halves of every call (paired when read, so a callee
that arrives before its caller is still matched), and SQL statements per service and shape.
The same rules as `intake/aggregates.py`, written in ClickHouse SQL; a test holds them equal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from interlock.telemetry.intake.aggregates import LATENCY_BUCKETS_MS

if TYPE_CHECKING:
    from interlock.telemetry.stores.clickhouse_schema import SchemaOptions

# the exporter wrote "SPAN_KIND_CLIENT"/"STATUS_CODE_ERROR" before v0.90 and "Client"/"Error"
# since; both are read
KIND_NAMES = {
    0: ("Unspecified", "SPAN_KIND_UNSPECIFIED"),
    1: ("Internal", "SPAN_KIND_INTERNAL"),
    2: ("Server", "SPAN_KIND_SERVER"),
    3: ("Client", "SPAN_KIND_CLIENT"),
    4: ("Producer", "SPAN_KIND_PRODUCER"),
    5: ("Consumer", "SPAN_KIND_CONSUMER"),
}
STATUS_NAMES = {
    0: ("Unset", "STATUS_CODE_UNSET"),
    1: ("Ok", "STATUS_CODE_OK"),
    2: ("Error", "STATUS_CODE_ERROR"),
}


def kind_in(*kinds: int) -> str:
    names = ", ".join(f"'{name}'" for k in kinds for name in KIND_NAMES[k])
    return f"SpanKind IN ({names})"


IS_ERROR = "StatusCode IN ('Error', 'STATUS_CODE_ERROR')"
BUCKETS = "[" + ", ".join(f"{b:g}." for b in LATENCY_BUCKETS_MS) + "]"
SLOTS = len(LATENCY_BUCKETS_MS) + 1
_MS = "(Duration / 1000000.)"
_MINUTE = "toUInt32(intDiv(toUnixTimestamp64Nano(Timestamp), 60000000000) * 60)"


def bucket_of(ms: str) -> str:
    """The histogram slot of `ms`, as `aggregates.bucket_of` (bisect_left over the bounds)."""
    return f"if(arrayFirstIndex(b -> b >= {ms}, {BUCKETS}) = 0, {SLOTS - 1}, arrayFirstIndex(b -> b >= {ms}, {BUCKETS}) - 1)"


def one_hot(ms: str) -> str:
    return f"arrayMap(i -> toUInt64(i = {bucket_of(ms)}), range({SLOTS}))"


def _first(*keys: str, otherwise: str = "''") -> str:
    """The first non-empty span attribute of `keys` (as `aggregates._first`)."""
    values = ", ".join(f"SpanAttributes['{k}']" for k in keys)
    return f"arrayFirst(x -> x != '', [{values}, {otherwise}])"


_DB_SYSTEM = _first("db.system.name", "db.system")
_DB_NAME = _first(
    "peer.service",
    "db.namespace",
    "db.name",
    "server.address",
    "net.peer.name",
    otherwise=_DB_SYSTEM,
)
_QUEUE = (
    "if(SpanAttributes['messaging.system'] != '', "
    + _first(
        "peer.service",
        "messaging.destination.name",
        "messaging.destination",
        otherwise="SpanAttributes['messaging.system']",
    )
    + ", '')"
)
_PEER = _first("peer.service", "server.address", "net.peer.name", "http.host")
_IS_DB = f"({kind_in(3)} AND {_DB_SYSTEM} != '')"
_STATEMENT = _first("db.query.text", "db.statement")

_OPERATIONS_COLUMNS = """
    Minute UInt32, ServiceName LowCardinality(String), SpanName LowCardinality(String),
    Calls SimpleAggregateFunction(sum, UInt64), Errors SimpleAggregateFunction(sum, UInt64),
    TotalMs SimpleAggregateFunction(sum, Float64),
    Histogram AggregateFunction(sumForEach, Array(UInt64))
"""
_CALLS_COLUMNS = """
    Minute UInt32, CallId String,  -- trace id and the caller span id
    Caller SimpleAggregateFunction(max, String), CallerMinute SimpleAggregateFunction(max, UInt32),
    Ms SimpleAggregateFunction(max, Float64), CallerError SimpleAggregateFunction(max, UInt8),
    Target SimpleAggregateFunction(max, String), TargetKind SimpleAggregateFunction(max, String),
    Direct SimpleAggregateFunction(max, UInt8),
    Callee SimpleAggregateFunction(max, String), CalleeError SimpleAggregateFunction(max, UInt8)
"""
_SHAPES_COLUMNS = """
    ServiceName LowCardinality(String), Shape String,
    DbSystem SimpleAggregateFunction(any, String), DbName SimpleAggregateFunction(any, String),
    Example SimpleAggregateFunction(any, String), Count SimpleAggregateFunction(sum, UInt64),
    FirstSeen SimpleAggregateFunction(min, Int64), LastSeen SimpleAggregateFunction(max, Int64)
"""

_OPERATIONS_SELECT = f"""
SELECT {_MINUTE} AS Minute, ServiceName, SpanName, count() AS Calls,
    countIf({IS_ERROR}) AS Errors, sum({_MS}) AS TotalMs,
    sumForEachState({one_hot(_MS)}) AS Histogram
FROM {{source}} GROUP BY Minute, ServiceName, SpanName
"""
# one row per CLIENT/PRODUCER span (its half of the call) and per SERVER/CONSUMER span with a
# parent (the other half, keyed by the parent's id); a database call needs no other half
_CALLER_SELECT = f"""
SELECT {_MINUTE} AS Minute, concat(TraceId, SpanId) AS CallId, toString(ServiceName) AS Caller,
    {_MINUTE} AS CallerMinute, {_MS} AS Ms, toUInt8({IS_ERROR}) AS CallerError,
    if({_IS_DB}, {_DB_NAME}, if({_QUEUE} != '', {_QUEUE}, {_PEER})) AS Target,
    if({_IS_DB}, 'database', if({_QUEUE} != '', 'queue', 'service')) AS TargetKind,
    toUInt8({_IS_DB}) AS Direct, '' AS Callee, toUInt8(0) AS CalleeError
FROM {{source}} WHERE {kind_in(3, 4)}
"""
_CALLEE_SELECT = f"""
SELECT {_MINUTE} AS Minute, concat(TraceId, ParentSpanId) AS CallId, '' AS Caller, toUInt32(0) AS CallerMinute,
    0. AS Ms, toUInt8(0) AS CallerError, '' AS Target, '' AS TargetKind, toUInt8(0) AS Direct,
    toString(ServiceName) AS Callee, toUInt8({IS_ERROR}) AS CalleeError
FROM {{source}} WHERE {kind_in(2, 5)} AND ParentSpanId != ''
"""
_SHAPES_SELECT = f"""
SELECT ServiceName, normalizeQuery({_STATEMENT}) AS Shape, any({_DB_SYSTEM}) AS DbSystem,
    any(if({_DB_SYSTEM} = '', '', {_DB_NAME})) AS DbName, any({_STATEMENT}) AS Example,
    count() AS Count, min(toUnixTimestamp64Nano(Timestamp)) AS FirstSeen,
    max(toUnixTimestamp64Nano(Timestamp)) AS LastSeen
FROM {{source}} WHERE {_STATEMENT} != '' GROUP BY ServiceName, Shape
"""


def aggregate_views(options: SchemaOptions) -> list[str]:
    """The aggregate tables and the views that fill them from stored and unsampled spans."""
    from interlock.telemetry.stores.clickhouse_schema import table_statements

    db, oc = options.database, options.on_cluster
    keep = ""
    if options.aggregate_retention_days > 0:
        keep = f"TTL toDateTime(Minute) + toIntervalSecond({int(options.aggregate_retention_days * 86400)})"
    statements = table_statements(
        options,
        "interlock_operation_minutes",
        _OPERATIONS_COLUMNS,
        "\nPARTITION BY toDate(toDateTime(Minute))\nORDER BY (Minute, ServiceName, SpanName)\n",
        "AggregatingMergeTree",
        keep,
        "cityHash64(ServiceName)",
    )
    statements += table_statements(
        options,
        "interlock_calls",
        _CALLS_COLUMNS,
        "\nPARTITION BY toDate(toDateTime(Minute))\nORDER BY (Minute, CallId)\n",
        "AggregatingMergeTree",
        keep,
        "rand()",
    )
    statements += table_statements(
        options,
        "interlock_query_shapes",
        _SHAPES_COLUMNS,
        "\nORDER BY (ServiceName, Shape)\n",
        "AggregatingMergeTree",
        "",
        "cityHash64(ServiceName)",
    )
    views = (
        ("operations", "interlock_operation_minutes", _OPERATIONS_SELECT),
        ("callers", "interlock_calls", _CALLER_SELECT),
        ("callees", "interlock_calls", _CALLEE_SELECT),
        ("shapes", "interlock_query_shapes", _SHAPES_SELECT),
    )
    for source, prefix in (
        (options.stored("otel_traces"), "interlock"),
        (f"{db}.interlock_unsampled_spans", "interlock_unsampled"),
    ):
        for name, target, select in views:
            statements.append(
                f"CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{prefix}_{name}_mv{oc} "
                f"TO {options.stored(target)} AS {select.format(source=source)}"
            )
    return statements


def edges_sql(database: str, start_ns: int | None, end_ns: int | None, slack_s: int) -> str:
    """Edge minutes in [start, end), as `sql_filters.edges_query` selects them.

    The halves of a call are paired here: the window is widened by `slack_s` for callee
    halves that started a little before or after their caller.
    """
    scan, keep = ["1"], ["Caller != ''"]
    if start_ns is not None:
        first = start_ns // 60_000_000_000 * 60
        scan.append(f"Minute >= {first - slack_s}")
        keep.append(f"CallerMinute >= {first}")
    if end_ns is not None:
        last = end_ns // 1_000_000_000
        scan.append(f"Minute < {last + slack_s}")
        keep.append(f"CallerMinute < {last}")
    return f"""
SELECT Caller, callee, kind, CallerMinute, count(), sum(error), sumForEach({one_hot("Ms")})
FROM (
    SELECT CallId, max(Caller) AS Caller, max(CallerMinute) AS CallerMinute, max(Ms) AS Ms,
        max(CallerError) AS CallerError, max(Target) AS Target, max(TargetKind) AS TargetKind,
        max(Direct) AS Direct, max(Callee) AS Callee, max(CalleeError) AS CalleeError
    FROM {database}.interlock_calls WHERE {" AND ".join(scan)} GROUP BY CallId
)
ARRAY JOIN [multiIf(Direct = 1, Target, Callee != '', Callee, Target)] AS callee,
    [multiIf(Direct = 1, 'database', Callee != '', 'service', TargetKind)] AS kind,
    [if(Direct = 0 AND Callee != '', CallerError OR CalleeError, CallerError)] AS error
WHERE {" AND ".join(keep)}
    AND (Direct = 1 OR (Callee != '' AND Callee != Caller) OR (Callee = '' AND Target != ''))
GROUP BY Caller, callee, kind, CallerMinute
ORDER BY CallerMinute, Caller, callee
"""


def operations_sql(
    database: str, service_literal: str | None, start_ns: int | None, end_ns: int | None
) -> str:
    """RED minutes in [start, end) of one service or all, as `sql_filters.operations_query`."""
    where = ["1"]
    if start_ns is not None:
        where.append(f"Minute >= {start_ns // 60_000_000_000 * 60}")
    if end_ns is not None:
        where.append(f"Minute < {end_ns // 1_000_000_000}")
    if service_literal is not None:
        where.append(f"ServiceName = {service_literal}")
    return f"""
SELECT ServiceName, SpanName, Minute, sum(Calls), sum(Errors), sum(TotalMs), sumForEachMerge(Histogram)
FROM {database}.interlock_operation_minutes WHERE {" AND ".join(where)}
GROUP BY ServiceName, SpanName, Minute ORDER BY Minute, ServiceName, SpanName
"""


def shapes_sql(database: str, service_literal: str | None) -> str:
    """Statement shapes per service with an example each, for `fingerprint_sql` to name."""
    where = "1" if service_literal is None else f"ServiceName = {service_literal}"
    return f"""
SELECT ServiceName, Shape, any(DbSystem), any(DbName), any(Example), sum(Count), min(FirstSeen),
    max(LastSeen)
FROM {database}.interlock_query_shapes WHERE {where} GROUP BY ServiceName, Shape
"""
