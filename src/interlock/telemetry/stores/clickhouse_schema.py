"""The ClickHouse tables: the Collector exporter's own, and Interlock's aggregates beside them.

`interlock telemetry init-store` runs `schema_statements`; a store opens only on a schema
of this version (`check_schema`), so nothing is created or changed silently at query time.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.telemetry.settings import TelemetrySettings
from interlock.telemetry.stores.clickhouse_aggregates import aggregate_views

SCHEMA_VERSION = 1
ARRIVAL = "InterlockArrival"
"""When a row arrived (ClickHouse's clock): retention counts from it, as in SQLite and PostgreSQL."""

# Column lists of the OpenTelemetry Collector ClickHouse exporter's tables (names and types
# as in its sqltemplates; tests/telemetry/fixtures/clickhouse_exporter holds the originals).
_ATTRS = "Map(LowCardinality(String), String) CODEC(ZSTD(1))"
TRACES_COLUMNS = f"""
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes {_ATTRS},
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes {_ATTRS},
    Duration UInt64 CODEC(T64, ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (Timestamp DateTime64(9), Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)) CODEC(ZSTD(1)),
    Links Nested (TraceId String, SpanId String, TraceState String,
        Attributes Map(LowCardinality(String), String)) CODEC(ZSTD(1)),
    ResourceAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2),
        CAST(ResourceAttributes, 'Array(Tuple(String, String))')),
    SpanAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2),
        CAST(SpanAttributes, 'Array(Tuple(String, String))')),
    {ARRIVAL} DateTime64(3) DEFAULT now64(3) CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1,
    INDEX idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
"""
_TRACES_LAYOUT = """
PARTITION BY toDate(Timestamp)
PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)
"""
_LOGS_COLUMNS = f"""
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimestampTime DateTime DEFAULT toDateTime(Timestamp),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    TraceFlags UInt8,
    SeverityText LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes {_ATTRS},
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes {_ATTRS},
    LogAttributes {_ATTRS},
    {ARRIVAL} DateTime64(3) DEFAULT now64(3) CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_body Body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
"""
_LOGS_LAYOUT = """
PARTITION BY toDate(TimestampTime)
PRIMARY KEY (ServiceName, TimestampTime)
ORDER BY (ServiceName, TimestampTime, Timestamp)
"""
_TRACE_ID_TS_COLUMNS = """
    TraceId String CODEC(ZSTD(1)),
    Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),
    End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))
"""
# the metrics tables, for collectors that send metrics through the same exporter
_METRIC_HEAD = f"""
    ResourceAttributes {_ATTRS}, ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)), ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes {_ATTRS}, ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)), ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName {{name}} CODEC(ZSTD(1)), MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)), Attributes {_ATTRS},
    StartTimeUnix {{time}} CODEC(Delta, ZSTD(1)), TimeUnix {{time}} CODEC(Delta, ZSTD(1)),
"""
_EXEMPLARS = """Exemplars Nested (FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix {time}, Value Float64, SpanId String, TraceId String) CODEC(ZSTD(1))"""
_METRICS: dict[str, tuple[str, str, str]] = {
    # table: (MetricName type, time type, the columns after the shared head)
    "otel_metrics_gauge": (
        "String",
        "DateTime64(9)",
        "Value Float64 CODEC(ZSTD(1)), Flags UInt32 CODEC(ZSTD(1)), " + _EXEMPLARS,
    ),
    "otel_metrics_sum": (
        "LowCardinality(String)",
        "DateTime",
        "Value Float64 CODEC(ZSTD(1)), Flags UInt32 CODEC(ZSTD(1)), "
        + _EXEMPLARS
        + ", AggregationTemporality Int32 CODEC(ZSTD(1)), IsMonotonic Boolean CODEC(Delta, ZSTD(1))",
    ),
    "otel_metrics_histogram": (
        "String",
        "DateTime64(9)",
        "Count UInt64 CODEC(Delta, ZSTD(1)), Sum Float64 CODEC(ZSTD(1)), "
        "BucketCounts Array(UInt64) CODEC(ZSTD(1)), ExplicitBounds Array(Float64) CODEC(ZSTD(1)), "
        + _EXEMPLARS
        + ", Flags UInt32 CODEC(ZSTD(1)), Min Float64 CODEC(ZSTD(1)), Max Float64 CODEC(ZSTD(1)), "
        "AggregationTemporality Int32 CODEC(ZSTD(1))",
    ),
    "otel_metrics_exponential_histogram": (
        "LowCardinality(String)",
        "DateTime",
        "Count UInt64 CODEC(Delta, ZSTD(1)), Sum Float64 CODEC(ZSTD(1)), Scale Int32 CODEC(ZSTD(1)), "
        "ZeroCount UInt64 CODEC(ZSTD(1)), PositiveOffset Int32 CODEC(ZSTD(1)), "
        "PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1)), NegativeOffset Int32 CODEC(ZSTD(1)), "
        "NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1)), "
        + _EXEMPLARS
        + ", Flags UInt32 CODEC(ZSTD(1)), Min Float64 CODEC(ZSTD(1)), Max Float64 CODEC(ZSTD(1)), "
        "AggregationTemporality Int32 CODEC(ZSTD(1))",
    ),
    "otel_metrics_summary": (
        "String",
        "DateTime64(9)",
        "Count UInt64 CODEC(Delta, ZSTD(1)), Sum Float64 CODEC(ZSTD(1)), "
        "ValueAtQuantiles Nested(Quantile Float64, Value Float64) CODEC(ZSTD(1)), "
        "Flags UInt32 CODEC(ZSTD(1))",
    ),
}


@dataclass(frozen=True)
class SchemaOptions:
    """Where and how the tables are made: plain, replicated, or replicated and sharded."""

    database: str
    cluster: str = ""  # ON CLUSTER this cluster
    replicated: bool = False  # Replicated*MergeTree (needs ClickHouse Keeper)
    distributed: bool = False  # `<table>_local` on every shard, `<table>` Distributed over them
    retention_hours: float = 72.0
    aggregate_retention_days: float = 30.0

    @classmethod
    def of(cls, database: str, settings: TelemetrySettings) -> SchemaOptions:
        return cls(
            database=database,
            cluster=settings.clickhouse_cluster,
            replicated=settings.clickhouse_replicated or settings.clickhouse_distributed,
            distributed=settings.clickhouse_distributed,
            retention_hours=settings.retention_hours,
            aggregate_retention_days=settings.aggregate_retention_days,
        )

    @property
    def on_cluster(self) -> str:
        return f" ON CLUSTER {self.cluster}" if self.cluster else ""

    def stored(self, table: str) -> str:
        """The name of the table that holds `table`'s rows on this node."""
        return f"{self.database}.{table}_local" if self.distributed else f"{self.database}.{table}"

    def engine(self, kind: str = "MergeTree") -> str:
        if not self.replicated:
            return f"{kind}()"
        return f"Replicated{kind}('/clickhouse/tables/{{shard}}/{{database}}/{{table}}', '{{replica}}')"

    def span_ttl(self) -> str:
        if self.retention_hours <= 0:
            return ""
        return f"TTL toDateTime({ARRIVAL}) + toIntervalSecond({int(self.retention_hours * 3600)})"


def table_statements(
    options: SchemaOptions, name: str, columns: str, layout: str, kind: str, ttl: str, shard: str
) -> list[str]:
    """CREATE TABLE for `name` (and, when sharded, its Distributed table over the shards)."""
    statements = [
        f"CREATE TABLE IF NOT EXISTS {options.stored(name)}{options.on_cluster} ({columns})\n"
        f"ENGINE = {options.engine(kind)}{layout}{ttl}\n"
        "SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1"
    ]
    if options.distributed:
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {options.database}.{name}{options.on_cluster} "
            f"AS {options.stored(name)} ENGINE = Distributed({options.cluster}, "
            f"{options.database}, {name}_local, {shard})"
        )
    return statements


def schema_statements(options: SchemaOptions) -> list[str]:
    """Every statement `init-store` runs, in order; each is safe to run again."""
    db, oc = options.database, options.on_cluster
    ttl = options.span_ttl()
    statements = [f"CREATE DATABASE IF NOT EXISTS {db}{oc}"]
    by_trace = "cityHash64(TraceId)"  # a trace's spans on one shard: trace by id asks one
    statements += table_statements(
        options, "otel_traces", TRACES_COLUMNS, _TRACES_LAYOUT, "MergeTree", ttl, by_trace
    )
    statements += table_statements(
        options,
        "otel_traces_trace_id_ts",
        _TRACE_ID_TS_COLUMNS,
        "\nPARTITION BY toStartOfWeek(Start)\nORDER BY (TraceId)\n",
        "AggregatingMergeTree",
        "",
        by_trace,
    )
    statements.append(
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.otel_traces_trace_id_ts_mv{oc} "
        f"TO {options.stored('otel_traces_trace_id_ts')} AS SELECT TraceId, "
        "min(Timestamp) AS Start, max(Timestamp) AS End "
        f"FROM {options.stored('otel_traces')} WHERE TraceId != '' GROUP BY TraceId"
    )
    statements += table_statements(
        options, "otel_logs", _LOGS_COLUMNS, _LOGS_LAYOUT, "MergeTree", ttl, "rand()"
    )
    for table, (name_type, time_type, tail) in _METRICS.items():
        head = _METRIC_HEAD.format(name=name_type, time=time_type)
        columns = head + tail.format(time=time_type)
        order = (
            "ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix)"
            if time_type == "DateTime64(9)"
            else "ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix"
        )
        layout = f"\nPARTITION BY toDate(TimeUnix)\nORDER BY ({order})\n"
        statements += table_statements(options, table, columns, layout, "MergeTree", "", "rand()")
    # spans that sampling does not keep go through this table to the aggregate views only
    statements.append(
        f"CREATE TABLE IF NOT EXISTS {db}.interlock_unsampled_spans{oc} "
        f"AS {options.stored('otel_traces')} ENGINE = Null"
    )
    statements += aggregate_views(options)
    statements.append(
        f"CREATE TABLE IF NOT EXISTS {db}.interlock_schema{oc} "
        f"(Version UInt32, AppliedAt DateTime DEFAULT now()) ENGINE = {options.engine()} ORDER BY Version"
    )
    return statements


def arrival_statements(options: SchemaOptions, table: str) -> list[str]:
    """Give `table` (made by the exporter itself, or before arrivals were kept) its arrival.

    The rows already there get the time of the upgrade, so they are kept one full retention
    period, as the SQLite and PostgreSQL stores do. Run only when the column is missing.
    """
    stored = f"{options.stored(table)}{options.on_cluster}"
    return [
        f"ALTER TABLE {stored} ADD COLUMN IF NOT EXISTS "
        f"{ARRIVAL} DateTime64(3) DEFAULT now64(3) CODEC(Delta, ZSTD(1))",
        f"ALTER TABLE {stored} MATERIALIZE COLUMN {ARRIVAL} SETTINGS mutations_sync = 2",
    ]


def ttl_statement(options: SchemaOptions, table: str) -> str:
    """The retention of `table` as the settings say (a TTL on arrival, or none)."""
    stored = f"{options.stored(table)}{options.on_cluster}"
    ttl = options.span_ttl()
    return f"ALTER TABLE {stored} MODIFY {ttl}" if ttl else f"ALTER TABLE {stored} REMOVE TTL"
