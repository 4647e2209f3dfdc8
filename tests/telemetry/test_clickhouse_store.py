"""The ClickHouse store's own matters: the exporter's schema, init-store, aggregates as views."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from interlock.cli.main import app
from interlock.errors import UserInputError
from interlock.telemetry import Span, SpanKind, SQLiteSpanStore, StatusCode, TelemetrySettings
from interlock.telemetry.stores.clickhouse import ClickHouseSpanStore
from interlock.telemetry.stores.clickhouse_connection import connect, parse_location
from interlock.telemetry.stores.clickhouse_init import init_store
from interlock.telemetry.stores.clickhouse_schema import SchemaOptions, schema_statements

FIXTURES = Path(__file__).parent / "fixtures" / "clickhouse_exporter"
EXPORTER_TABLES = {
    "traces_table.sql": "otel_traces",
    "traces_id_ts_lookup_table.sql": "otel_traces_trace_id_ts",
    "logs_table.sql": "otel_logs",
    "metrics_gauge_table.sql": "otel_metrics_gauge",
    "metrics_sum_table.sql": "otel_metrics_sum",
    "metrics_histogram_table.sql": "otel_metrics_histogram",
    "metrics_exp_histogram_table.sql": "otel_metrics_exponential_histogram",
    "metrics_summary_table.sql": "otel_metrics_summary",
}


def _exporter_ddl(file: str, database: str) -> str:
    """The exporter's template made runnable: its own names, no cluster, no TTL."""
    text = (FIXTURES / file).read_text()
    text = re.sub(r"\{\{- if .*?\}\}.*?\{\{- else\}\}(.*?)\{\{- end\}\}", r"\1", text, flags=re.S)
    table = EXPORTER_TABLES[file]
    engine = "AggregatingMergeTree()" if "trace_id_ts" in table else "MergeTree()"
    text = text.replace("{{ident .Database}}.{{ident .TableName}}", f"{database}.{table}")
    text = text.replace('"%s"."%s"', f"{database}.{table}", 1)
    text = text.replace("{{.ClusterString}}", "").replace("{{.Engine}}", engine)
    text = text.replace("{{.TTL}}", "").replace("ENGINE = %s", f"ENGINE = {engine}")
    return text.replace("%s", "")


def _columns(conn: Any, database: str, table: str) -> list[tuple[str, str]]:
    return [
        (name, kind)
        for name, kind in conn.rows(
            f"SELECT name, type FROM system.columns WHERE database = '{database}' "
            f"AND table = '{table}' ORDER BY position"
        )
        if name != "InterlockArrival"  # Interlock's one addition: retention from arrival
    ]


def test_tables_have_the_exporters_column_names_and_types(clickhouse_url: str) -> None:
    """Every exporter table init-store makes matches the exporter's own DDL, column by column."""
    init_store(clickhouse_url)
    conn = connect(parse_location(clickhouse_url))
    ours = conn.location.database
    theirs = f"{ours}_exporter"
    conn.command(f"CREATE DATABASE {theirs}")
    for file in EXPORTER_TABLES:
        conn.command(_exporter_ddl(file, theirs))
    for table in EXPORTER_TABLES.values():
        expected = _columns(conn, theirs, table)
        assert expected, table
        assert expected == _columns(conn, ours, table), table


def test_spans_the_exporter_writes_are_read_back(clickhouse_url: str) -> None:
    """A row in the exporter's own insert form (old SPAN_KIND_* names) is a span to Interlock."""
    init_store(clickhouse_url)
    conn = connect(parse_location(clickhouse_url))
    columns = (FIXTURES / "traces_insert.sql").read_text().split("(")[1].split(")")[0]
    conn.command(
        f"INSERT INTO {conn.location.database}.otel_traces ({columns}) VALUES "
        "(now64(9) - INTERVAL 1 HOUR, 'ab' || repeat('0', 30), '00000000000000aa', '', '', "
        "'GET /x', 'SPAN_KIND_SERVER', 'gateway', {'host.name': 'h1'}, 'scope', '1.0', "
        "{'http.route': '/x'}, 5000000, 'STATUS_CODE_ERROR', 'boom', [], [], [], [], [], [], [])"
    )
    store = ClickHouseSpanStore(clickhouse_url)
    try:
        [span] = store.get_trace("ab" + "0" * 30)
        [red] = store.operations("gateway")
    finally:
        store.close()
    assert (SpanKind.SERVER, StatusCode.ERROR, 5.0, {"http.route": "/x"}) == (
        span.kind,
        span.status_code,
        span.duration_ms,
        span.attributes,
    )
    assert (1, 1) == (red.calls, red.errors)


def test_store_refuses_a_database_without_the_schema(clickhouse_url: str) -> None:
    """Nothing is created at query time: the message names the command that creates it."""
    with pytest.raises(UserInputError, match="interlock telemetry init-store"):
        ClickHouseSpanStore(clickhouse_url)


def test_init_store_command_creates_then_upgrades_nothing(clickhouse_url: str) -> None:
    """`interlock telemetry init-store` makes schema version 1; a second run keeps it."""
    runner = CliRunner()
    first = runner.invoke(
        app, ["telemetry", "init-store", "--span-store", clickhouse_url, "-f", "json"]
    )
    second = runner.invoke(app, ["telemetry", "init-store", "--span-store", clickhouse_url])
    assert 0 == first.exit_code, first.output
    assert '"previous_version": 0' in first.output and '"version": 1' in first.output
    assert 0 == second.exit_code and "(was version 1;" in second.output


def test_init_store_command_refuses_a_url_that_is_not_clickhouse() -> None:
    """A wrong URL is one line and exit 2."""
    interlock = Path(sys.executable).parent / "interlock"
    result = subprocess.run(
        [str(interlock), "telemetry", "init-store", "--span-store", "mysql://x/y"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 2 == result.returncode
    assert 1 == len(result.stderr.strip().splitlines())
    assert "expected a span store URL" in result.stderr


def test_cluster_ddl_is_on_cluster_replicated_and_distributed() -> None:
    """The cluster variants: ON CLUSTER, Replicated engines, local tables behind Distributed ones."""
    options = SchemaOptions("otel", cluster="main", replicated=True, distributed=True)
    ddl = "\n".join(schema_statements(options))
    assert "CREATE TABLE IF NOT EXISTS otel.otel_traces_local ON CLUSTER main" in ddl
    assert "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}'" in ddl
    assert "ENGINE = Distributed(main, otel, otel_traces_local, cityHash64(TraceId))" in ddl
    assert "TO otel.interlock_calls_local AS" in ddl and "FROM otel.otel_traces_local" in ddl
    assert "TTL toDateTime(InterlockArrival) + toIntervalSecond(259200)" in ddl
    assert "PARTITION BY toDate(Timestamp)" in ddl
    plain = "\n".join(schema_statements(SchemaOptions("otel")))
    assert "ON CLUSTER" not in plain and "Replicated" not in plain and "Distributed" not in plain


T0 = (time.time_ns() // 60_000_000_000 - 30) * 60_000_000_000


def _span(rng: random.Random, trace: tuple[str, int], number: int, service: str, kind: SpanKind,
          parent: str | None, **attributes: Any) -> Span:  # fmt: skip
    tid, start = trace
    duration = rng.choice([0, 1, 2, 3, 7, 30, 120, 900, 4000, 20000]) * 1_000_000
    return Span(
        tid, f"{tid[:8]}{number:08x}", parent, rng.choice(["GET /a", "POST /b"]), kind, start,
        start + duration, service, StatusCode.ERROR if rng.random() < 0.2 else StatusCode.UNSET,
        attributes=attributes,
    )  # fmt: skip


def _random_traces(seed: int, count: int) -> list[Span]:
    """Traces across services with calls, databases, queues, peers, errors and all latencies."""
    rng = random.Random(seed)
    services = ["gateway", "orders", "payments", "inventory"]
    spans: list[Span] = []
    for _ in range(count):
        trace = (f"{rng.getrandbits(128):032x}", T0 + rng.randrange(0, 20 * 60_000) * 1_000_000)
        caller, callee = rng.sample(services, 2)
        root = _span(rng, trace, 1, caller, SpanKind.SERVER, None)
        call = _span(
            rng, trace, 2, caller, SpanKind.CLIENT, root.span_id, **{"peer.service": callee}
        )
        spans += [root, call]
        if rng.random() < 0.8:  # the callee reports; else the peer name is the node
            spans.append(_span(rng, trace, 3, callee, SpanKind.SERVER, call.span_id))
        statement = f"SELECT * FROM t{rng.randrange(3)} WHERE id = {rng.randrange(99)}"
        database = {"db.system": "postgresql", "db.name": "main", "db.statement": statement}
        queue = {"messaging.system": "kafka", "messaging.destination.name": "events"}
        spans.append(_span(rng, trace, 4, caller, SpanKind.CLIENT, root.span_id, **database))
        spans.append(_span(rng, trace, 5, caller, SpanKind.PRODUCER, root.span_id, **queue))
    rng.shuffle(spans)
    return spans


def test_materialized_views_give_what_the_python_aggregates_give(
    clickhouse_url: str, tmp_path: Path
) -> None:
    """The same spans in SQLite and ClickHouse: equal edges, RED minutes and SQL fingerprints."""
    spans = _random_traces(7, 400)
    sqlite = SQLiteSpanStore(tmp_path / "spans.db", TelemetrySettings(data_dir=tmp_path))
    for start in range(0, len(spans), 300):  # several batches: pairs cross them
        sqlite.offer_spans(spans[start : start + 300])
    sqlite.close()  # callees that never came: the calls go to their peers now
    sqlite = SQLiteSpanStore(tmp_path / "spans.db", TelemetrySettings(data_dir=tmp_path))
    init_store(clickhouse_url)
    clickhouse = ClickHouseSpanStore(clickhouse_url)
    try:
        for start in range(0, len(spans), 300):
            clickhouse.offer_spans(spans[start : start + 300])
        clickhouse.flush()
        for store in (sqlite, clickhouse):
            assert store.edges()
        assert sqlite.edges() == clickhouse.edges()
        assert sqlite.edges(T0, T0 + 5 * 60_000_000_000) == clickhouse.edges(
            T0, T0 + 5 * 60_000_000_000
        )
        ours, theirs = sqlite.operations(), clickhouse.operations()
        assert [replace(o, total_ms=0.0) for o in ours] == [
            replace(o, total_ms=0.0) for o in theirs
        ]
        assert [o.total_ms for o in ours] == pytest.approx([o.total_ms for o in theirs])
        assert sqlite.query_fingerprints() == clickhouse.query_fingerprints()
    finally:
        sqlite.close()
        clickhouse.close()


def test_collector_workers_refuse_a_store_one_process_holds(tmp_path: Path) -> None:
    """`--workers 2` on SQLite (or chdb) is one line naming the stores that can, and exit 2."""
    interlock = Path(sys.executable).parent / "interlock"
    result = subprocess.run(
        [str(interlock), "collector", "--workers", "2", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 2 == result.returncode
    assert "postgresql://... or clickhouse://" in result.stderr
