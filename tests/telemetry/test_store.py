"""The span store conformance suite: SQLite, PostgreSQL and ClickHouse (chdb) alike.

Queries, aggregates kept as spans arrive, sampling, retention by arrival.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from interlock.telemetry import (
    AttributeFilter,
    LogRecord,
    Span,
    SpanKind,
    SQLiteSpanStore,
    StatusCode,
    TelemetrySettings,
    TraceQuery,
    observed_edges,
    quantile_ms,
    query_fingerprints,
)
from interlock.telemetry.stores.clickhouse import ClickHouseSpanStore
from interlock.telemetry.stores.clickhouse_init import init_store
from interlock.telemetry.stores.postgres import PostgresSpanStore

T0 = (time.time_ns() // 60_000_000_000 - 10) * 60_000_000_000  # ten minutes ago, on a minute
MS = 1_000_000


def _span(
    trace: int,
    span: int,
    service: str,
    name: str,
    *,
    parent: int | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    start_ms: int = 0,
    duration_ms: int = 10,
    error: bool = False,
    **attributes: object,
) -> Span:
    return Span(
        trace_id=f"{trace:032x}",
        span_id=f"{span:016x}",
        parent_span_id=None if parent is None else f"{parent:016x}",
        name=name,
        kind=kind,
        start_unix_nano=T0 + start_ms * MS,
        end_unix_nano=T0 + (start_ms + duration_ms) * MS,
        service=service,
        status_code=StatusCode.ERROR if error else StatusCode.UNSET,
        attributes={k.replace("_", "."): v for k, v in attributes.items()},
    )


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "clickhouse"]
)
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Open a store of this backend with settings overrides; each call opens the same data.

    ClickHouse's schema is made by `init_store` (what `interlock telemetry init-store` runs)
    before each opening, as an operator would after changing the retention settings.
    """
    opened: list[Any] = []
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres").create_database(
            f"spans_{abs(hash(tmp_path)) % 10**8}"
        )
    elif request.param == "clickhouse":
        url = request.getfixturevalue("clickhouse_url")

    def open_(**overrides: Any) -> Any:
        settings = TelemetrySettings(data_dir=tmp_path, **overrides)
        store: Any
        if url is None:
            store = SQLiteSpanStore(tmp_path / "spans.db", settings)
        elif url.startswith("chdb://"):
            init_store(url, settings)
            store = ClickHouseSpanStore(url, settings)
        else:
            store = PostgresSpanStore(url, settings)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[..., Any]) -> Any:
    """A store with the default settings, in SQLite, PostgreSQL and ClickHouse."""
    return open_store()


def _checkout_trace(trace: int, error: bool = False, duration_ms: int = 30) -> list[Span]:
    return [
        _span(
            trace,
            1,
            "gateway",
            "GET /checkout",
            kind=SpanKind.SERVER,
            duration_ms=duration_ms + 10,
            error=error,
        ),
        _span(
            trace,
            2,
            "gateway",
            "POST /orders",
            parent=1,
            kind=SpanKind.CLIENT,
            start_ms=1,
            duration_ms=duration_ms,
            error=error,
        ),
        _span(
            trace,
            3,
            "orders",
            "POST /orders",
            parent=2,
            kind=SpanKind.SERVER,
            start_ms=2,
            duration_ms=duration_ms - 5,
            error=error,
            http_route="/orders",
        ),
        _span(
            trace,
            4,
            "orders",
            "INSERT orders",
            parent=3,
            kind=SpanKind.CLIENT,
            start_ms=3,
            duration_ms=2,
            db_system="postgresql",
            db_name="orders",
            db_statement=f"INSERT INTO orders (id, total) VALUES ({trace}, 9.5)",
        ),
    ]


def test_trace_is_read_back_in_start_order(store: Any) -> None:
    store.offer_spans(list(reversed(_checkout_trace(7))))
    store.flush()
    assert ["1", "2", "3", "4"] == [s.span_id.lstrip("0") for s in store.get_trace(f"{7:032x}")]


def test_traces_whose_ids_share_the_indexed_prefix_are_read_back_apart(store: Any) -> None:
    """The SQLite trace index holds the first 8 hex digits; the whole id still decides."""
    store.offer_spans(_checkout_trace(0x51) + _checkout_trace(0x52))
    store.flush()
    assert {f"{0x51:032x}"} == {s.trace_id for s in store.get_trace(f"{0x51:032x}")}
    assert 4 == len(store.get_trace(f"{0x52:032x}"))


def test_sqlite_trace_lookup_uses_the_index(tmp_path: Path) -> None:
    import sqlite3

    from interlock.telemetry.stores.sqlite import BY_TRACE, trace_args

    SQLiteSpanStore(tmp_path / "spans.db", TelemetrySettings(data_dir=tmp_path)).close()
    with sqlite3.connect(tmp_path / "spans.db") as db:
        plan = db.execute(
            f"EXPLAIN QUERY PLAN SELECT * FROM spans WHERE {BY_TRACE}", trace_args("ab" * 16)
        ).fetchall()
    assert "USING INDEX spans_by_trace_prefix" in " ".join(row[-1] for row in plan)


def test_search_filters_by_service_status_duration_and_attribute(store: Any) -> None:
    store.offer_spans(
        _checkout_trace(1) + _checkout_trace(2, error=True) + _checkout_trace(3, duration_ms=900)
    )
    store.flush()

    def ids(query: TraceQuery) -> set[int]:
        return {int(t.trace_id, 16) for t in store.search(query)}

    assert {1, 2, 3} == ids(TraceQuery(service="orders"))
    assert {2} == ids(TraceQuery(status=StatusCode.ERROR))
    assert {3} == ids(TraceQuery(service="gateway", min_duration_ms=500))
    assert {1, 2} == ids(TraceQuery(operation="POST /orders", max_duration_ms=100))
    assert {1, 2, 3} == ids(TraceQuery(attributes=(AttributeFilter.parse("http.route=/orders"),)))
    assert {3} == ids(TraceQuery(attributes=(AttributeFilter.parse("db.statement~(3, 9"),)))
    assert set() == ids(TraceQuery(service="nobody"))


def test_search_summary_describes_the_root(store: Any) -> None:
    store.offer_spans(_checkout_trace(5, error=True))
    store.flush()
    [summary] = store.search(TraceQuery())
    assert ("gateway", "GET /checkout", 4, 3, ("gateway", "orders")) == (
        summary.root_service,
        summary.root_name,
        summary.span_count,
        summary.error_count,
        summary.services,
    )
    assert 40.0 == summary.duration_ms


def test_logs_are_found_by_trace(store: Any) -> None:
    """ClickHouse keeps attribute values as text, as the exporter writes them (3 -> "3")."""
    record = LogRecord(
        T0, T0, 17, "ERROR", "payment failed", "orders", f"{9:032x}", f"{3:016x}", {"order.id": 3}
    )
    store.offer_logs([record])
    store.flush()
    expected = (
        replace(record, attributes={"order.id": "3"})
        if isinstance(store, ClickHouseSpanStore)
        else record
    )
    assert [expected] == store.logs_for_trace(f"{9:032x}")


def test_client_server_pairs_become_service_edges(store: Any) -> None:
    """The pair is matched even when the server span arrives in an earlier batch."""
    first, second = _checkout_trace(1), _checkout_trace(2, error=True)
    store.offer_spans([first[2]])
    store.flush()
    store.offer_spans([first[0], first[1], first[3], *second])
    store.flush()
    edges = {(e.caller, e.callee, e.callee_kind): (e.calls, e.errors) for e in store.edges()}
    assert {
        ("gateway", "orders", "service"): (2, 1),
        ("orders", "orders", "database"): (2, 0),
    } == edges


def test_callee_without_spans_becomes_a_node_when_the_store_closes(
    open_store: Callable[..., Any],
) -> None:
    store = open_store()
    store.offer_spans(
        [
            _span(1, 1, "payments", "POST /charge", kind=SpanKind.CLIENT, peer_service="stripe"),
            _span(
                1,
                2,
                "payments",
                "publish",
                kind=SpanKind.PRODUCER,
                messaging_system="kafka",
                messaging_destination_name="charges",
            ),
            _span(
                1,
                3,
                "payments",
                "SELECT",
                kind=SpanKind.CLIENT,
                **{"db.system.name": "postgresql", "server.address": "db1"},
            ),
        ]
    )
    store.close()
    reopened = open_store()
    try:
        edges = {(e.caller, e.callee, e.callee_kind) for e in reopened.edges()}
    finally:
        reopened.close()
    assert {
        ("payments", "stripe", "service"),
        ("payments", "charges", "queue"),
        ("payments", "db1", "database"),
    } == edges


def test_red_metrics_per_operation_and_minute(store: Any) -> None:
    store.offer_spans(
        _checkout_trace(1) + _checkout_trace(2, error=True) + _checkout_trace(3, duration_ms=900)
    )
    store.flush()
    [checkout] = [o for o in store.operations("gateway") if o.operation == "GET /checkout"]
    assert (3, 1, T0 // 1_000_000_000 // 60 * 60) == (
        checkout.calls,
        checkout.errors,
        checkout.minute_unix,
    )
    assert 1000.0 == quantile_ms(checkout.histogram, 0.95)


def test_query_fingerprints_remove_literals(store: Any) -> None:
    store.offer_spans(_checkout_trace(1) + _checkout_trace(2))
    store.offer_spans(
        [
            _span(
                3,
                9,
                "orders",
                "q",
                kind=SpanKind.CLIENT,
                **{
                    "db.query.text": "insert into orders (id, total) values (77, 1.25)",
                    "db.system.name": "postgresql",
                },
            )
        ]
    )
    store.flush()
    [fingerprint] = query_fingerprints(store, service="orders")
    assert (3, "postgresql", "INSERT INTO orders (id, total) VALUES ($1, $2)") == (
        fingerprint.count,
        fingerprint.db_system,
        fingerprint.normalized,
    )
    assert [] == query_fingerprints(store, service="gateway")


def test_sampling_keeps_errors_and_slow_traces_and_counts_everything(
    open_store: Callable[..., Any],
) -> None:
    store = open_store(sample_rate=0.0, slow_ms=500)
    try:
        store.offer_spans(
            _checkout_trace(1)
            + _checkout_trace(2, error=True)
            + _checkout_trace(3, duration_ms=900)
        )
        store.flush()
        kept = {int(t.trace_id, 16) for t in store.search(TraceQuery())}
        calls = sum(o.calls for o in store.operations("gateway") if o.operation == "GET /checkout")
    finally:
        store.close()
    assert ({2, 3}, 3) == (kept, calls)


def _log(trace: int, start_ms: int = 0) -> LogRecord:
    return LogRecord(
        time_unix_nano=T0 + start_ms * MS,
        observed_time_unix_nano=T0 + start_ms * MS,
        severity_number=9,
        severity_text="INFO",
        body="order placed",
        service="orders",
        trace_id=f"{trace:032x}",
    )


def _stored(store: Any, *traces: int) -> dict[int, tuple[int, int]]:
    """Per trace: how many of its spans and log records the store still holds."""
    return {
        trace: (len(store.get_trace(f"{trace:032x}")), len(store.logs_for_trace(f"{trace:032x}")))
        for trace in traces
    }


def test_retention_keeps_old_spans_that_arrived_just_now(open_store: Callable[..., Any]) -> None:
    """Spans and logs stamped 100 days ago (an imported incident) outlive a retention pass."""
    store = open_store()
    try:
        old = -100 * 86_400_000
        store.offer_spans([_span(1, n, "orders", "old", start_ms=old + n) for n in range(1, 5)])
        store.offer_logs([_log(1, old)])
        store.flush()
        deleted = store.apply_retention()
        stored = _stored(store, 1)
    finally:
        store.close()
    assert (0, {1: (4, 1)}) == (deleted, stored)


def test_retention_deletes_every_span_that_arrived_before_the_window(
    open_store: Callable[..., Any],
) -> None:
    """All spans and logs received longer ago than the retention go, the last one too."""
    store = open_store(retention_hours=1 / 3600)  # one second
    try:
        for trace in (1, 2):  # two batches, two arrivals
            store.offer_spans([_span(trace, n, "orders", "recent") for n in range(1, 4)])
            store.offer_logs([_log(trace)])
            store.flush()
        time.sleep(2.1)  # the window, plus the second an arrival is counted in
        deleted = store.apply_retention()
        stored = _stored(store, 1, 2)
        found = store.search(TraceQuery())
    finally:
        store.close()
    assert ({1: (0, 0), 2: (0, 0)}, []) == (stored, found)
    # ClickHouse's TTL on arrival may have dropped them before this pass came to count them
    assert deleted == 6 or (isinstance(store, ClickHouseSpanStore) and 0 <= deleted < 6)


def test_retention_goes_by_arrival_not_by_timestamp(open_store: Callable[..., Any]) -> None:
    """Spans stamped now that arrived early go; spans stamped last year that arrived later stay."""
    store = open_store(retention_hours=1 / 3600)
    try:
        store.offer_spans([_span(1, 1, "orders", "stamped now")])
        store.offer_logs([_log(1)])
        store.flush()
        time.sleep(2.1)
        last_year = -365 * 86_400_000
        store.offer_spans([_span(2, 1, "orders", "stamped last year", start_ms=last_year)])
        store.offer_logs([_log(2, last_year)])
        store.flush()
        store.apply_retention()
        stored = _stored(store, 1, 2)
    finally:
        store.close()
    assert {1: (0, 0), 2: (1, 1)} == stored


def test_retention_keeps_rows_stored_before_arrivals_were_recorded(
    open_store: Callable[..., Any], tmp_path: Path
) -> None:
    """A store from before this change counts its rows as arriving at the upgrade: kept."""
    store = open_store()
    store.offer_spans([_span(1, 1, "orders", "old", start_ms=-100 * 86_400_000)])
    store.offer_logs([_log(1, -100 * 86_400_000)])
    store.flush()
    store.close()
    if isinstance(store, PostgresSpanStore):
        import psycopg

        with psycopg.connect(store.url, autocommit=True) as conn:
            for table in ("spans", "logs"):
                conn.execute(f"ALTER TABLE interlock_telemetry.{table} DROP COLUMN received_ns")
    elif isinstance(store, ClickHouseSpanStore):
        from interlock.telemetry.stores.clickhouse_connection import connect

        conn = connect(store.location)  # as a table the exporter made itself would be
        for table in ("otel_traces", "otel_logs"):
            conn.command(f"ALTER TABLE {store.db}.{table} REMOVE TTL")
            conn.command(f"ALTER TABLE {store.db}.{table} DROP COLUMN InterlockArrival")
    else:
        with sqlite3.connect(tmp_path / "spans.db") as conn:
            conn.execute("DROP TABLE arrivals")
    upgraded = open_store(retention_hours=1 / 3600)
    try:
        kept_at_once = upgraded.apply_retention()
        time.sleep(2.1)
        gone_later = upgraded.apply_retention()
        stored_later = _stored(upgraded, 1)
    finally:
        upgraded.close()
    assert (0, {1: (0, 0)}) == (kept_at_once, stored_later)
    # ClickHouse's TTL on arrival may have dropped it before the second pass came to count it
    assert gone_later == 1 or (isinstance(upgraded, ClickHouseSpanStore) and gone_later == 0)


def test_retention_caps_the_number_of_spans(open_store: Callable[..., Any]) -> None:
    store = open_store(retention_hours=0, retention_max_spans=3)
    try:
        store.offer_spans(_checkout_trace(1))
        store.flush()
        later = 60_000 * MS  # a minute later, so "oldest" means the same by time and by arrival
        store.offer_spans(
            [
                replace(
                    s,
                    start_unix_nano=s.start_unix_nano + later,
                    end_unix_nano=s.end_unix_nano + later,
                )
                for s in _checkout_trace(2)
            ]
        )
        store.flush()
        store.apply_retention()
        kept = [(int(s.trace_id, 16), s.name) for s in store.get_trace(f"{2:032x}")]
        gone = store.get_trace(f"{1:032x}")
    finally:
        store.close()
    assert ([], 3) == (gone, len(kept))


def test_observed_edges_merge_minutes_into_rates_and_quantiles(store: Any) -> None:
    store.offer_spans(
        _checkout_trace(1) + _checkout_trace(2, error=True) + _checkout_trace(3, duration_ms=900)
    )
    store.flush()
    window = (T0, T0 + 2 * 60_000_000_000)
    edges = {(e.caller, e.callee): e for e in observed_edges(store, *window)}
    orders = edges[("gateway", "orders")]
    assert (3, 1, 1.5, 1000.0) == (
        orders.calls,
        orders.errors,
        orders.calls_per_minute,
        orders.p95_ms,
    )
    assert "database" == edges[("orders", "orders")].callee_kind


WINDOW = (T0 + 60_000 * MS, T0 + 120_000 * MS)  # the minute from 60 s to 120 s after T0


def _trace_at(trace: int, start_ms: int, error: bool = False) -> list[Span]:
    """A two-span trace: a SERVER span, and a child that starts 5 s later."""
    return [
        _span(trace, 1, "gateway", "GET /", kind=SpanKind.SERVER, start_ms=start_ms,
              duration_ms=6000, error=error),
        _span(trace, 2, "orders", "load", parent=1, start_ms=start_ms + 5000, duration_ms=500,
              error=error),
    ]  # fmt: skip


def _ids(traces: list[list[Span]]) -> list[int]:
    return sorted(int(t[0].trace_id, 16) for t in traces)


def test_window_read_holds_whole_traces_that_start_in_it(store: Any) -> None:
    """A trace that began before the window is left out, one that runs past its end is whole."""
    store.offer_spans(
        _trace_at(1, 57_000)  # began before the window; its child starts inside it
        + _trace_at(2, 70_000)
        + _trace_at(3, 118_000)  # its child starts after the window's end
        + _trace_at(4, 121_000)
    )
    store.flush()
    found = store.traces_in_window(*WINDOW)
    assert ([2, 3], [], 1.0) == (_ids(found.traces), found.failing, found.share)
    assert [["1", "2"]] * 2 == [[s.span_id.lstrip("0") for s in t] for t in found.traces]
    assert 4 == store.span_count(*WINDOW)  # 1.2, 2.1, 2.2, 3.1


def test_window_read_takes_a_share_by_the_end_of_the_trace_id_and_every_failing_trace(
    store: Any,
) -> None:
    """Ids ending below the share's cut are read; a failing trace outside it comes whole."""
    inside, outside, failing = 0x10, 0xC000_0000, 0xD000_0000
    store.offer_spans(
        _trace_at(inside, 61_000)
        + _trace_at(outside, 62_000)
        + _trace_at(failing, 63_000, error=True)
    )
    store.flush()
    found = store.traces_in_window(*WINDOW, share=0.5)
    assert ([inside], [failing], 0.5) == (_ids(found.traces), _ids(found.failing), found.share)
    assert 2 == len(found.failing[0])
    assert [inside, outside, failing] == _ids(store.traces_in_window(*WINDOW).traces)


def test_window_logs_include_those_without_a_trace_and_every_warning(store: Any) -> None:
    """A share keeps logs of traces in it, warnings of any trace; all without a share."""
    records = [
        replace(_log(0x10, 61_000), body="in the share"),
        replace(_log(0xC000_0000, 62_000), body="outside the share"),
        replace(_log(0xC000_0001, 63_000), body="a warning", severity_number=13),
        replace(_log(0, 64_000), body="no trace", trace_id=None),
        replace(_log(0x10, 130_000), body="after the window"),
    ]
    store.offer_logs(records)
    store.flush()
    everything = store.logs_in_window(*WINDOW)
    assert ["in the share", "outside the share", "a warning", "no trace"] == [
        r.body for r in everything
    ]
    assert [None] == [r.trace_id for r in everything if r.body == "no trace"]
    shared = [r.body for r in store.logs_in_window(*WINDOW, share=0.5)]
    assert ["in the share", "a warning"] == [b for b in shared if b != "no trace"]
    assert ["a warning"] == [r.body for r in store.logs_in_window(*WINDOW, share=0.0)]


@pytest.mark.postgres
def test_postgres_writer_reconnects_after_losing_its_connection(postgres: Any) -> None:
    """Spans accepted while the connection is gone are written once it is back, not dropped."""
    import psycopg

    url = postgres.create_database("spans_reconnect")
    store = PostgresSpanStore(url)
    try:
        store.offer_spans(_checkout_trace(1))
        store.flush()
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        store.offer_spans(_checkout_trace(2))
        assert store.flush(timeout=30)
        assert 4 == len(store.get_trace(f"{2:032x}"))
    finally:
        store.close()
